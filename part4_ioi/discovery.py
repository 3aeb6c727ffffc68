"""Part 4 goes further: attribution patching against exact patching, and circuits discovered from gradients.

Called by replicate.py on the faithfulness prompts (the first `faithful` prompts of one length,
whose first `patch` prompts are the patching prompts). With the learner's attribution_patching
and top_circuit_logit_diffs it:

- estimates every patch from the ABC run at once (one forward and backward pass) and compares the
  estimates with the exact maps replicate.py measured: the residual stream by (layer, position),
  and every head's output at END;
- ranks every head by its estimated effect on the logit difference when patched at every
  position, for three counterfactuals (ABC; the same names in another template; the mean over
  the ABC prompts, which is what the faithfulness test puts in), and for ABC with integrated
  gradients, then keeps the top n heads and measures the circuit's faithfulness for n = 1 .. 270;
- scores the edges between the heads of one discovered circuit: the part of a sender's
  attribution that flows through a receiver (the sender's attribution minus the same with the
  receiver's output held fixed), drawn as a graph.
"""

import time

import numpy as np
import plotly.graph_objects as go
import torch
from tqdm.auto import tqdm

THRESHOLDS = (0.7, 0.9)


def head_names(n_layers: int) -> list[str]:
    return [f"blocks.{layer}.attn.hook_z" for layer in range(n_layers)]


def resid_names(n_layers: int) -> list[str]:
    return [f"blocks.{layer}.hook_resid_pre" for layer in range(n_layers)]


def other_template(ex, model, data):
    """The same prompts, names and order, in the next template: what the names do is unchanged, the sentence is not."""
    templates = list(ex.TEMPLATES)
    moved = [ex.IOIPrompt(templates[(templates.index(p.template) + 1) % len(templates)], p.a, p.b, p.c) for p in data.prompts]
    other = ex.tokenize_ioi(model.tokenizer, moved, model.cfg.n_ctx).to(data.tokens.device)
    return other if other.tokens.shape == data.tokens.shape and bool((other.end == data.end).all()) else None


def corrupt_activations(ex, model, data, abc):
    """{counterfactual: {hook name: the values a patch puts there}} for the heads' z and the residual stream."""
    n_layers, names = model.cfg.n_layers, ("attn.hook_z", "hook_resid_pre")
    wanted = head_names(n_layers) + resid_names(n_layers)
    runs = {"ABC": abc, "other template": other_template(ex, model, data)}
    corrupt = {}
    for label, run in runs.items():
        if run is not None:
            cache = ex.run_cached(model, run.tokens, names)[1]
            corrupt[label] = {name: cache[name] for name in wanted}
    mean = {name: value.mean(dim=0, keepdim=True).expand_as(value) for name, value in corrupt["ABC"].items()}
    corrupt["mean over ABC"] = mean
    return corrupt


def stack_heads(estimates: dict, n_layers: int) -> torch.Tensor:
    """[layer, batch, pos, head] from attribution_patching's per-layer z estimates."""
    return torch.stack([estimates[name] for name in head_names(n_layers)])


