"""Part 2's replication: train the paper's transformer on a + b mod p, watch it grok, reverse-engineer it.

    python -m exercises replicate part2 [--target solutions] [--quick]
    PART2_SCHEDULE=paper python -m exercises replicate part2 --target solutions   # the paper's lr 1e-3
    PART2_LR=1e-2 python -m exercises replicate part2 --target solutions          # any other lr

Trains from scratch with the fast trainer (part2_grokking/model.py), keeping checkpoints; loads the
final weights into a transformer_lens TransformerBridge and, with your functions, finds the key
frequencies in the embedding, clusters the MLP neurons by frequency, fits the trig-identity form
of the logits, and computes the progress measures (excluded and restricted loss) over checkpoints.
Writes an offline HTML report to figures/ and the checkpoints to checkpoints/ (both gitignored).
"""

import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from plotly.subplots import make_subplots
from tqdm.auto import tqdm

from exercises.harness.targets import load_target
from exercises.plotting import save_report
from part2_grokking.model import PAPER_SCHEDULE, Config, load_into, to_bridge, train

HERE = Path(__file__).parent
FULL = Config()
QUICK = Config(p=53, lr=1e-2, max_steps=1500, stop_after_grok=60, eval_every=10, checkpoint_every=20)  # a smoke run: groks fast
QUICK_EXPECTATIONS = {
    "test accuracy": (0.98, 1.0),
    "train accuracy 100% at step": (0, 400),
    "key frequencies": (2, 8),
    "embedding norm share of key frequencies": (0.5, 1.0),
    "fraction of neurons explained by one frequency": (0.5, 1.0),
    "logit variance explained by the trig form": (0.5, 1.0),
    "restricted loss leads test loss by (steps)": (1, 10_000),
}
PAPER = {"key frequencies": "14, 35, 41, 42, 52 (5)", "grok step": "about 10k (lr 1e-3)",
         "neurons explained by one frequency": "about 85% of neurons above 85% FVE"}
NEURON_FVE_THRESHOLD = 0.85  # a neuron is "explained by one frequency" above this fraction of variance
LOSS_THRESHOLD = 1.0  # the progress measures are compared at the step each first falls below this


