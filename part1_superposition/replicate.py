"""Part 1's replication: toy models of superposition, trained with your code, many at once.

    python -m exercises replicate part1 [--target solutions] [--quick] [--device cuda]

Four experiments, each one or two training runs of many instances side by side:
  (a) 5 features in 2 dimensions, importance 0.9**i, feature probability from 1 down to 0.01:
      2 orthogonal features, then antipodal pairs, then a pentagon;
  (b) 200 features in 20 dimensions, equal importance, feature probability 20^-t from 1 down to
      0.05: each feature's dimensionality D_i sticks at fractions (3/4 tetrahedra, 2/3 triangles,
      1/2 antipodal pairs, 2/5 pentagons), beside which configuration saves most loss per dimension;
  (c) the phase diagram of one extra feature beside a main one, in 1 dimension, over its
      relative importance and both features' density, beside the theory's;
  (d) the ReLU-hidden neuron model: neurons turn polysemantic as features get sparse.
Prints the headline numbers beside the paper's and writes figures/part1_report.html.
"""

import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import torch
from jaxtyping import Float
from plotly.subplots import make_subplots
from torch import Tensor
from tqdm.auto import tqdm

from exercises.device import get_device
from exercises.harness.targets import load_target
from exercises.plotting import save_report
from exercises.threads import cpu_threads