def discover(ex, model, data, abc, found, settings, clock):
    """Attribution against exact patching, and faithfulness curves of the circuits the rankings discover."""
    cfg, results = model.cfg, {}
    corrupt = corrupt_activations(ex, model, data, abc)
    estimates = {}
    for label, values in tqdm(corrupt.items(), desc="attribution patching (one forward and backward pass each)", leave=False):
        with clock(f"attribution patching, {label}"):
            estimates[label] = ex.attribution_patching(model, data, values)
    # integrated gradients on the patching prompts only, where the exact maps are
    n_patch, steps = settings["patch"], settings["ig steps"]
    sub, sub_abc = data.subset(list(range(n_patch))), abc.subset(list(range(n_patch)))
    with clock(f"integrated gradients, ABC ({steps} steps)"):
        integrated = ex.attribution_patching(model, sub, {name: value[:n_patch] for name, value in corrupt["ABC"].items()}, steps)
    results["ig steps"] = steps
    # the estimates on all prompts are changes of the mean over len(data) prompts: as changes of the mean over the first n_patch
    attribution = {name: value[:n_patch] * (len(data) / n_patch) for name, value in estimates["ABC"].items()}
    results["completeness"] = _completeness(ex, model, sub, sub_abc, attribution, integrated)
    results |= _against_exact(attribution, integrated, sub, found, cfg)

    # a head's score: the estimated change of the mean logit difference when it is patched at every position
    scores = {label: stack_heads(estimates[label], cfg.n_layers).sum(dim=(1, 2)) for label in estimates}
    results["scores"] = scores
    model_diff = found["faithfulness"]["model"]
    sizes = [n for n in settings["curve sizes"] if n <= cfg.n_layers * cfg.n_heads]
    curves = {}
    for label in tqdm(list(scores), desc="faithfulness of the top-n heads of each ranking", leave=False):
        with clock("faithfulness curves"):
            curves[label] = (ex.top_circuit_logit_diffs(model, data, abc, scores[label].abs(), sizes) / model_diff).tolist()
    results["sizes"], results["curves"] = sizes, curves
    results["first size reaching"] = {label: {t: next((n for n, f in zip(sizes, curve) if f >= t), None) for t in THRESHOLDS}
                                      for label, curve in curves.items()}
    results["ranks"] = {label: _ranks(scores[label].abs()) for label in scores}

    label = "mean over ABC"
    with clock("the smallest discovered circuit knocked out"):
        size = results["first size reaching"][label][0.9]
        if size is not None:
            smallest = _top_heads(scores[label].abs(), size)
            results["smallest"] = {"heads": smallest, **ex.circuit_logit_diffs(model, data, abc, smallest)}
    with clock("edges of the discovered circuit"):
        heads = _top_heads(scores[label].abs(), settings["graph heads"])
        results["graph"] = {"label": f"attribution, {label}", "heads": heads,
                            "edges": edge_scores(ex, model, data, corrupt[label], heads, settings["graph prompts"])}
    return results


def _completeness(ex, model, sub, sub_abc, attribution, integrated):
    """The input's estimates summed, against the exact M(ABC) - M(clean): integrated gradients should close the gap."""
    clean = ex.logit_diff(ex.end_logits(ex.run_cached(model, sub.tokens, ())[0], sub.end), sub.io, sub.s).mean().item()
    corrupt = ex.logit_diff(ex.end_logits(ex.run_cached(model, sub_abc.tokens, ())[0], sub_abc.end), sub.io, sub.s).mean().item()
    name = "blocks.0.hook_resid_pre"
    return {"exact": corrupt - clean, "attribution": attribution[name].sum().item(), "integrated": integrated[name].sum().item()}


def _against_exact(attribution, integrated, sub, found, cfg):
    """Correlation and disagreements of the estimates with replicate.py's exact residual map and head sweep (ABC),
    all as effects: the change of the mean logit difference over the patching prompts, divided by their clean-vs-ABC gap."""
    gap = found["clean diff"] - found["patch abc diff"]
    batch = torch.arange(len(sub))

    def heads_at_end(estimates):
        z = stack_heads(estimates, cfg.n_layers)  # [layer, batch, pos, head]
        return z[:, batch, sub.end].sum(dim=1) / gap  # [layer, head]

    exact_heads = found["head patching"]
    swept = ~exact_heads.isnan()
    out = {"exact heads": exact_heads, "attribution heads": heads_at_end(attribution), "integrated heads": heads_at_end(integrated)}
    for label in ("attribution", "integrated"):
        out[f"{label} heads r"] = _pearson(out[f"{label} heads"][swept], exact_heads[swept])

    resid_index, layers = found["resid index"], found["resid layers"]
    resid_scale = len(sub) / len(resid_index)  # the exact map is the mean over the resid prompts alone
    resid_gap = found["resid diff"] - found["patch abc diff"]
    for label, estimates in (("attribution", attribution), ("integrated", integrated)):
        rows = [estimates[f"blocks.{layer}.hook_resid_pre"][resid_index].sum(dim=0) * resid_scale / resid_gap for layer in layers]
        out[f"{label} resid"] = torch.stack(rows)
        out[f"{label} resid r"] = _pearson(out[f"{label} resid"].flatten(), found["resid patching"].flatten())
    difference = (out["attribution heads"] - exact_heads).abs().nan_to_num(0.0)
    out["disagreements"] = _top_heads(difference, 6)
    return out