def run(target: str = "exercises", quick: bool = False, device: str | None = None, out_dir: Path | None = None) -> dict[str, float]:
    """Trains, analyses and reports; returns the headline numbers. Runs on the CPU (`device` ignored:
    the model is small enough that a CPU is the right tool)."""
    del device
    ex = load_target("part2", target)
    cfg = QUICK if quick else FULL
    if os.environ.get("PART2_SCHEDULE") == "paper":
        cfg = replace(cfg, **PAPER_SCHEDULE)
    if os.environ.get("PART2_LR"):  # any other learning rate, e.g. PART2_LR=1e-2
        cfg = replace(cfg, lr=float(os.environ["PART2_LR"]), max_steps=PAPER_SCHEDULE["max_steps"], eval_every=50, checkpoint_every=50)
    out_dir = Path(out_dir) if out_dir else HERE / "figures"
    started = time.perf_counter()

    tokens, labels = ex.all_pairs(cfg.p)
    train_idx, test_idx = ex.train_test_split(cfg.p**2, cfg.train_fraction, seed=cfg.seed)
    run_ = train(cfg, train_idx, test_idx)
    if not quick:
        checkpoint_dir = HERE / "checkpoints"
        checkpoint_dir.mkdir(exist_ok=True)
        torch.save({"config": vars(cfg), "checkpoints": run_.checkpoints, "history": run_.history},
                   checkpoint_dir / f"p{cfg.p}_lr{cfg.lr:g}_seed{cfg.seed}.pt")

    bridge = to_bridge(run_.params, cfg)
    with torch.no_grad():
        logits, cache = bridge.run_with_cache(tokens)
    logits = logits[:, -1]
    basis = ex.fourier_basis(cfg.p)

    W_E = bridge.state_dict()["embed.weight"][: cfg.p]
    norms = ex.frequency_norms(W_E, basis)
    key = ex.key_frequencies(norms)
    key_share = ((norms[[k - 1 for k in key]] ** 2).sum() / (norms**2).sum()).item()

    neuron_acts = cache["blocks.0.mlp.hook_post"][:, -1].reshape(cfg.p, cfg.p, -1)
    neuron_freq, neuron_fve = ex.neuron_frequency_fve(neuron_acts, basis)
    explained = neuron_fve > NEURON_FVE_THRESHOLD
    in_key = torch.tensor([int(f) in key for f in neuron_freq])

    _, trig_fraction = ex.trig_form_fit(logits.reshape(cfg.p, cfg.p, cfg.p), key)
    progress = _progress_measures(ex, bridge, run_, cfg, tokens, labels, train_idx, test_idx, key)

    history = run_.history
    train_100 = next((s for s, acc in zip(history["step"], history["train_acc"]) if acc == 1.0), float("nan"))
    numbers = {
        "grok step": float(run_.grok_step if run_.grok_step is not None else "nan"),
        "grok seconds": float(run_.grok_seconds if run_.grok_seconds is not None else "nan"),
        "ms per step": run_.ms_per_step,
        "final step": float(history["step"][-1]),
        "torch threads": float(run_.threads),
        "train accuracy 100% at step": float(train_100),
        **_smoothness(history),
        "test accuracy": (logits[test_idx].argmax(-1) == labels[test_idx]).float().mean().item(),
        "key frequencies": float(len(key)),
        "embedding norm share of key frequencies": key_share,
        "fraction of neurons explained by one frequency": explained.float().mean().item(),
        "explained neurons whose frequency is key": (explained & in_key).sum().item() / max(1, explained.sum().item()),
        "logit variance explained by the trig form": trig_fraction,
        **progress["numbers"],
        "seconds": time.perf_counter() - started,
    }
    _print(numbers, cfg, key)
    figures = _figures(ex, cfg, run_, norms, key, neuron_acts, basis, neuron_freq, neuron_fve, progress)
    report = save_report(out_dir / "part2_report.html", "Part 2: grokking modular addition", figures,
                         {"key frequency list": ", ".join(map(str, key)), **{k: f"{v:.4g}" for k, v in numbers.items()},
                          **{f"paper: {k}": v for k, v in PAPER.items()}})
    print(f"\nfigures: {report}")
    return numbers


def _progress_measures(ex, bridge, run_, cfg, tokens, labels, train_idx, test_idx, key) -> dict:
    """Train, test, excluded and restricted loss at every checkpoint, on the transformer_lens model."""
    rows = {k: [] for k in ("step", "train", "test", "excluded", "restricted")}
    for step, params in tqdm(sorted(run_.checkpoints.items()), desc="progress measures", leave=False):
        load_into(bridge, params, cfg)
        with torch.no_grad():
            logits = bridge(tokens)[:, -1]
        rows["step"].append(step)
        rows["train"].append(F.cross_entropy(logits[train_idx], labels[train_idx]).item())
        rows["test"].append(F.cross_entropy(logits[test_idx], labels[test_idx]).item())
        rows["excluded"].append(ex.excluded_loss(logits, labels, key, train_idx))
        rows["restricted"].append(ex.restricted_loss(logits, labels, key))
    load_into(bridge, run_.params, cfg)

    def first_below(name: str) -> float:
        return next((s for s, v in zip(rows["step"], rows[name]) if v < LOSS_THRESHOLD), float("nan"))

    memorised = next((i for i, v in enumerate(rows["train"]) if v < 0.1), 0)
    test_drop, restricted_drop = first_below("test"), first_below("restricted")
    rise_end = max(memorised, next((i for i, s in enumerate(rows["step"]) if s >= test_drop), len(rows["step"]) - 1))
    numbers = {
        "restricted loss below 1 at step": restricted_drop,
        "test loss below 1 at step": test_drop,
        "restricted loss leads test loss by (steps)": test_drop - restricted_drop,
        "excluded loss at memorisation": rows["excluded"][memorised],
        "excluded loss peak before test drop": max(rows["excluded"][memorised : rise_end + 1]),
        "train loss at that peak": rows["train"][memorised + int(np.argmax(rows["excluded"][memorised : rise_end + 1]))],
    }
    return {"rows": rows, "numbers": numbers}


