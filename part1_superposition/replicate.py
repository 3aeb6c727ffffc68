"""Part 1's replication: toy models of superposition, trained with your code, many at once.

    python -m exercises replicate part1 [--target solutions] [--quick] [--device cuda]

Four experiments, each one training run of many instances side by side:
  (a) 5 features in 2 dimensions, importance 0.9**i, feature probability from 1 down to 0.01:
      2 orthogonal features, then antipodal pairs, then a pentagon;
  (b) 200 features in 20 dimensions, equal importance, feature probability 0.7 down to 0.1: each
      feature's dimensionality D_i sticks at fractions (2/3 triangles, 1/2 antipodal pairs, 2/5
      pentagons, ...);
  (c) the phase diagram of one extra feature beside a main one, in 1 dimension, over its
      relative importance and both features' density;
  (d) the ReLU-hidden neuron model: neurons turn polysemantic as features get sparse.
Prints the headline numbers beside the paper's and writes figures/part1_report.html.
"""

import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from tqdm.auto import tqdm

from exercises.device import get_device
from exercises.grading import load_target
from exercises.plotting import save_report
from exercises.threads import cpu_threads

HERE = Path(__file__).parent
PENTAGON_PROBABILITIES = [1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01]
FRACTIONS = {"1": 1.0, "3/4": 3 / 4, "2/3": 2 / 3, "1/2": 1 / 2, "2/5": 2 / 5, "3/8": 3 / 8, "1/3": 1 / 3}
COUNTED = ["1", "3/4", "2/3", "1/2", "2/5"]  # the clusters we count in (b), within CLUSTER_WIDTH
CLUSTER_WIDTH = 0.05
FULL = dict(
    pentagon=dict(steps=3000, batch_size=1024, lr=5e-3),
    geometry=dict(n_features=200, n_hidden=20, instances=12, high=0.7, low=0.1, batch_size=256,
                  schedule=[(3000, 1e-2), (1000, 2e-3)]),
    phase=dict(importances=9, densities=9, replicas=3, steps=3000, batch_size=1024, lr=5e-3),
    neurons=dict(n_features=10, n_hidden=5, probabilities=[1.0, 0.3, 0.1, 0.03], steps=3000, batch_size=1024, lr=5e-3),
)
QUICK = dict(
    pentagon=dict(steps=1500, batch_size=1024, lr=1e-2),
    geometry=dict(n_features=100, n_hidden=10, instances=8, high=0.7, low=0.1, batch_size=256,
                  schedule=[(1000, 1e-2), (500, 2e-3)]),
    phase=dict(importances=5, densities=5, replicas=2, steps=1500, batch_size=512, lr=1e-2),
    neurons=dict(n_features=10, n_hidden=5, probabilities=[1.0, 0.1], steps=1500, batch_size=512, lr=1e-2),
)
QUICK_EXPECTATIONS = {
    "(a) features represented at probability 1": (2, 2),
    "(a) features represented at probability 0.1": (5, 5),
    "(b) fraction of features with D within 0.05 of 1/2": (0.02, 1.0),
    "(c) dense cells in the paper's phase": (0.7, 1.0),
}


def run(target: str = "exercises", quick: bool = False, device: str | None = None, out_dir: Path | None = None) -> dict[str, float]:
    """Runs the four experiments with `target`'s code; returns the headline numbers."""
    ex = load_target("part1", target)
    settings = QUICK if quick else FULL
    out_dir = Path(out_dir) if out_dir else HERE / "figures"
    device = get_device(device)
    started = time.perf_counter()
    with cpu_threads(device):  # these tensors are small: one thread is faster than two fighting over a shared CPU
        with tqdm(total=4, desc="part1 experiments") as bar:
            pentagon = _pentagon(ex, settings["pentagon"], device)
            bar.update()
            geometry = _geometry(ex, settings["geometry"], device)
            bar.update()
            phase = _phase(ex, settings["phase"], device)
            bar.update()
            neurons = _neurons(ex, settings["neurons"], device)
            bar.update()

    numbers = {f"(a) features represented at probability {p:g}": float(n)
               for p, n in zip(PENTAGON_PROBABILITIES, pentagon["represented"])}
    numbers["(a) D of the 5 features at probability 0.1 (pentagon: 0.4)"] = float(pentagon["D"][PENTAGON_PROBABILITIES.index(0.1)].mean())
    numbers["(b) fraction of features with D within 0.05 of 1/2"] = geometry["near_half"]
    numbers["(b) fraction of represented features with D within 0.05 of 1/2"] = geometry["near_half_represented"]
    for name, count in geometry["cluster_counts"].items():
        numbers[f"(b) represented features with D within {CLUSTER_WIDTH} of {name}, all instances"] = float(count.sum())
    numbers["(c) dense cells in the paper's phase"] = phase["dense_agreement"]
    numbers["(c) superposition cells at the sparsest density"] = phase["sparse_superposition"]
    numbers["(d) polysemantic neurons, densest"] = float(neurons["polysemantic"][0])
    numbers["(d) polysemantic neurons, sparsest"] = float(neurons["polysemantic"][-1])
    numbers["seconds"] = time.perf_counter() - started

    _print(numbers, pentagon, geometry, phase, neurons, settings, device)
    figures = [_pentagon_figure(pentagon), *_geometry_figures(geometry), _phase_figure(phase), _neuron_figure(neurons)]
    report = save_report(out_dir / "part1_report.html", "Part 1: toy models of superposition", figures,
                         {k: f"{v:.4g}" for k, v in numbers.items()})
    print(f"\nfigures: {report}")
    return numbers