def edge_scores(ex, model, data, corrupt, heads, n_prompts):
    """{(sender, receiver): the part of the sender's attribution that flows through the receiver} for heads of one circuit.

    The receiver's z is held at its clean value (detached) in a second pass; what the sender's
    attribution loses is what went through that receiver (its queries, keys and values, on every
    path). One forward and backward pass per receiver, on the first n_prompts prompts.
    """
    sub = data.subset(list(range(min(n_prompts, len(data)))))
    names = sorted({f"blocks.{layer}.attn.hook_z" for layer, _ in heads})
    values = {name: corrupt[name][: len(sub)] for name in names}
    full = ex.attribution_patching(model, sub, values)
    edges = {}
    receivers = [h for h in heads if h[0] > min(layer for layer, _ in heads)]
    for receiver in tqdm(receivers, desc="edges: each receiver held fixed", leave=False):
        layer, head = receiver

        def hold(z, hook, head=head):
            z = z.clone()
            z[:, :, head] = z[:, :, head].detach()
            return z

        with model.hooks(fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hold)]):
            held = ex.attribution_patching(model, sub, values)
        for sender in heads:
            if sender[0] < layer:
                name = f"blocks.{sender[0]}.attn.hook_z"
                edges[(sender, receiver)] = (full[name][..., sender[1]].sum() - held[name][..., sender[1]].sum()).item()
    return edges


def _pearson(x, y):
    x, y = x.double() - x.double().mean(), y.double() - y.double().mean()
    return float((x * y).sum() / (x.norm() * y.norm()))


