"""Feature dashboards as the field reads them (after SAE-Vis and Neuronpedia): one HTML page per feature.

Each page shows how often the feature fires and how strongly (a histogram), its top contexts with
every token shaded by the feature's activation there, contexts from lower quantiles of its
activations (a feature's name must hold there too, not only at its peak), the tokens its decoder
direction promotes and suppresses through the final norm and the unembedding, and the causal
test's result. Plain HTML and inline SVG: the pages work offline and need no JavaScript.
"""

import html
from pathlib import Path

import torch

WINDOW_BEFORE, WINDOW_AFTER = 14, 4
QUANTILE_BINS = ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75))  # fractions of the feature's largest activation
PER_BIN = 4

STYLE = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:24px auto;padding:0 16px;color:#222}
.ctx{font-family:ui-monospace,monospace;white-space:pre-wrap;line-height:1.9;margin:2px 0}
.tok{border-radius:3px;padding:1px 0}.peak{outline:2px solid #d62728}.val{display:inline-block;width:4.5em;color:#555}
.cols{display:flex;gap:32px;flex-wrap:wrap}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left}
h2{margin-top:28px}.note{color:#555;font-size:0.92em}"""


def write(folder: Path, features: list[int], acts, tokens, tokenizer, logits_of, frequencies, interventions=None) -> Path:
    """One page per feature and an index; returns the index. acts: [n_seq, pos, len(features)] on the corpus tokens;
    logits_of(feature) gives the [vocab] logits its decoder direction writes through the final norm and unembedding."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_feature = {r["feature"]: r for r in interventions or []}
    rows = []
    for i, feature in enumerate(features):
        feature_acts = acts[..., i]
        page = folder / f"feature_{feature}.html"
        body = _page(feature, feature_acts, tokens, tokenizer, logits_of(feature), float(frequencies[feature]),
                     by_feature.get(feature))
        page.write_text(_html(f"Feature {feature}", body), encoding="utf-8")
        seq, pos = divmod(int(feature_acts.flatten().argmax()), feature_acts.shape[1])
        rows.append(f"<tr><td><a href='{page.name}'>feature {feature}</a></td><td>{float(frequencies[feature]):.2%}</td>"
                    f"<td>{feature_acts.max():.2f}</td><td class='ctx'>{_context(feature_acts, tokens, tokenizer, seq, pos)}</td></tr>")
    index = folder / "index.html"
    index.write_text(_html("Feature dashboards", "<h1>Feature dashboards (L1 SAE)</h1><table><tr><th>feature</th>"
                           "<th>density</th><th>max</th><th>its top context</th></tr>" + "".join(rows) + "</table>"),
                     encoding="utf-8")
    return index


def _html(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def _page(feature, feature_acts, tokens, tokenizer, logits, density, intervention) -> str:
    nonzero = feature_acts[feature_acts > 0]
    top = feature_acts.max().item()
    parts = [f"<p><a href='index.html'>all features</a></p><h1>Feature {feature}</h1>",
             f"<p>fires on {density:.2%} of ordinary held-out tokens ({len(nonzero):,} of the corpus's "
             f"{feature_acts.numel():,} tokens); largest activation {top:.2f}</p>",
             "<h2>Activations when active</h2>", _histogram_svg(nonzero)]
    parts += ["<h2>Top contexts</h2><p class='note'>each token shaded by the feature's activation there; the outlined "
              "token is the one ranked</p>"]
    values, flat = feature_acts.flatten().topk(min(12, len(nonzero)))
    parts += [_context_line(v, feature_acts, tokens, tokenizer, *divmod(int(f), feature_acts.shape[1]))
              for v, f in zip(values.tolist(), flat.tolist())]
    generator = torch.Generator().manual_seed(feature)
    for low, high in QUANTILE_BINS:
        chosen = ((feature_acts > low * top) & (feature_acts <= high * top)).flatten().nonzero().flatten()
        parts.append(f"<h2>Activations in ({low:.0%}, {high:.0%}] of the largest</h2>")
        if len(chosen) == 0:
            parts.append("<p class='note'>none</p>")
            continue
        picks = chosen[torch.randperm(len(chosen), generator=generator)[:PER_BIN]]
        parts += [_context_line(feature_acts.flatten()[f].item(), feature_acts, tokens, tokenizer,
                                *divmod(int(f), feature_acts.shape[1])) for f in picks.tolist()]
    parts.append("<h2>What its decoder direction writes (through the final norm and the unembedding)</h2><div class='cols'>")
    for title, order in [("promoted", True), ("suppressed", False)]:
        values, ids = logits.topk(10, largest=order)
        cells = "".join(f"<tr><td><code>{html.escape(repr(tokenizer.decode([t])))}</code></td><td>{v:+.3f}</td></tr>"
                        for t, v in zip(ids.tolist(), values.tolist()))
        parts.append(f"<div><h3>{title}</h3><table>{cells}</table></div>")
    parts.append("</div>")
    if intervention:
        parts.append(
            "<h2>Causal test</h2><p>Steering (adding the direction at strength "
            f"{intervention['strength']:.2f} to every position of held-out text) moves the log-probability of its 8 "
            f"promoted tokens by <b>{intervention['steering_shift']:+.3f}</b> nats (random directions of the same norm: "
            f"{intervention['random_shift_mean']:+.3f}); ablating it where it fires moves it by "
            f"<b>{intervention['ablation_shift']:+.3f}</b> ({intervention['ablation_positions']} positions).</p>")
    return "".join(parts)


def _context_line(value, feature_acts, tokens, tokenizer, seq, pos) -> str:
    return f"<div class='ctx'><span class='val'>{value:.2f}</span>{_context(feature_acts, tokens, tokenizer, seq, pos)}</div>"


def _context(feature_acts, tokens, tokenizer, seq, pos) -> str:
    """The tokens around (seq, pos), each shaded by the feature's activation, the ranked one outlined."""
    top = feature_acts.max().item() or 1.0
    start, end = max(1, pos - WINDOW_BEFORE), min(tokens.shape[1], pos + WINDOW_AFTER + 1)  # position 0 is BOS
    spans = []
    for p in range(start, end):
        text = html.escape(tokenizer.decode([int(tokens[seq, p])]).replace("\n", "⏎"))
        alpha = max(0.0, feature_acts[seq, p].item()) / top
        style = f"background:rgba(255,127,14,{alpha:.2f})"
        title = f"{feature_acts[seq, p].item():.2f}"
        spans.append(f"<span class='tok{' peak' if p == pos else ''}' style='{style}' title='{title}'>{text}</span>")
    return "".join(spans)


def _histogram_svg(values, bins: int = 40, width: int = 720, height: int = 180) -> str:
    if len(values) == 0:
        return "<p class='note'>never active</p>"
    counts = torch.histc(values, bins=bins, min=0.0, max=values.max().item())
    tallest = counts.max().item()
    bar = width / bins
    rects = "".join(f"<rect x='{i * bar:.1f}' y='{height - 20 - (height - 30) * c / tallest:.1f}' width='{bar - 1:.1f}' "
                    f"height='{(height - 30) * c / tallest:.1f}' fill='#ff7f0e'><title>{int(c)}</title></rect>"
                    for i, c in enumerate(counts.tolist()))
    axis = (f"<text x='0' y='{height - 4}' font-size='12'>0</text>"
            f"<text x='{width - 40}' y='{height - 4}' font-size='12'>{values.max():.2f}</text>"
            f"<text x='{width / 2 - 60}' y='{height - 4}' font-size='12'>activation (count on hover)</text>")
    return f"<svg width='{width}' height='{height}' role='img'>{rects}{axis}</svg>"