def _train(ex, model, probability, importance, config, what):
    """Trains with config's steps and lr, or with its `schedule` of (steps, lr) stages (a fresh Adam and
    fresh batches each stage: a few large steps to settle the geometry, then smaller ones to sharpen it)."""
    schedule = config.get("schedule", [(config.get("steps"), config.get("lr"))])
    losses = []
    with tqdm(total=len(schedule), desc=f"training {what}", leave=False) as bar:
        for stage, (steps, lr) in enumerate(schedule):
            losses.append(ex.train_toy_model(model, probability, importance, steps=steps,
                                             batch_size=config["batch_size"], lr=lr, seed=stage).cpu())
            bar.update()
    return torch.cat(losses)


def _pentagon(ex, config, device) -> dict:
    """(a) 5 features, 2 dimensions, importance 0.9**i, one instance per feature probability."""
    probability = torch.tensor(PENTAGON_PROBABILITIES, device=device)
    n = len(probability)
    model = ex.ToyModel(n, 5, 2, seed=0).to(device)
    importance = ex.importance_decay(5, 0.9)[None].repeat(n, 1).to(device)
    _train(ex, model, probability, importance, config, "(a) 5 features in 2 dimensions")
    W = model.W.detach().cpu()
    return dict(W=W, represented=ex.represented(W).tolist(), D=ex.feature_dimensionality(W),
                interference=ex.interference(W), superposition=ex.superposition_per_feature(W))


def _geometry(ex, config, device) -> dict:
    """(b) many features in few dimensions, equal importance, a sweep of feature probability."""
    n, n_features = config["instances"], config["n_features"]
    probability = ex.log_spaced(config["high"], config["low"], n).to(device)
    model = ex.ToyModel(n, n_features, config["n_hidden"], seed=0).to(device)
    _train(ex, model, probability, torch.ones(n, n_features, device=device), config,
           f"(b) {n_features} features in {config['n_hidden']} dimensions, {n} sparsities")
    W = model.W.detach().cpu()
    D = ex.feature_dimensionality(W)
    live = W.norm(dim=1) > 0.5
    counts = {name: (((D - FRACTIONS[name]).abs() < CLUSTER_WIDTH) & live).sum(dim=-1) for name in COUNTED}  # [instances]
    return dict(probability=probability.cpu(), D=D, live=live, n_hidden=config["n_hidden"],
                dims_per_feature=config["n_hidden"] / (W**2).sum(dim=(1, 2)),
                near_half=float(((D - 0.5).abs() < CLUSTER_WIDTH).float().mean()),
                near_half_represented=float(((D[live] - 0.5).abs() < CLUSTER_WIDTH).float().mean()),
                cluster_counts=counts)


