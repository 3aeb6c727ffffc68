# Your exercises. Replace each `raise NotImplementedError` with your code, one function at a
# time, and run `python -m exercises check part1` (or pytest on one test file) for feedback.
# Generated from solutions/part1_superposition.py by `python -m exercises.maintain stubs`: edit the solutions.
"""Part 1: features are not neurons. Toy models of superposition (Elhage et al. 2022).

A toy model squeezes n sparse features x into m < n hidden dimensions, h = W x, and reads them
back out with the same matrix, x' = ReLU(W^T h + b). Column W[:, i] is the direction feature i
gets in the hidden space. When features are dense the model keeps the m most important ones
and drops the rest; when they are sparse it packs more than m features in, at the price of a
little interference between them: superposition.

We train many such models at once, side by side, as "instances": every tensor has an instance
dimension, and one einsum runs all of them, so a whole sweep over sparsity or importance is one
training run. Shapes use: batch, instances, features (n), hidden (m).

Work through the functions marked @exercise in order; the others are given.
"""

import torch
from einops import einsum
from jaxtyping import Float, Int
from torch import Tensor, nn

from exercises import exercise

NOT_REPRESENTED, DEDICATED, SUPERPOSITION = 0, 1, 2  # the phases of classify_phase
PHASE_NAMES = ("extra feature not represented", "extra feature gets the dimension", "superposition")


def importance_decay(n_features: int, decay: float = 0.9) -> Float[Tensor, " features"]:
    """Importance decay**i of feature i: feature 0 matters most (the paper's 0.9**i)."""
    return decay ** torch.arange(n_features, dtype=torch.float32)


@exercise
def generate_batch(
    batch_size: int,
    feature_probability: Float[Tensor, " instances"],
    n_features: int,
    generator: torch.Generator,
) -> Float[Tensor, "batch instances features"]:
    """A batch of sparse synthetic features for every instance.

    Each feature of each example is, independently, present with probability
    feature_probability[instance] (1 - S, the paper's sparsity S) and then uniform in [0, 1];
    otherwise it is exactly 0. The procedure, exactly, so your batch matches the reference:
      - values  = torch.rand(batch_size, instances, n_features, generator=generator, device=...)
      - present = torch.rand(same shape, generator=generator, device=...) < the probability
        (draw the values first, then the mask; use feature_probability's device)
      - return the values where present, 0 elsewhere.
    Hint: feature_probability[:, None] broadcasts one probability per instance over its features.
    """
    raise NotImplementedError