def _top_heads(scores, k):
    n_heads = scores.shape[1]
    order = scores.flatten().argsort(descending=True, stable=True)[:k].tolist()
    return [(i // n_heads, i % n_heads) for i in order]


def _ranks(scores):
    """{head: its rank (1 = first)} by descending score."""
    return {head: rank for rank, head in enumerate(_top_heads(scores, scores.numel()), start=1)}


def head_label(head):
    """'layer.head', as the paper writes a head."""
    return f"{head[0]}.{head[1]}"


# --- what the replication prints and draws ---


def numbers(results):
    out = {
        "attribution vs exact, heads at END: r": results["attribution heads r"],
        "integrated gradients vs exact, heads at END: r": results["integrated heads r"],
        "attribution vs exact, residual map: r": results["attribution resid r"],
        "integrated gradients vs exact, residual map: r": results["integrated resid r"],
        "completeness: exact M(ABC) - M(clean)": results["completeness"]["exact"],
        "completeness: attribution's sum at the input": results["completeness"]["attribution"],
        "completeness: integrated gradients' sum at the input": results["completeness"]["integrated"],
    }
    for label, reached in results["first size reaching"].items():
        for threshold, size in reached.items():
            if size is not None:  # (not reached within the sizes measured: left out)
                out[f"discovered from {label}: heads to reach {threshold:.0%} faithfulness"] = float(size)
    if "smallest" in results:
        small = results["smallest"]
        out["smallest discovered circuit above 90%: heads"] = float(len(small["heads"]))
        out["smallest discovered circuit above 90%: knocked out / model"] = small["knocked out"] / small["model"]
    return out


def describe(results, found):
    """The lines replicate.py prints."""
    n, lines = numbers(results), []
    lines.append(f"  attribution patching (one forward and backward pass) against exact patching from ABC: heads at END "
                 f"r = {n['attribution vs exact, heads at END: r']:.2f} (integrated gradients, {results['ig steps']} steps: "
                 f"{n['integrated gradients vs exact, heads at END: r']:.2f}); residual map r = "
                 f"{n['attribution vs exact, residual map: r']:.2f} ({n['integrated gradients vs exact, residual map: r']:.2f})")
    exact, estimate = results["exact heads"], results["attribution heads"]
    lines.append("    where they disagree most (effect, exact vs attribution): " + ", ".join(
        f"{head_label(h)} {exact[h]:+.2f} vs {estimate[h]:+.2f}" for h in results["disagreements"]))
    layers, positions = found["resid layers"], found["resid positions"]
    shown = [layer for layer in (0, 12, 21, 24) if layer in layers] or layers[:1]
    lines.append("    residual stream, effect at (layer, position): exact / attribution / integrated gradients")
    for layer in shown:
        row = layers.index(layer)
        lines.append(f"      layer {layer:2d}: " + ", ".join(
            f"{name} {found['resid patching'][row, pos]:+.2f} / {results['attribution resid'][row, pos]:+.2f} / "
            f"{results['integrated resid'][row, pos]:+.2f}" for name, pos in positions.items() if name != "S1"))
    c = results["completeness"]
    lines.append(f"    the input's estimates summed: attribution {c['attribution']:+.2f}, integrated gradients "
                 f"{c['integrated']:+.2f}, exact M(ABC) - M(clean) {c['exact']:+.2f}")
    lines.append("  circuits discovered from gradients (top n heads kept, the rest mean-ablated over ABC): "
                 "heads needed for 70% / 90% faithfulness")
    named = {"16.0": (16, 0), **{f"name mover {head_label(h)}": h for h in found["name movers"]},
             **{f"S-inhibition {head_label(h)}": h for h in found["s-inhibition"][:2]}}
    for label, reached in results["first size reaching"].items():
        ranks = results["ranks"][label]
        where = ", ".join(f"{key} #{ranks[h]}" for key, h in named.items() if h in ranks)
        curve = results["curves"][label]
        lines.append(f"    from {label}: {reached[0.7] or '-'} / {reached[0.9] or '-'} heads; at "
                     + ", ".join(f"{n}: {f:.0%}" for n, f in zip(results["sizes"], curve)) + f"; ranks: {where}")
    graph = results["graph"]
    named_heads = set(found["circuit"]) | {(16, 0)}
    lines.append(f"    of the top {len(graph['heads'])} heads ({graph['label']}), in no named role: "
                 + ", ".join(head_label(h) for h in graph["heads"] if h not in named_heads))
    strongest = sorted(graph["edges"].items(), key=lambda item: -abs(item[1]))[:6]
    lines.append(f"    strongest edges among the top {len(graph['heads'])} heads ({graph['label']}; negative: the path raises "
                 "IO - S): " + ", ".join(f"{head_label(a)} -> {head_label(b)} {v:+.2f}" for (a, b), v in strongest))
    if "smallest" in results:
        small = results["smallest"]
        lines.append(f"    the smallest circuit above 90% (from mean over ABC: {', '.join(map(head_label, small['heads']))}): "
                     f"alone {small['circuit'] / small['model']:.0%}, but knocked out the model keeps "
                     f"{small['knocked out'] / small['model']:.0%} of its logit difference (the named circuit knocked out: "
                     f"{found['faithfulness']['knocked out'] / found['faithfulness']['model']:.0%})")
    return lines


def figures(results, found):
    exact, swept = results["exact heads"], ~results["exact heads"].isnan()
    labels = [head_label((l, h)) for l in range(exact.shape[0]) for h in range(exact.shape[1])]
    scatter = go.Figure(layout=dict(title="Patching each head's output at END from ABC: exact effect vs its first-order estimate "
                                    "(-1 = the whole logit difference removed)",
                                    xaxis_title="exact (one forward pass per head)", yaxis_title="estimate (gradients)"))
    for key, name in (("attribution heads", "attribution patching"), ("integrated heads", "integrated gradients")):
        keep = swept.flatten().numpy()
        scatter.add_trace(go.Scatter(x=exact.flatten().numpy()[keep], y=results[key].flatten().numpy()[keep], mode="markers",
                                     name=f"{name}, r = {results[key + ' r']:.2f}", text=np.array(labels)[keep]))
    low, high = float(np.nanmin(exact.numpy())), float(np.nanmax(exact.numpy()))
    scatter.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="estimate = exact", line=dict(dash="dot")))

    resid = go.Figure(go.Scatter(x=found["resid patching"].flatten().numpy(), y=results["attribution resid"].flatten().numpy(),
                                 mode="markers", text=[f"L{l} pos {p}" for l in found["resid layers"]
                                                       for p in range(found["resid patching"].shape[1])]),
                      layout=dict(title=f"Residual stream by (layer, position): exact effect vs attribution patching "
                                  f"(r = {results['attribution resid r']:.2f})", xaxis_title="exact", yaxis_title="estimate"))

    curve = go.Figure(layout=dict(title="Faithfulness of the top-n heads of each ranking (the rest mean-ablated over ABC)",
                                  xaxis=dict(title="heads kept", type="log"), yaxis=dict(title="faithfulness", tickformat=".0%")))
    for label, values in results["curves"].items():
        curve.add_trace(go.Scatter(x=results["sizes"], y=values, mode="lines+markers", name=f"ranked by attribution from {label}"))
    hand = found["faithfulness"]
    curve.add_trace(go.Scatter(x=[len(found["circuit"])], y=[hand["circuit"] / hand["model"]], mode="markers",
                               marker=dict(size=14, symbol="star"), name="the hand-named circuit"))
    return [scatter, resid, curve, circuit_graph(results["graph"], found)]