def _phase(ex, config, device) -> dict:
    """(c) 2 features in 1 dimension over (relative importance, density); each cell trained `replicas`
    times from different initial weights, keeping the lowest loss (a model can get stuck in a worse phase)."""
    relative_importance = torch.logspace(-1, 1, config["importances"])
    density = torch.logspace(0, -2, config["densities"])
    importance, probability = ex.phase_grid(relative_importance, density)
    replicas, cells = config["replicas"], len(probability)
    model = ex.ToyModel(cells * replicas, 2, 1, seed=0).to(device)
    losses = _train(ex, model, probability.repeat(replicas).to(device), importance.repeat(replicas, 1).to(device),
                    config, f"(c) the phase diagram, {cells} cells x {replicas} replicas")
    final = losses[-max(1, config["steps"] // 10):].mean(0).reshape(replicas, cells)
    best = final.argmin(dim=0) * cells + torch.arange(cells)
    phases = ex.classify_phase(model.W.detach().cpu()[best]).reshape(len(relative_importance), len(density))
    dense = phases[:, 0]
    expected = torch.where(relative_importance > 1, ex.DEDICATED, ex.NOT_REPRESENTED)
    near_one = (relative_importance - 1).abs() < 1e-6
    dense_agreement = float((dense == expected)[~near_one].float().mean())
    return dict(relative_importance=relative_importance, density=density, phases=phases,
                dense_agreement=dense_agreement, sparse_superposition=float((phases[:, -1] == ex.SUPERPOSITION).sum()))


def _neurons(ex, config, device) -> dict:
    """(d) the ReLU-hidden model: which features each neuron responds to, dense vs sparse."""
    probability = torch.tensor(config["probabilities"], device=device)
    n, n_features = len(probability), config["n_features"]
    model = ex.NeuronModel(n, n_features, config["n_hidden"], seed=0).to(device)
    importance = ex.importance_decay(n_features, 0.75)[None].repeat(n, 1).to(device)
    _train(ex, model, probability, importance, config, "(d) the neuron model")
    W = model.W.detach().cpu()
    strong = W.abs() > 0.5 * W.abs().amax(dim=-1, keepdim=True).clamp(min=0.1)  # [instances, neurons, features]
    alive = W.abs().amax(dim=-1) > 0.3
    polysemantic = ((strong.sum(-1) > 1) & alive).sum(-1)
    return dict(W=W, probability=probability.cpu(), polysemantic=polysemantic.tolist(), represented=ex.represented(W).tolist())


def _print(numbers, pentagon, geometry, phase, neurons, settings, device) -> None:
    print(f"\nPart 1 ({'quick' if settings is QUICK else 'full'} size, on {device}):")
    print("(a) 5 features in 2 dimensions, importance 0.9^i. Paper (its first figure): dense: the 2 most important "
          "features, orthogonal; 1-S = 0.2: 4 features in antipodal pairs; 1-S = 0.1: all 5 in a pentagon.")
    for p, k, D in zip(PENTAGON_PROBABILITIES, pentagon["represented"], pentagon["D"]):
        print(f"    feature probability {p:<5g} features represented (norm > 0.5): {k}   "
              f"D = {' '.join(f'{d:.2f}' for d in D.tolist())}")
    print(f"(b) {len(geometry['D'][0])} features in {geometry['n_hidden']} dimensions, equal importance. Paper: D_i sticks "
          "at 1, 3/4, 2/3, 1/2, 2/5, 3/8, ...; a wide plateau at 1/2 (antipodal pairs).")
    print(f"    fraction of all features with D within 0.05 of 1/2: {numbers['(b) fraction of features with D within 0.05 of 1/2']:.3f}"
          f"  (of represented features: {geometry['near_half_represented']:.3f})")
    print(f"    represented features with D within {CLUSTER_WIDTH} of each fraction, per instance "
          "(the windows of 2/5 and 3/8, 1/3 overlap):")
    print("    probability  1/(1-S)  dims/feature  represented  " + "  ".join(f"{name:>4}" for name in COUNTED))
    counts = geometry["cluster_counts"]
    for k, (p, dims, live) in enumerate(zip(geometry["probability"].tolist(), geometry["dims_per_feature"].tolist(), geometry["live"])):
        print(f"    {p:11.3f}  {1 / p:7.2f}  {dims:12.3f}  {int(live.sum()):11d}  "
              + "  ".join(f"{int(counts[name][k]):4d}" for name in COUNTED))
    print("    all instances" + " " * 33 + "  ".join(f"{int(counts[name].sum()):4d}" for name in COUNTED))
    print("(c) phase diagram, 2 features in 1 dimension (rows: relative importance of the extra feature, high to low; "
          "columns: density, 1 down to 0.01; 0 not represented, 1 dedicated, 2 superposition):")
    for r, row in zip(phase["relative_importance"].flip(0).tolist(), phase["phases"].flip(0).tolist()):
        print(f"    {r:6.2f}  " + " ".join(str(c) for c in row))
    print(f"    dense column in the paper's phase (extra dropped below importance 1, dedicated above): "
          f"{phase['dense_agreement']:.0%}; superposition cells at the sparsest density: {phase['sparse_superposition']:.0f}"
          f"/{len(phase['relative_importance'])}. Paper: superposition takes over as density falls, widest near importance 1.")
    print("(d) neuron model, 10 features, 5 ReLU neurons. Paper: dense: monosemantic neurons for the top features; "
          "sparse: more features than neurons, polysemantic neurons.")
    for p, poly, k in zip(neurons["probability"].tolist(), neurons["polysemantic"], neurons["represented"]):
        print(f"    feature probability {p:<5g} features represented: {k:2d}, polysemantic neurons: {poly}/5")
    print(f"time: {numbers['seconds']:.1f} s")


def _pentagon_figure(pentagon) -> go.Figure:
    W, n = pentagon["W"], len(PENTAGON_PROBABILITIES)
    fig = make_subplots(rows=1, cols=n, subplot_titles=[f"1-S = {p:g}<br>{k} features" for p, k in
                                                        zip(PENTAGON_PROBABILITIES, pentagon["represented"])])
    colours = ["#1f3b73", "#3f5fa0", "#6f8fc8", "#a6bde6", "#d5e2f7"]
    for k in range(n):
        for i in range(5):
            x, y = W[k, 0, i].item(), W[k, 1, i].item()
            fig.add_trace(go.Scatter(x=[0, x], y=[0, y], mode="lines+markers", line=dict(color=colours[i], width=3),
                                     name=f"feature {i} (importance {0.9**i:.2f})", showlegend=k == 0,
                                     marker=dict(size=[0, 8])), row=1, col=k + 1)
    limit = float(W.abs().max()) * 1.1
    fig.update_xaxes(range=[-limit, limit], showticklabels=False)
    fig.update_yaxes(range=[-limit, limit], showticklabels=False, scaleanchor="x")
    fig.update_layout(title="(a) Columns of W: 5 features in 2 dimensions, sparser to the right (darker: more important)",
                      height=330, width=170 * n + 200)
    return fig


def _geometry_figures(geometry) -> list[go.Figure]:
    probability, D, live = geometry["probability"], geometry["D"], geometry["live"]
    inverse_density = (1 / probability)[:, None].expand_as(D)
    jitter = 1 + 0.04 * (torch.rand(D.shape, generator=torch.Generator().manual_seed(0)) - 0.5)
    scatter = go.Figure()
    scatter.add_trace(go.Scatter(x=(inverse_density * jitter)[live].numpy(), y=D[live].numpy(), mode="markers",
                                 marker=dict(size=4, opacity=0.5), name="D_i of a represented feature"))
    scatter.add_trace(go.Scatter(x=(1 / probability).numpy(), y=geometry["dims_per_feature"].numpy(), mode="lines+markers",
                                 name="dimensions per feature, m / ||W||_F^2"))
    for name, value in FRACTIONS.items():
        scatter.add_hline(y=value, line=dict(dash="dot", width=1, color="grey"), annotation_text=name,
                          annotation_position="right")
    scatter.update_layout(title="(b) Feature dimensionality D_i against 1/(1-S): it sticks at simple fractions",
                          xaxis=dict(type="log", title="1 / feature probability"), yaxis=dict(title="D_i", range=[0, 1.1]),
                          height=550, width=900)
    histogram = go.Figure(go.Histogram(x=D[live].numpy(), xbins=dict(start=0, end=1.05, size=0.01)))
    for name, value in FRACTIONS.items():
        histogram.add_vline(x=value, line=dict(dash="dot", width=1, color="grey"), annotation_text=name)
    histogram.update_layout(title="(b) Histogram of D_i over every represented feature of every instance",
                            xaxis_title="D_i", yaxis_title="features", height=400, width=900)
    return [scatter, histogram]


def _phase_figure(phase) -> go.Figure:
    colours = [[0, "#dddddd"], [1 / 3, "#dddddd"], [1 / 3, "#4c78a8"], [2 / 3, "#4c78a8"], [2 / 3, "#e45756"], [1, "#e45756"]]
    fig = go.Figure(go.Heatmap(
        z=phase["phases"].numpy(), x=[f"{d:.3g}" for d in phase["density"].tolist()],
        y=[f"{r:.3g}" for r in phase["relative_importance"].tolist()], zmin=-0.5, zmax=2.5, colorscale=colours,
        colorbar=dict(tickvals=[0, 1, 2], ticktext=["extra not represented", "extra gets the dimension", "superposition"])))
    fig.update_layout(title="(c) Phase diagram: 2 features in 1 dimension", xaxis_title="feature density 1 - S",
                      yaxis_title="relative importance of the extra feature", height=520, width=800)
    return fig


def _neuron_figure(neurons) -> go.Figure:
    W, n = neurons["W"], len(neurons["probability"])
    fig = make_subplots(rows=1, cols=n, subplot_titles=[f"1-S = {p:g}: {k} polysemantic" for p, k in
                                                        zip(neurons["probability"].tolist(), neurons["polysemantic"])])
    scale = float(W.abs().max())
    for k in range(n):
        fig.add_trace(go.Heatmap(z=W[k].numpy(), colorscale="RdBu_r", zmin=-scale, zmax=scale, showscale=k == 0),
                      row=1, col=k + 1)
        fig.update_xaxes(title_text="feature", row=1, col=k + 1)
    fig.update_yaxes(title_text="neuron", autorange="reversed")
    fig.update_layout(title="(d) Neuron model weights W[neuron, feature]: one feature per neuron when dense, several when sparse",
                      height=380, width=300 * n + 100)
    return fig


if __name__ == "__main__":
    from exercises.cli import main

    raise SystemExit(main(["replicate", "part1", *sys.argv[1:]]))