HERE = Path(__file__).parent
PENTAGON_PROBABILITIES = [1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01]
FRACTIONS = {"1": 1.0, "3/4": 3 / 4, "2/3": 2 / 3, "1/2": 1 / 2, "2/5": 2 / 5, "3/8": 3 / 8, "1/3": 1 / 3}
COUNTED = ["1", "3/4", "2/3", "1/2", "2/5"]  # the clusters we count in (b): features within CLUSTER_WIDTH, at the nearest
CLUSTER_WIDTH = 0.05
SAVING_NOISE = 0.02  # (b): the Monte Carlo noise of _configuration_benefit's savings, measured at p = 1 where all tie
SETTLED = 0.02  # (b): a D_i that moves less than this over the last stage of training has settled
# (b)'s dense end: there the configurations' losses differ by 1-5% (see _configuration_benefit), so
# the run ends with big batches and ever smaller steps: with lr 1e-2 on batches of 256 the gradient
# noise hides the differences, and at lr 3e-3 the features stay in triangles (tetrahedra form below).
DENSE_SCHEDULE = [(2000, 1e-2, 256), (2000, 3e-3, 1024), (2000, 1e-3, 1024), (1000, 3e-4, 1024)]
FULL = dict(
    pentagon=dict(schedule=[(3000, 5e-3, 1024)]),
    # (b): feature probability 20^-t (ARENA's sweep), in two runs.
    geometry=dict(n_features=200, n_hidden=20, runs=[
        dict(t=(0.0, 0.17, 8), schedule=DENSE_SCHEDULE),
        dict(t=(0.2, 1.0, 12), schedule=[(3000, 1e-2, 256), (1000, 2e-3, 256), (1000, 3e-4, 256)])],
        tie_breaker=dict(decay=0.99, schedule=DENSE_SCHEDULE)),
    phase=dict(importances=9, densities=9, replicas=6, schedule=[(3000, 5e-3, 1024)]),
    neurons=dict(n_features=10, n_hidden=5, probabilities=[1.0, 0.3, 0.1, 0.03], schedule=[(3000, 5e-3, 1024)]),
)
QUICK = dict(
    pentagon=dict(schedule=[(1500, 1e-2, 1024)]),
    geometry=dict(n_features=100, n_hidden=10, runs=[
        dict(t=(0.0, 0.17, 4), schedule=[(1000, 1e-2, 256), (500, 1e-3, 1024)]),
        dict(t=(0.2, 1.0, 6), schedule=[(1000, 1e-2, 256), (500, 2e-3, 256), (300, 3e-4, 256)])],
        tie_breaker=dict(decay=0.99, schedule=[(1000, 1e-2, 256), (500, 1e-3, 1024)])),
    phase=dict(importances=5, densities=5, replicas=3, schedule=[(1500, 1e-2, 512)]),
    neurons=dict(n_features=10, n_hidden=5, probabilities=[1.0, 0.1], schedule=[(1500, 1e-2, 512)]),
)
QUICK_EXPECTATIONS = {
    "(a) features represented at probability 1": (2, 2),
    "(a) features represented at probability 0.1": (5, 5),
    "(b) fraction of features with D within 0.05 of 1/2": (0.02, 1.0),
    "(c) dense cells in the paper's phase": (0.7, 1.0),
    "(c) cells where the empirical and theoretical diagrams agree": (0.7, 1.0),
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
        numbers[f"(b) represented features with D within {CLUSTER_WIDTH} of {name}, all instances"] = float(geometry["within"][name])
        numbers[f"(b) represented features with D within {CLUSTER_WIDTH} of {name} and nearest to it"] = float(count.sum())
    for name, count in geometry["counts_before_last_stage"].items():
        numbers[f"(b) represented features nearest to {name}, before the last stage"] = float(count)
    for settled, p in zip(geometry["settled"], geometry["run_probabilities"]):
        numbers[f"(b) represented features whose D moved less than {SETTLED} in the last stage, p = {p}"] = settled
    numbers["(b) loss at p = 1 over the loss of features on their own axes (D = 1)"] = float(geometry["loss_against_axes"][0])
    numbers["(b) features with D within 0.05 of 1 at p = 1, importance 0.99^i"] = float(geometry["tie_breaker"]["D_one"])
    numbers["(c) cells where the empirical and theoretical diagrams agree"] = phase["agreement"]
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


def _train(ex, model, probability, importance, schedule, what):
    """Trains in stages of (steps, lr, batch size), each with a fresh Adam and fresh batches: large
    steps first to find the geometry, then small ones to sharpen it. Returns every step's losses."""
    losses = []
    with tqdm(total=len(schedule), desc=f"training {what}", leave=False) as bar:
        for stage, (steps, lr, batch_size) in enumerate(schedule):
            losses.append(ex.train_toy_model(model, probability, importance, steps=steps,
                                             batch_size=batch_size, lr=lr, seed=stage).cpu())
            bar.update()
    return torch.cat(losses)


def _pentagon(ex, config, device) -> dict:
    """(a) 5 features, 2 dimensions, importance 0.9**i, one instance per feature probability."""
    probability = torch.tensor(PENTAGON_PROBABILITIES, device=device)
    n = len(probability)
    model = ex.ToyModel(n, 5, 2, seed=0).to(device)
    importance = ex.importance_decay(5, 0.9)[None].repeat(n, 1).to(device)
    _train(ex, model, probability, importance, config["schedule"], "(a) 5 features in 2 dimensions")
    W = model.W.detach().cpu()
    return dict(W=W, represented=ex.represented(W).tolist(), D=ex.feature_dimensionality(W),
                interference=ex.interference(W), superposition=ex.superposition_per_feature(W))


def _geometry(ex, config, device) -> dict:
    """(b) many features in few dimensions, equal importance, feature probability 20^-t from 1 (dense) down.

    Each run of config["runs"] is one model of several instances; D_i is measured before and after the
    last stage of training, to say whether it has settled."""
    n_features, n_hidden = config["n_features"], config["n_hidden"]
    probability, W, W_before_last_stage, b = [], [], [], []
    for run in config["runs"]:
        p = 20.0 ** -torch.linspace(*run["t"])
        model = ex.ToyModel(len(p), n_features, n_hidden, seed=0).to(device)
        importance = torch.ones(len(p), n_features, device=device)
        what = f"(b) {n_features} features in {n_hidden} dimensions, p = {p[0]:.2g} to {p[-1]:.2g}"
        _train(ex, model, p.to(device), importance, run["schedule"][:-1], what)
        W_before_last_stage.append(model.W.detach().cpu().clone())
        _train(ex, model, p.to(device), importance, run["schedule"][-1:], what + ", last stage")
        probability.append(p)
        W.append(model.W.detach().cpu())
        b.append(model.b.detach().cpu())
    probability, W, b = torch.cat(probability), torch.cat(W), torch.cat(b)
    D = ex.feature_dimensionality(W)
    live = W.norm(dim=1) > 0.5
    W_before = torch.cat(W_before_last_stage)
    D_before = ex.feature_dimensionality(W_before)
    D_change = (D - D_before).abs()
    counts = _cluster_counts(D, live)
    within = {name: int((((D - FRACTIONS[name]).abs() < CLUSTER_WIDTH) & live).sum()) for name in COUNTED}  # may overlap
    runs = _runs(config["runs"])
    return dict(probability=probability, D=D, live=live, n_hidden=n_hidden, cluster_counts=counts, within=within,
                dims_per_feature=n_hidden / (W**2).sum(dim=(1, 2)),
                counts_before_last_stage={name: int(count.sum()) for name, count in
                                          _cluster_counts(D_before, W_before.norm(dim=1) > 0.5).items()},
                run_probabilities=[f"{probability[run][0]:.2g} to {probability[run][-1]:.2g}" for run in runs],
                settled=[float((D_change[run][live[run]] < SETTLED).float().mean()) for run in runs],
                still_moving=((D_change > SETTLED) & live).sum(dim=-1).tolist(),
                near_half=float(((D - 0.5).abs() < CLUSTER_WIDTH).float().mean()),
                near_half_represented=float(((D[live] - 0.5).abs() < CLUSTER_WIDTH).float().mean()),
                loss_against_axes=_loss_against_axes(ex, W, b, probability, n_hidden),
                tie_breaker=_tie_breaker(ex, config, device),
                benefit=_configuration_benefit(probability))


def _cluster_counts(D, live) -> dict[str, Tensor]:
    """Per instance, the represented features whose D is within CLUSTER_WIDTH of each counted fraction,
    each feature counted once, at the nearest of all FRACTIONS."""
    distance = (D[..., None] - torch.tensor(list(FRACTIONS.values()))).abs()  # [instances, features, fractions]
    nearest = torch.where(distance.min(dim=-1).values < CLUSTER_WIDTH, distance.argmin(dim=-1), -1)
    return {name: ((nearest == list(FRACTIONS).index(name)) & live).sum(dim=-1) for name in COUNTED}


def _tie_breaker(ex, config, device) -> dict:
    """(b)'s densest instance (p = 1) again, with importance decay**i instead of equal importance: does the
    tie between projections break, and the most important features take an axis each (D = 1)?"""
    n_features, n_hidden, decay = config["n_features"], config["n_hidden"], config["tie_breaker"]["decay"]
    model = ex.ToyModel(1, n_features, n_hidden, seed=0).to(device)
    importance = ex.importance_decay(n_features, decay)[None].to(device)
    _train(ex, model, torch.ones(1, device=device), importance, config["tie_breaker"]["schedule"],
           f"(b) p = 1 with importance {decay}^i")
    W = model.W.detach().cpu()
    D, live = ex.feature_dimensionality(W)[0], W.norm(dim=1)[0] > 0.5
    return dict(decay=decay, represented=int(live.sum()), D_one=int(((D - 1).abs() < CLUSTER_WIDTH)[live].sum()),
                top=int(live[:n_hidden].sum()))


def _runs(runs: list[dict]) -> list[slice]:
    """The instances of each run of (b), in the order they are concatenated."""
    sizes = [run["t"][2] for run in runs]
    starts = [sum(sizes[:k]) for k in range(len(sizes))]
    return [slice(start, start + size) for start, size in zip(starts, sizes)]


def _loss_against_axes(ex, W, b, probability, n_hidden: int, samples: int = 8192) -> Float[Tensor, " instances"]:
    """Each trained instance's loss divided by that of the D = 1 solution: n_hidden features on their own
    axes (weight 1, bias 0) and the others replaced by their mean, p/2, through the bias."""
    n, n_features = b.shape
    axes = torch.zeros_like(W)
    axes[:, range(n_hidden), range(n_hidden)] = 1.0
    axes_bias = (probability / 2)[:, None].repeat(1, n_features)
    axes_bias[:, :n_hidden] = 0.0
    batch = ex.generate_batch(samples, probability, n_features, torch.Generator().manual_seed(1))
    importance = torch.ones(n, n_features)
    losses = []
    for weights, bias in ((W, b), (axes, axes_bias)):
        model = ex.ToyModel(n, n_features, n_hidden)
        model.load_state_dict({"W": weights, "b": bias})
        with torch.no_grad():
            losses.append(ex.importance_weighted_loss(model(batch), batch, importance))
    return losses[0] / losses[1]


def _polytope(name: str) -> Float[Tensor, "k d"]:
    """Unit vectors of the configuration whose features have D = name: k features in d dimensions."""
    if name == "1":
        return torch.ones(1, 1)
    if name == "1/2":
        return torch.tensor([[1.0], [-1.0]])
    if name == "3/4":  # a regular tetrahedron
        return torch.tensor([[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / 3**0.5
    k = {"2/3": 3, "2/5": 5}[name]  # a triangle, a pentagon
    angle = torch.arange(k) * 2 * torch.pi / k
    return torch.stack([angle.cos(), angle.sin()], dim=1)


def _configuration_benefit(probability, samples: int = 20000, steps: int = 200) -> dict[str, Tensor]:
    """For each configuration (D = 1, 3/4, 2/3, 1/2, 2/5) and feature probability p: how much loss one
    hidden dimension saves when spent on it, relative to giving it to one feature (so D = 1 scores 1).

    k features in d dimensions along the polytope's unit vectors, times a scale, with one bias, both fitted
    by Adam on fixed samples: saving per dimension = (k * Var(x) - loss) / d, where k * Var(x) is the loss
    of dropping the k features (predicting their mean). With equal importance and plenty of features, the
    model should spend every dimension on the configuration that saves most."""
    generator = torch.Generator().manual_seed(0)
    shape = (len(probability), samples, 5)  # every configuration sees the same samples, so their differences are sharp
    features = torch.rand(shape, generator=generator) * (torch.rand(shape, generator=generator) < probability[:, None, None])
    variance = probability / 3 - probability**2 / 4  # of a feature: present with probability p, then U[0, 1]
    benefit = {}
    for name in COUNTED:
        units = _polytope(name)
        k, d = units.shape
        x = features[..., :k]
        scale = torch.ones(len(probability), 1, 1, requires_grad=True)
        bias = torch.zeros(len(probability), 1, 1, requires_grad=True)
        optimizer = torch.optim.Adam([scale, bias], lr=0.02)
        for _ in range(steps):
            loss = ((x - torch.relu(scale * x @ units @ units.T + bias)) ** 2).sum(-1).mean(-1)
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
        benefit[name] = (k * variance - loss.detach()) / (d * variance)
    return benefit


def _phase(ex, config, device) -> dict:
    """(c) 2 features in 1 dimension over (relative importance, density). Each cell is trained `replicas`
    times from different initial weights (a 1-dimensional model can get stuck in a worse phase) and the
    replica with the lowest loss on one fixed evaluation batch is kept. Beside it, the theory."""
    relative_importance = torch.logspace(-1, 1, config["importances"])
    density = torch.logspace(0, -2, config["densities"])
    importance, probability = ex.phase_grid(relative_importance, density)
    replicas, cells = config["replicas"], len(probability)
    model = ex.ToyModel(cells * replicas, 2, 1, seed=0).to(device)
    _train(ex, model, probability.repeat(replicas).to(device), importance.repeat(replicas, 1).to(device),
           config["schedule"], f"(c) the phase diagram, {cells} cells x {replicas} replicas")
    batch = ex.generate_batch(20000, probability, 2, torch.Generator().manual_seed(1)).repeat(1, replicas, 1)
    with torch.no_grad():
        loss = ex.importance_weighted_loss(model.cpu()(batch), batch, importance.repeat(replicas, 1))
    best = loss.reshape(replicas, cells).argmin(dim=0) * cells + torch.arange(cells)
    shape = len(relative_importance), len(density)
    phases = ex.classify_phase(model.W.detach().cpu()[best]).reshape(shape)
    all_phases = ex.classify_phase(model.W.detach().cpu()).reshape(replicas, *shape)
    theory_losses = _theoretical_phase_losses(relative_importance, density)
    best_in_theory = torch.isclose(theory_losses, theory_losses.min(dim=0).values, rtol=1e-6)  # [3, R, D]; ties
    agrees = best_in_theory.gather(0, phases[None]).squeeze(0)  # a tie agrees with either phase
    dense = phases[:, 0]
    expected = torch.where(relative_importance > 1, ex.DEDICATED, ex.NOT_REPRESENTED)
    near_one = (relative_importance - 1).abs() < 1e-6
    return dict(relative_importance=relative_importance, density=density, phases=phases,
                theory=theory_losses.argmin(dim=0), theory_ties=best_in_theory.sum(dim=0) > 1,
                agreement=float(agrees.float().mean()), agrees=agrees,
                replicas_disagree=int((all_phases != all_phases[0]).any(dim=0).sum()),
                dense_agreement=float((dense == expected)[~near_one].float().mean()),
                sparse_superposition=float((phases[:, -1] == ex.SUPERPOSITION).sum()))


def _theoretical_phase_losses(relative_importance, density) -> Float[Tensor, "3 importances densities"]:
    """The expected loss of each phase's best simple weights, in closed form, in the order of the phase codes.

    A feature is present with probability p and then U[0, 1], so its variance is V = p/3 - p^2/4; the
    extra feature's loss counts r times.
      not represented, W = [1, 0]: the extra feature is predicted by its mean (the bias): r V.
      dedicated,       W = [0, 1]: the main feature is predicted by its mean: V.
      superposition, the better of
        antipodal, W = [1, -1], bias 0: exact unless both are present (probability p^2); then
          the output is ReLU(x1 - x2), the error min(x1, x2), and E[min(x1, x2)^2] = 1/6: (1 + r) p^2 / 6;
        shared, W = [cos a, sin a] with both norms at least 0.5 (cos^2 a in [1/4, 3/4]): a linear
          projection, which loses (sin^2 a + r cos^2 a) V at best, an upper bound (the ReLU only helps):
          min(1/4 + 3r/4, 3/4 + r/4) V. It ties with the others only at r = 1, where any direction does."""
    r, p = torch.meshgrid(relative_importance, density, indexing="ij")
    variance = p / 3 - p**2 / 4
    antipodal = (1 + r) * p**2 / 6
    shared = torch.minimum(0.25 + 0.75 * r, 0.75 + 0.25 * r) * variance
    return torch.stack([r * variance, variance, torch.minimum(antipodal, shared)])


def _neurons(ex, config, device) -> dict:
    """(d) the ReLU-hidden model: which features each neuron responds to, dense vs sparse."""
    probability = torch.tensor(config["probabilities"], device=device)
    n, n_features = len(probability), config["n_features"]
    model = ex.NeuronModel(n, n_features, config["n_hidden"], seed=0).to(device)
    importance = ex.importance_decay(n_features, 0.75)[None].repeat(n, 1).to(device)
    _train(ex, model, probability, importance, config["schedule"], "(d) the neuron model")
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
    print(f"    columns 1 ... 2/5: represented features with D within {CLUSTER_WIDTH} of that fraction (each counted once, "
          f"at the nearest of {', '.join(FRACTIONS)})\n"
          f"    moving: represented features whose D changed by more than {SETTLED} over the last stage of training\n"
          f"    loss / axes: the loss over that of {geometry['n_hidden']} features on their own axes (D = 1)\n"
          "    theory: the configuration that saves most loss per dimension, and its saving (D = 1 saves 1.00; "
          f"savings within {SAVING_NOISE} of each other tie, within the estimate's noise)")
    print("    probability  1/(1-S)  dims/feature  represented  " + "  ".join(f"{name:>4}" for name in COUNTED)
          + "  moving  loss / axes  theory")
    counts, benefit = geometry["cluster_counts"], geometry["benefit"]
    for k, (p, dims, live) in enumerate(zip(geometry["probability"].tolist(), geometry["dims_per_feature"].tolist(), geometry["live"])):
        best = max(benefit, key=lambda name: float(benefit[name][k]))
        theory = f"{best} ({float(benefit[best][k]):.2f})" if benefit[best][k] > 1 + SAVING_NOISE else "a tie with D = 1"
        print(f"    {p:11.3f}  {1 / p:7.2f}  {dims:12.3f}  {int(live.sum()):11d}  "
              + "  ".join(f"{int(counts[name][k]):4d}" for name in COUNTED)
              + f"  {geometry['still_moving'][k]:6d}  {float(geometry['loss_against_axes'][k]):11.3f}  {theory}")
    print("    all instances" + " " * 33 + "  ".join(f"{int(counts[name].sum()):4d}" for name in COUNTED))
    print("    all, within 0.05" + " " * 30 + "  ".join(f"{geometry['within'][name]:4d}" for name in COUNTED)
          + "  (windows overlap: a feature can count twice)")
    print("    all, before the last stage" + " " * 20
          + "  ".join(f"{geometry['counts_before_last_stage'][name]:4d}" for name in COUNTED))
    best_saving = torch.stack(list(benefit.values())).max(dim=0).values
    sparse = geometry["probability"] < 1
    clear = best_saving > 1 + SAVING_NOISE
    print(f"    settled: represented features whose D moved less than {SETTLED} over the last stage: "
          + ", ".join(f"{settled:.0%} at p = {p}" for settled, p in zip(geometry["settled"], geometry["run_probabilities"])))
    print(f"    D = 1: at p = 1 the trained model loses {float(geometry['loss_against_axes'][0]):.3f} times as much as "
          f"{geometry['n_hidden']} features on their own axes: every rank-{geometry['n_hidden']} projection of the dense "
          "features loses the same, so nothing pulls features onto axes; below p = 1 a shared configuration saves more "
          f"than D = 1 by over {SAVING_NOISE} at {int((clear & sparse).sum())} of {int(sparse.sum())} probabilities; "
          "the best configuration and D = 1 tie within the noise at p = "
          + ", ".join(f"{p:.2f}" for p in geometry["probability"][~clear].tolist()) + ".")
    tie = geometry["tie_breaker"]
    print(f"    breaking the tie: at p = 1 with importance {tie['decay']}^i ({1 - tie['decay']:.0%} less per feature), {tie['represented']} "
          f"features are represented ({tie['top']} of them among the {geometry['n_hidden']} most important), "
          f"{tie['D_one']} with D within {CLUSTER_WIDTH} of 1.")
    print("(c) phase diagram, 2 features in 1 dimension (rows: relative importance of the extra feature, high to low; "
          "columns: density, 1 down to 0.01; 0 not represented, 1 dedicated, 2 superposition), trained and in theory:")
    for r, row, theory in zip(phase["relative_importance"].flip(0).tolist(), phase["phases"].flip(0).tolist(),
                              phase["theory"].flip(0).tolist()):
        print(f"    {r:6.2f}  " + " ".join(str(c) for c in row) + "     " + " ".join(str(c) for c in theory))
    print(f"    agreement with the theory: {phase['agreement']:.0%} of cells (ties count as agreeing); cells whose replicas "
          f"ended in different phases: {phase['replicas_disagree']}")
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
    theory = go.Figure()
    for name, saving in geometry["benefit"].items():
        theory.add_trace(go.Scatter(x=(1 / probability).numpy(), y=saving.numpy(), mode="lines+markers",
                                    name=f"D = {name}"))
    theory.update_layout(title="(b) Theory: loss saved per hidden dimension by each configuration, relative to one "
                               "feature on its own axis (D = 1)",
                         xaxis=dict(type="log", title="1 / feature probability"), yaxis_title="saving per dimension",
                         height=450, width=900)
    return [scatter, histogram, theory]


def _phase_figure(phase) -> go.Figure:
    colours = [[0, "#dddddd"], [1 / 3, "#dddddd"], [1 / 3, "#4c78a8"], [2 / 3, "#4c78a8"], [2 / 3, "#e45756"], [1, "#e45756"]]
    fig = make_subplots(rows=1, cols=2, subplot_titles=["trained (best of the replicas)",
                                                        f"theory (agreement: {phase['agreement']:.0%} of cells)"])
    x = [f"{d:.3g}" for d in phase["density"].tolist()]
    y = [f"{r:.3g}" for r in phase["relative_importance"].tolist()]
    ties = [["tie" if tie else "" for tie in row] for row in phase["theory_ties"].tolist()]
    for col, (z, text) in enumerate([(phase["phases"], None), (phase["theory"], ties)], start=1):
        fig.add_trace(go.Heatmap(z=z.numpy(), x=x, y=y, zmin=-0.5, zmax=2.5, colorscale=colours, showscale=col == 1,
                                 text=text, texttemplate="%{text}" if text else None,
                                 colorbar=dict(tickvals=[0, 1, 2], ticktext=["extra not represented",
                                                                             "extra gets the dimension", "superposition"])),
                      row=1, col=col)
        fig.update_xaxes(title_text="feature density 1 - S", row=1, col=col)
    disagree = (~phase["agrees"]).nonzero().tolist()
    fig.add_trace(go.Scatter(x=[x[j] for _, j in disagree], y=[y[i] for i, _ in disagree], mode="markers",
                             marker=dict(symbol="x", size=14, color="black"), name="trained differs from theory"),
                  row=1, col=1)
    fig.update_yaxes(title_text="relative importance of the extra feature", row=1, col=1)
    fig.update_xaxes(range=[-0.5, len(x) - 0.5])  # the markers would otherwise pad the trained map's axes
    fig.update_yaxes(range=[-0.5, len(y) - 0.5])
    fig.update_layout(title="(c) Phase diagram: 2 features in 1 dimension", height=560, width=1300,
                      showlegend=True, legend=dict(orientation="h", x=0, y=-0.22))
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