def circuit_graph(graph, found):
    """The discovered circuit: layers as rows, heads as nodes, the strongest edges drawn."""
    heads, edges = graph["heads"], graph["edges"]
    roles = {}
    for role in ("name movers", "negative name movers", "S suppressors", "other direct writers", "s-inhibition",
                 "induction heads", "duplicate-token heads", "backup"):  # a head in two roles is named by the first
        for head in found[role]:
            roles.setdefault(head, role)
    fig = go.Figure(layout=dict(title=f"The circuit discovered by {graph['label']} ({len(heads)} heads): edges carry the part of the "
                                "sender's attribution that flows through the receiver (the 25 strongest; red: the path raises IO - S)",
                                xaxis=dict(title="head", dtick=1, range=[-0.5, max(h for _, h in heads) + 1.5]),  # room for the labels
                                yaxis=dict(title="layer", autorange="reversed", dtick=1),
                                height=900, showlegend=False))
    strongest = sorted(edges.items(), key=lambda item: -abs(item[1]))[:25]
    scale = max((abs(v) for _, v in strongest), default=1.0) or 1.0
    for (sender, receiver), value in strongest:
        fig.add_trace(go.Scatter(x=[sender[1], receiver[1]], y=[sender[0], receiver[0]], mode="lines", hoverinfo="skip",
                                 line=dict(width=1 + 6 * abs(value) / scale, color="firebrick" if value < 0 else "steelblue")))
    fig.add_trace(go.Scatter(x=[h[1] for h in heads], y=[h[0] for h in heads], mode="markers+text",
                             text=[head_label(h) + (f" ({roles[h]})" if h in roles else "") for h in heads],
                             textposition="middle right", marker=dict(size=14, color="black")))
    return fig
