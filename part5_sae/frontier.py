"""The sparsity frontier: how faithful each architecture is at each L0.

One SAE is one point on a trade-off: fewer latents per token (a lower L0) are easier to read but
reconstruct less. SAEs are compared by their curves, L0 against variance explained and against
the next-token loss recovered (Gao et al. 2024; SAEBench, Karvonen et al. 2025, which sweeps L0 from
about 20 to 200). Every point here is the replication's recipe (same size, steps, batches and
learning rate) with only the sparsity knob changed: the L1 coefficient, or k.
"""

import plotly.graph_objects as go

from part5_sae import training
from part5_sae.training import Recipe

ARCHITECTURES = ("L1", "TopK", "BatchTopK")
COLOURS = {"L1": "#636efa", "TopK": "#ef553b", "BatchTopK": "#00cc96"}


def sweep(ex, model, data, settings, device, layer, loss_tokens, where, runs: dict, recipes: list[Recipe]) -> list[dict]:
    """Trains every recipe that `runs` (recipe -> run) lacks and scores all of them: one frontier point each."""
    points = []
    for recipe in recipes:
        run = runs[recipe] if recipe in runs else training.train(ex, data, settings, device, recipe)
        if "loss" not in run:
            with training.forward_threads(model, loss_tokens[:1], device):
                run["loss"] = ex.loss_recovered(model, loss_tokens, layer, training.splice(run["sae"], data["scale"]), where)
        m, everything = run["metrics"], run["metrics_all"]
        points.append({"architecture": recipe.architecture, "sparsity": recipe.sparsity, "label": recipe.label,
                       "l0": m["l0"], "dead_fraction": m["dead_fraction"], "variance_explained": m["variance_explained"],
                       "variance_explained_all": everything["variance_explained"],
                       "loss_recovered": run["loss"]["recovered"]})
    return points


def recipes(settings, matched_k: int) -> list[Recipe]:
    """The sweep's recipes: settings["frontier"] per architecture, plus the headline SAEs at the L1 SAE's L0."""
    chosen = settings["frontier"]
    out = [Recipe("L1", c) for c in sorted({*chosen["L1"], settings["l1_coeff"]}, reverse=True)]
    for architecture in ("TopK", "BatchTopK"):
        out += [Recipe(architecture, k) for k in sorted({*chosen["k"], matched_k})]
    return out


def table(points: list[dict]) -> str:
    lines = [f"  {'SAE':30s}{'L0':>7s}{'dead':>8s}{'VE ordinary':>13s}{'VE all':>9s}{'loss recovered':>16s}"]
    for p in points:
        lines.append(f"  {p['label']:30s}{p['l0']:7.1f}{p['dead_fraction']:8.1%}{p['variance_explained']:13.3f}"
                     f"{p['variance_explained_all']:9.3f}{p['loss_recovered']:16.3f}")
    return "\n".join(lines)


def figures(points: list[dict]) -> list[go.Figure]:
    """L0 against variance explained and against loss recovered, one curve per architecture; dead fractions."""
    figures = []
    for key, title, axis in [("variance_explained", "variance explained on ordinary held-out tokens", "variance explained"),
                             ("loss_recovered", "next-token loss recovered with the SAE spliced in", "loss recovered")]:
        traces = []
        for architecture in ARCHITECTURES:
            mine = sorted((p for p in points if p["architecture"] == architecture), key=lambda p: p["l0"])
            traces.append(go.Scatter(x=[p["l0"] for p in mine], y=[p[key] for p in mine], mode="lines+markers",
                                     name=architecture, line_color=COLOURS[architecture],
                                     text=[p["label"] for p in mine], hovertemplate="%{text}<br>L0 %{x:.1f}: %{y:.3f}"))
        figures.append(go.Figure(traces, layout=dict(
            title=f"The sparsity frontier: {title} against L0 (up and to the left is better)",
            xaxis=dict(title="L0 (latents active per token, log scale)", type="log"), yaxis_title=axis)))
    figures.append(go.Figure([go.Bar(x=[p["label"] for p in points], y=[p["dead_fraction"] for p in points],
                                     marker_color=[COLOURS[p["architecture"]] for p in points])],
                             layout=dict(title="Dead fraction: latents that never fire on the held-out tokens",
                                         yaxis=dict(tickformat=".0%"), height=380)))
    return figures