PHASES = (("memorisation", "#1f77b4", "bottom left"), ("circuit formation", "#ff7f0e", "top right"),
          ("clean-up", "#2ca02c", "top left"))  # label corners chosen so a short first phase's label does not overlap


def _phases(history: dict, progress: dict) -> list[tuple[float, float]]:
    """The paper's three phases, read off the curves: memorisation until train accuracy is 100%;
    circuit formation until the test loss falls below 1; clean-up until the weight norm is lowest."""
    steps = history["step"]
    memorised = next((s for s, a in zip(steps, history["train_acc"]) if a == 1.0), steps[-1])
    generalised = progress["numbers"]["test loss below 1 at step"]
    generalised = steps[-1] if generalised != generalised else generalised  # nan: never generalised
    cleaned = steps[int(np.argmin(history["weight_norm"]))]
    return [(0, memorised), (memorised, generalised), (generalised, max(cleaned, generalised))]


def _smoothness(history: dict) -> dict[str, float]:
    """Is the run the paper's clean transition or a slingshot? Train accuracy after it first reaches
    100%, the largest rise of the train loss between two evaluations, and the weight norm's fall."""
    acc, loss, norm = history["train_acc"], history["train_loss"], history["weight_norm"]
    first = next((i for i, a in enumerate(acc) if a == 1.0), len(acc) - 1)
    low = int(np.argmin(norm))
    return {
        "lowest train accuracy after first reaching 100%": min(acc[first:]),
        "largest rise of the train loss between evaluations": max(b - a for a, b in zip(loss, loss[1:])),
        "weight norm, peak": max(norm),
        "weight norm, lowest": norm[low],
        "weight norm lowest at step": float(history["step"][low]),
        "weight norm, end": norm[-1],
    }


def _print(numbers: dict, cfg: Config, key: list[int]) -> None:
    n = numbers
    print(f"\nPart 2: p={cfg.p}, {cfg.train_fraction:.0%} of pairs for training, AdamW lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}")
    print(f"  grokked (test accuracy > 99%) at step {n['grok step']:.0f}, {n['grok seconds']:.1f} s, "
          f"{n['ms per step']:.1f} ms per step on {n['torch threads']:.0f} thread(s)   (paper: {PAPER['grok step']})")
    print(f"  train accuracy 100% at step {n['train accuracy 100% at step']:.0f}; final test accuracy {n['test accuracy']:.2%}")
    print(f"  no slingshot: train accuracy stays >= {n['lowest train accuracy after first reaching 100%']:.2%} once it is 100%; "
          f"the train loss never rises by more than {n['largest rise of the train loss between evaluations']:.3g} nats between evaluations")
    print(f"  total weight norm {n['weight norm, peak']:.1f} at its peak -> {n['weight norm, lowest']:.1f} at step "
          f"{n['weight norm lowest at step']:.0f} (clean-up) -> {n['weight norm, end']:.1f} at the end (step {n['final step']:.0f})")
    print(f"  key frequencies: {', '.join(map(str, key))} ({len(key)})   (paper's seed: {PAPER['key frequencies']})")
    print(f"  they hold {n['embedding norm share of key frequencies']:.1%} of the embedding's (non-constant) squared norm")
    print(f"  neurons explained by one frequency (> {NEURON_FVE_THRESHOLD:.0%} of variance): "
          f"{n['fraction of neurons explained by one frequency']:.1%}, {n['explained neurons whose frequency is key']:.1%} "
          f"of them at a key frequency   (paper: {PAPER['neurons explained by one frequency']})")
    print(f"  logit variance explained by sum_k alpha_k cos(w_k(a+b-c)): {n['logit variance explained by the trig form']:.1%}")
    print(f"  progress measures: restricted loss < 1 at step {n['restricted loss below 1 at step']:.0f}, test loss < 1 at step "
          f"{n['test loss below 1 at step']:.0f}; excluded loss {n['excluded loss at memorisation']:.2f} at memorisation -> "
          f"{n['excluded loss peak before test drop']:.2f} before the test loss drops (train loss then {n['train loss at that peak']:.3g})")
    print(f"  time: {n['seconds']:.1f} s")