class ToyModel(nn.Module):
    """n_instances independent toy models, trained side by side: h = W x, x' = ReLU(W^T h + b).

    W[k] is instance k's [hidden, features] matrix (the paper's W, m x n); its column
    W[k][:, i] is feature i's direction in the hidden space. b[k] is its output bias.
    Initial W: Xavier-normal (std sqrt(2 / (n + m))) from torch.Generator().manual_seed(seed).
    """

    def __init__(self, n_instances: int, n_features: int, n_hidden: int, seed: int = 0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        std = (2 / (n_features + n_hidden)) ** 0.5
        self.W = nn.Parameter(torch.randn(n_instances, n_hidden, n_features, generator=generator) * std)
        self.b = nn.Parameter(torch.zeros(n_instances, n_features))

    @exercise
    def forward(self, features: Float[Tensor, "batch instances features"]) -> Float[Tensor, "batch instances features"]:
        """Every instance's reconstruction x' = ReLU(W^T (W x) + b), all instances in one go.

        With W[k] of shape [hidden, features]: h[batch, k] = W[k] @ x[batch, k] (shape [hidden]),
        then x'[batch, k] = ReLU(W[k]^T @ h[batch, k] + b[k]). No loop over instances.
        Hint: two einsums, "batch inst feat, inst hid feat -> batch inst hid" and back again.
        """
        raise NotImplementedError


@exercise
def importance_weighted_loss(
    output: Float[Tensor, "batch instances features"],
    features: Float[Tensor, "batch instances features"],
    importance: Float[Tensor, "instances features"],
) -> Float[Tensor, " instances"]:
    """Each instance's loss: the importance-weighted squared error, averaged over batch and features.

    loss[k] = mean over batch b and features i of importance[k, i] * (features[b, k, i] - output[b, k, i])**2.
    Keep one loss per instance: the instances are separate models (training sums them).
    Hint: the importance [instances, features] broadcasts against [batch, instances, features] as is.
    """
    raise NotImplementedError


@exercise
def train_toy_model(
    model: ToyModel,
    feature_probability: Float[Tensor, " instances"],
    importance: Float[Tensor, "instances features"],
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
) -> Float[Tensor, "steps instances"]:
    """Trains every instance of `model` at once, in place, with Adam; returns each step's losses.

    The procedure, exactly, so your result matches the reference:
      - one generator for the whole run: torch.Generator(device=model.W.device).manual_seed(seed);
      - optimizer = torch.optim.Adam(model.parameters(), lr=lr);
      - every step: batch = generate_batch(batch_size, feature_probability, n_features, generator),
        losses = importance_weighted_loss(model(batch), batch, importance), then
        losses.sum().backward(), optimizer.step(), optimizer.zero_grad();
    and row s of the result is step s's `losses`, detached (before that step's update).
    Summing is right: instance k's parameters get only instance k's gradient.
    Fill a preallocated torch.zeros(steps, instances) row by row: a Python list of thousands of
    tiny tensors interleaved with the big batches fragments the CPU allocator (memory grows by
    about a batch per step on long runs).
    Hint: n_features is model.W.shape[-1]; history[step] = losses.detach().
    """
    raise NotImplementedError


@exercise
def feature_dimensionality(W: Float[Tensor, "instances hidden features"]) -> Float[Tensor, "instances features"]:
    """The fraction of a hidden dimension each feature gets (the paper's D_i).

    D_i = ||W_i||^2 / sum_j (Ŵ_i . W_j)^2, with W_i the column of feature i and Ŵ_i = W_i / ||W_i||.
    (The j = i term is ||W_i||^2, so D_i = 1 for a feature with a dimension to itself, 1/2 for
    an antipodal pair, 2/5 for a pentagon.) Multiplying through by ||W_i||^2 gives the
    equivalent D_i = ||W_i||^4 / sum_j (W_i . W_j)^2. A feature with W_i = 0 gets D_i = 0,
    not nan: clamp the denominator below at 1e-12.
    Hint: all the dot products W_i . W_j are the Gram matrix W^T W ([instances, features, features]).
    """
    raise NotImplementedError


@exercise
def interference(W: Float[Tensor, "instances hidden features"]) -> Float[Tensor, "instances features features"]:
    """How much reading out feature i picks up of feature j: W_i . W_j for i != j, and 0 on the diagonal.

    W^T W is what the model computes before the bias and ReLU: x' = ReLU(W^T W x + b). Its
    diagonal carries each feature back to itself; every off-diagonal entry is interference, the
    cost of superposition, that the ReLU and a negative bias must filter out.
    Hint: the Gram matrix, then zero the diagonal (torch.eye as a mask), without changing W.
    """
    raise NotImplementedError


class NeuronModel(ToyModel):
    """The toy model with a privileged basis: a ReLU on the hidden layer, so h's coordinates are neurons."""

    @exercise
    def forward(self, features: Float[Tensor, "batch instances features"]) -> Float[Tensor, "batch instances features"]:
        """x' = ReLU(W^T ReLU(W x) + b) for every instance: ToyModel's forward with a ReLU on h.

        The hidden ReLU makes the standard basis special: each hidden unit is a neuron that either
        fires or not. Row W[k][j, :] says which features neuron j of instance k responds to.
        Hint: the same two einsums as ToyModel.forward, with torch.relu on the hidden activations.
        """
        raise NotImplementedError


@exercise
def phase_grid(
    relative_importance: Float[Tensor, " R"], density: Float[Tensor, " D"]
) -> tuple[Float[Tensor, "instances 2"], Float[Tensor, " instances"]]:
    """One instance per (relative importance, density) pair, for a 2-feature phase diagram.

    Feature 0 has importance 1; the "extra" feature 1 has importance relative_importance[r].
    Both features are present with probability density[d]. Instance r * D + d is the pair (r, d)
    (row-major: importance is the slow index). Returns (importance [R*D, 2], feature_probability [R*D]).
    Hint: torch.meshgrid(..., indexing="ij") and .flatten(), or repeat_interleave and repeat.
    """
    raise NotImplementedError


@exercise
def classify_phase(W: Float[Tensor, "instances hidden 2"], threshold: float = 0.5) -> Int[Tensor, " instances"]:
    """Which phase each 2-feature model is in, read off its weights.

    A feature is represented when its column's norm ||W_i|| exceeds `threshold`. Feature 0 is the
    main one (importance 1), feature 1 the extra one. Per instance:
      NOT_REPRESENTED (0): the extra feature is not represented;
      DEDICATED (1):       the extra feature is represented and the main one is not;
      SUPERPOSITION (2):   both are represented (with one hidden dimension: antipodal, W = [a, -a]).
    Returns a long tensor of these codes.
    Hint: column norms are W.norm(dim=1); combine two boolean tensors with torch.where.
    """
    raise NotImplementedError


def represented(W: Float[Tensor, "instances hidden features"], threshold: float = 0.5) -> Int[Tensor, " instances"]:
    """How many features each instance represents (column norm above `threshold`)."""
    return (W.norm(dim=1) > threshold).sum(dim=-1)


def superposition_per_feature(W: Float[Tensor, "instances hidden features"]) -> Float[Tensor, "instances features"]:
    """The paper's colour in its bar plots: sum over j != i of (Ŵ_i . W_j)^2 (0: no feature shares i's direction)."""
    unit = W / W.norm(dim=1, keepdim=True).clamp(min=1e-8)
    return (einsum(unit, W, "inst hid i, inst hid j -> inst i j") ** 2 * (1 - torch.eye(W.shape[-1], device=W.device))).sum(-1)
