"""Figures for the replications: one standalone offline HTML report per part, PNGs where useful."""

import html
import struct
import zlib
from typing import Callable
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


PAGE_WIDTH = 1300  # px: what a 1400 px wide browser window leaves for a figure beside the page's margins
TITLE_CHAR_WIDTH = 9  # px per character of a figure title (plotly's default 17 px font), a generous estimate
SUBTITLE_CHAR_WIDTH = 8  # the same for subplot titles (16 px)


def image_grid(
    images: np.ndarray, titles: list[str], *, cols: int = 5, title: str = "", symmetric: bool = True,
    shared_scale: bool = True,
) -> go.Figure:
    """Heat maps of images [n, h, w] in a grid; red positive, blue negative when `symmetric`.

    One colour scale for all images (with a colour bar), or, with shared_scale=False, one per image
    (for images of different kinds side by side). Columns are wide enough for their titles, and
    the grid fits a 1400 px wide window.
    """
    images = _as_image_stack(images, "image_grid")
    if len(titles) != len(images):
        raise ValueError(f"image_grid got {len(images)} images but {len(titles)} titles")
    rows = -(-len(images) // cols)
    cell = max(190, SUBTITLE_CHAR_WIDTH * max(map(len, titles), default=0) + 20)
    cell = min(cell, (PAGE_WIDTH - 100) // cols)
    row_height = cell + 40  # the image, and room for the next row's titles
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.02,
                        vertical_spacing=40 / (row_height * rows))
    for i, image in enumerate(images):
        scale = _robust_limit(images if shared_scale else image[None])
        fig.add_trace(
            go.Heatmap(
                z=image[::-1],
                colorscale="RdBu_r" if symmetric else "Greys",
                zmin=-scale if symmetric else float(images.min()),
                zmax=scale if symmetric else float(images.max()),
                showscale=shared_scale and i == 0,
                hovertemplate="row %{y}, column %{x}: %{z:.3g}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, scaleanchor="x", constrain="domain")
    fig.update_layout(title=title, height=row_height * rows + 120, width=cell * cols + 100)
    return fig


def _as_image_stack(images, caller: str) -> np.ndarray:
    images = np.asarray(images, dtype=float)
    if images.ndim != 3:
        raise ValueError(f"{caller} expects images of shape [n, height, width], got shape {images.shape}")
    return images


def _robust_limit(images: np.ndarray) -> float:
    """The colour scale's end: the 99.5th percentile of |value|, so one extreme pixel cannot wash out the rest."""
    return float(np.percentile(np.abs(images), 99.5)) or float(np.abs(images).max()) or 1.0


on_report: "Callable[[list[go.Figure]], None] | None" = None  # a notebook's replication cell shows them inline


def save_report(path: Path, title: str, figures: list[go.Figure], numbers: dict[str, str]) -> Path:
    """One HTML page with the headline numbers and every figure; plotly.js is embedded once,
    so the page works offline and can be mailed around."""
    problems = [f"figure {i} ({fig.layout.title.text or 'untitled'}): {problem}"
                for i, fig in enumerate(figures) for problem in missing_data(fig)]
    if problems:
        raise ValueError(f"{title}: figures without data, a bug in the replication:\n  " + "\n  ".join(problems))
    if on_report is not None:
        on_report(figures)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in numbers.items())
    parts = [
        fit_to_page(fig).to_html(full_html=False, include_plotlyjs=(i == 0), default_width="100%")
        for i, fig in enumerate(figures)
    ]
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:2px 12px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><table>{rows}</table>" + "".join(parts) + "</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path


def missing_data(fig: go.Figure) -> list[str]:
    """What is empty in `fig`: no traces at all, or a trace whose data are empty or all NaN."""
    if not fig.data:
        return ["no traces"]
    problems = []
    for i, trace in enumerate(fig.data):
        arrays = [np.asarray(getattr(trace, key), dtype=object) for key in ("x", "y", "z", "values")
                  if key in trace and getattr(trace, key) is not None]
        values = [v for a in arrays for v in a.ravel().tolist()]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if not values or (numbers and len(numbers) == len(values) and all(np.isnan(numbers))):
            problems.append(f"trace {i} ({trace.type}{', ' + trace.name if trace.name else ''}) has no data")
    return problems


def fit_to_page(fig: go.Figure) -> go.Figure:
    """Makes `fig` (in place; returned too) show whole in a 1400 px wide window: no wider than the
    page, and a title too long for the figure wrapped onto more lines (widening would distort it)."""
    if fig.layout.width is not None:
        fig.update_layout(width=min(fig.layout.width, PAGE_WIDTH))
    title = fig.layout.title.text or ""
    room = ((fig.layout.width or PAGE_WIDTH) - 100) // TITLE_CHAR_WIDTH
    if len(title) > room and "<br>" not in title:
        lines = _wrap(title, room)
        fig.update_layout(title_text=lines, margin_t=(fig.layout.margin.t or 100) + 22 * lines.count("<br>"))
        if fig.layout.height is not None:
            fig.update_layout(height=fig.layout.height + 22 * lines.count("<br>"))
    return fig


def _wrap(text: str, width: int) -> str:
    lines = [""]
    for word in text.split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    return "<br>".join(lines)


def save_png_grid(path: Path, images: np.ndarray, *, cols: int = 5, scale: int = 4, pad: int = 2) -> Path:
    """Writes images [n, h, w] as one PNG grid (red positive, blue negative, white zero).

    Written with zlib alone, so it needs no browser or image library.
    """
    images = _as_image_stack(images, "save_png_grid")
    n, h, w = images.shape
    rows = -(-n // cols)
    limit = _robust_limit(images)
    canvas = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, 3))
    for i, image in enumerate(images):
        v = np.clip(image / limit, -1, 1)[..., None]
        rgb = np.where(v > 0, [1.0, 1.0, 1.0] - v * [0.0, 1.0, 1.0], [1.0, 1.0, 1.0] + v * [1.0, 1.0, 0.0])
        top, left = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        canvas[top : top + h, left : left + w] = rgb
    pixels = (np.kron(canvas, np.ones((scale, scale, 1))) * 255).round().astype(np.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_png_bytes(pixels))
    return path


def _png_bytes(rgb: np.ndarray) -> bytes:
    height, width, _ = rgb.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row.tobytes() for row in rgb)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