def _figures(ex, cfg, run_, norms, key, neuron_acts, basis, neuron_freq, neuron_fve, progress) -> list[go.Figure]:
    h = run_.history
    curves = make_subplots(rows=1, cols=3, subplot_titles=("loss (log scale)", "accuracy", "total weight norm"))
    for name, colour in (("train", "#1f77b4"), ("test", "#d62728")):
        curves.add_trace(go.Scatter(x=h["step"], y=h[f"{name}_loss"], name=f"{name} loss", line=dict(color=colour)), 1, 1)
        curves.add_trace(go.Scatter(x=h["step"], y=h[f"{name}_acc"], name=f"{name} accuracy", line=dict(color=colour, dash="dot")), 1, 2)
    curves.add_trace(go.Scatter(x=h["step"], y=h["weight_norm"], name="weight norm", line=dict(color="#2ca02c")), 1, 3)
    for (start, end), (label, shade, corner) in zip(_phases(h, progress), PHASES):
        curves.add_vrect(x0=start, x1=end, fillcolor=shade, opacity=0.15, line_width=0, row="all", col="all",
                         annotation_text=label, annotation_position=corner)
    curves.update_yaxes(type="log", row=1, col=1)
    curves.update_layout(title=f"Grokking: train and test curves and the weight norm through the three phases "
                               f"(p={cfg.p}, lr {cfg.lr:g})", xaxis_title="step")

    freqs = list(range(1, len(norms) + 1))
    embedding = go.Figure(go.Bar(x=freqs, y=norms.numpy(), marker_color=["#d62728" if k in key else "#7f7f7f" for k in freqs]))
    embedding.update_layout(title=f"Embedding norm per frequency (key, red: {', '.join(map(str, key))})",
                            xaxis_title="frequency k", yaxis_title="norm")

    power = (ex.fourier_transform_2d(neuron_acts, basis) ** 2).sum(-1).sqrt()
    power[0, 0] = 0
    names = ex.fourier_basis_names(cfg.p) if hasattr(ex, "fourier_basis_names") else None
    fourier = go.Figure(go.Heatmap(z=power.numpy(), x=names, y=names, colorscale="Blues",
                                   hovertemplate="a: %{y}, b: %{x}: %{z:.2f}<extra></extra>"))
    fourier.update_layout(title="2D Fourier transform of the MLP activations over (a, b) (norm over neurons; const-const removed)",
                          xaxis_title="b component", yaxis_title="a component", height=700, width=760)

    clusters = make_subplots(rows=1, cols=2, subplot_titles=("neurons per best frequency (FVE > 85%)", "fraction of variance explained"))
    counts = torch.bincount(neuron_freq[neuron_fve > NEURON_FVE_THRESHOLD], minlength=len(norms) + 1)[1:]
    clusters.add_trace(go.Bar(x=freqs, y=counts.numpy(), name="neurons"), 1, 1)
    clusters.add_trace(go.Histogram(x=neuron_fve.numpy(), nbinsx=40, name="FVE"), 1, 2)
    clusters.update_layout(title="MLP neurons cluster by frequency", showlegend=False)

    rows = progress["rows"]
    measures = go.Figure()
    for name in ("train", "test", "excluded", "restricted"):
        measures.add_trace(go.Scatter(x=rows["step"], y=rows[name], name=f"{name} loss"))
    measures.update_yaxes(type="log")
    measures.update_layout(title="Progress measures over checkpoints: excluded loss rises, restricted loss falls, then test loss",
                           xaxis_title="step", yaxis_title="cross-entropy")
    return [curves, embedding, fourier, clusters, measures]


if __name__ == "__main__":
    from exercises.cli import main

    raise SystemExit(main(["replicate", "part2", *sys.argv[1:]]))
