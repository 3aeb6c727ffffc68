# ---
# jupyter:
#   kernelspec:
#     display_name: learn-mech-interp
#     language: python
#     name: learn-mech-interp
# ---

# %% [markdown]
# Your exercises. Replace each `raise NotImplementedError` with your code, one function at a
# time, and run `python -m exercises check part5` (or pytest on one test file) for feedback;
# opened as a notebook (`python -m exercises notebook part5`), run the check cell under it.
# Generated from solutions/part5_sae.py by `python -m exercises.maintain stubs`: edit the solutions.

# %% [markdown]
# # Part 5 — Dictionary learning finds features: sparse autoencoders (Cunningham et al. 2023)
#
# **The big idea.** Part 1 showed that a model can store more features than it has dimensions
# (superposition), so its neurons and residual-stream directions mix unrelated things. If the
# features are *sparse* (few are on for any one input), they can still be pulled apart: learn an
# overcomplete dictionary of directions d_1 ... d_m (m > d) so that every activation is a sparse,
# non-negative combination of a few of them,
#
#     x ≈ b_dec + Σ_i f_i(x) d_i,   f(x) = ReLU((x − b_dec) W_enc + b_enc),   most f_i(x) = 0.
#
# That is a **sparse autoencoder** (SAE): a one-hidden-layer autoencoder, much wider than its
# input, trained to reconstruct x with an L1 penalty on f. Cunningham, Ewart, Riggs, Huben and
# Sharkey (2023, *Sparse Autoencoders Find Highly Interpretable Features in Language Models*)
# showed that on toy data with known features an SAE recovers them, and that on a language model's
# residual stream its features are far more interpretable than neurons. In this part you build
# one, check it recovers known features, train it on a real model's residual stream, measure it
# the way the field does (L0, dead features, variance explained, loss recovered), and read its
# features from their top-activating contexts. Beyond the paper, you also build the TopK SAE of
# Gao et al. (2024, *Scaling and evaluating sparse autoencoders*) and compare the two at the same
# sparsity.
#
# Reference: Cunningham, Ewart, Riggs, Huben, Sharkey (2023), arXiv:2309.08600; the toy data
# follows Sharkey, Braun, Millidge (2022), *Taking features out of superposition with sparse
# autoencoders*; training details (unit-norm decoder with the parallel gradient removed,
# resampling dead features, input normalisation) follow Anthropic's *Towards Monosemanticity*
# (Bricken et al. 2023) and its 2024 updates; TopK: Gao et al. 2024.

# %%
"""Part 5: sparse autoencoders (Cunningham et al. 2023). Dictionary learning finds features.

A model represents more features than it has dimensions (part 1: superposition), so its neurons
and residual-stream directions are polysemantic. A sparse autoencoder (SAE) learns an
overcomplete dictionary of directions such that every activation is a sparse, non-negative
combination of a few of them: x ~ b_dec + sum_i f_i(x) d_i, with most f_i(x) = 0. If the model
really uses sparse features, the dictionary finds them: on toy data with known features it
recovers them (mean max cosine similarity ~ 0.99), and on a real model its directions read as
single concepts.

Work through the functions marked @exercise in order; the others are given. Conventions:
activations are rows, x is [batch, d_in]; the SAE has W_enc [d_in, d_sae], b_enc [d_sae],
W_dec [d_sae, d_in] (one unit-norm row per dictionary feature), b_dec [d_in] (SAELens's names
and layouts, so a trained SAE saves in SAELens's format). Language-model activations are the
residual stream after block `layer`: "blocks.{layer}.hook_resid_post", [batch, pos, d_model].
"""

import json
from pathlib import Path
from typing import Callable

import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor, nn

from exercises import exercise

RESAMPLE_INPUTS = 4096  # how many activations train_sae scores when it resamples dead features
SAE_WEIGHTS_FILENAME, SAE_CFG_FILENAME = "sae_weights.safetensors", "cfg.json"  # SAELens's names


# %% active="ipynb"
# from exercises.notebook import checker, replicate_in_notebook
# check = checker("part5", globals())  # check("name") tests that exercise as this notebook has it

# %%
# --- toy data with known features ---


def random_features(n_features: int, d: int, generator: torch.Generator) -> Float[Tensor, "n_features d"]:
    """n_features random unit vectors in d dimensions: the toy data's ground-truth dictionary."""
    directions = torch.randn(n_features, d, generator=generator)
    return directions / directions.norm(dim=-1, keepdim=True)


# %% [markdown]
# ### Exercise 1: `toy_feature_data`
#
# data with a known answer: many sparse features in fewer dimensions

# %%
@exercise
def toy_feature_data(
    features: Float[Tensor, "n_features d"], n_samples: int, p_active: float, generator: torch.Generator
) -> tuple[Float[Tensor, "n_samples d"], Float[Tensor, "n_samples n_features"]]:
    """Data made of known sparse features in superposition: returns (x, coefficients).

    Each sample switches each feature on independently with probability p_active, with a
    magnitude drawn uniformly from [0, 1]; off features are 0. The sample is the weighted sum of
    the feature vectors: x = coefficients @ features. With more features than dimensions the
    features cannot be orthogonal, but few are on at a time: the setting an SAE is built for.
    Draw the on/off mask first, then the magnitudes, both with torch.rand(n_samples,
    n_features, generator=generator), so your data matches the reference.
    Hint: (torch.rand(...) < p_active) * torch.rand(...).
    """
    raise NotImplementedError

# %% active="ipynb"
# check("toy_feature_data")

# %% [markdown]
# ### Exercise 2: `SparseAutoencoder.forward`
#
# the architecture: pre-encoder bias (subtract b_dec first), ReLU, decoder with unit-norm rows; tied and untied

# %%
# --- the sparse autoencoder ---


class SparseAutoencoder(nn.Module):
    """An SAE: latents f = act((x - b_dec) W_enc + b_enc), reconstruction x_hat = f W_dec + b_dec.

    act is ReLU (Cunningham et al.), or TopK when `k` is given (Gao et al. 2024: keep the k
    largest pre-activations). Decoder rows start at unit norm and training keeps them there.
    `tied`: the encoder is the decoder transposed (W_enc = W_dec^T), one matrix instead of two
    (the paper tried both). The encoder starts as the decoder's transpose either way.
    """

    def __init__(self, d_in: int, d_sae: int, *, k: int | None = None, batch_topk: bool = False, tied: bool = False,
                 seed: int = 0):
        super().__init__()
        if k is not None and not 0 < k <= d_sae:
            raise ValueError(f"k={k}: TopK keeps k of the d_sae={d_sae} latents, so 0 < k <= d_sae")
        if batch_topk and k is None:
            raise ValueError("batch_topk=True needs k, the mean number of latents kept per input (e.g. k=32)")
        generator = torch.Generator().manual_seed(seed)
        directions = torch.randn(d_sae, d_in, generator=generator)
        self.d_in, self.d_sae, self.k, self.batch_topk, self.tied = d_in, d_sae, k, batch_topk, tied
        self.W_dec = nn.Parameter(directions / directions.norm(dim=-1, keepdim=True))
        self.W_enc = None if tied else nn.Parameter(self.W_dec.detach().T.clone())
        self.b_enc = nn.Parameter(torch.zeros(d_sae))
        self.b_dec = nn.Parameter(torch.zeros(d_in))
        self.register_buffer("threshold", torch.zeros(d_sae))  # BatchTopK's inference threshold (JumpReLU's)

    @property
    def architecture(self) -> str:
        """SAELens's name for the architecture: "standard" (ReLU + L1), "topk" or "batchtopk"."""
        return "standard" if self.k is None else "batchtopk" if self.batch_topk else "topk"

    def encoder_weights(self) -> Float[Tensor, "d_in d_sae"]:
        """W_enc, or W_dec^T when tied."""
        return self.W_dec.T if self.tied else self.W_enc

    def activation(self, pre: Float[Tensor, "batch d_sae"]) -> Float[Tensor, "batch d_sae"]:
        """ReLU; TopK when the SAE has a k; BatchTopK when batch_topk (a JumpReLU at the learned threshold in eval mode)."""
        if self.k is None:
            return torch.relu(pre)
        if not self.batch_topk:
            return topk_activation(pre, self.k)
        if not self.training:
            return jump_relu(pre, self.threshold)
        latents = batch_topk_activation(pre, self.k)
        if torch.is_grad_enabled():  # a training step, not a resampling or an evaluation
            self.update_threshold_(latents)
        return latents

    @torch.no_grad()
    def update_threshold_(self, latents: Float[Tensor, "batch d_sae"], rate: float = 0.01) -> None:
        """Moves the inference threshold towards the smallest latent this batch kept (a running mean, as SAELens
        does); the first batch sets it, so a short training run does not end with a threshold pulled towards 0."""
        kept = latents[latents > 0]
        if len(kept):
            smallest = kept.min()
            self.threshold.copy_(smallest if not self.threshold.any() else (1 - rate) * self.threshold + rate * smallest)

    @exercise
    def forward(self, x: Float[Tensor, "batch d_in"]) -> tuple[Float[Tensor, "batch d_in"], Float[Tensor, "batch d_sae"]]:
        """Encodes and decodes x; returns (reconstruction, latents).

        Cunningham et al.'s architecture: subtract the decoder bias first (the "pre-encoder bias":
        b_dec is the dictionary's origin, so the encoder sees x relative to it), then
        pre = (x - b_dec) @ W_enc + b_enc, latents = self.activation(pre) (ReLU, or TopK when
        self.k is set), reconstruction = latents @ W_dec + b_dec.
        Use self.encoder_weights() for W_enc (it is W_dec^T when the SAE is tied), and keep it in
        the autograd graph (no .detach() or .data): a tied SAE's W_dec learns as the encoder too.
        Hint: three lines; every product is [batch, ...] @ [..., ...].
        """
        raise NotImplementedError

    def encode(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        return self(x)[1]

    @torch.no_grad()
    def normalise_decoder_(self) -> None:
        """Rescales every decoder row to unit norm, in place."""
        self.W_dec /= self.W_dec.norm(dim=-1, keepdim=True)

# %% active="ipynb"
# check("SparseAutoencoder.forward")

# %% [markdown]
# ### Exercise 3: `sae_loss`
#
# reconstruction error + L1: the trade-off between faithful and sparse

# %%
# --- training ---


@exercise
def sae_loss(
    x: Float[Tensor, "batch d_in"], reconstruction: Float[Tensor, "batch d_in"], latents: Float[Tensor, "batch d_sae"],
    l1_coeff: float,
) -> dict[str, Tensor]:
    """The SAE's training loss: reconstruction error plus an L1 penalty on the latents.

    Returns {"reconstruction": squared error summed over d_in, averaged over the batch;
    "l1": |latents| summed over d_sae, averaged over the batch; "loss": reconstruction +
    l1_coeff * l1}, each a 0-d tensor computed from the inputs with tensor operations, so it keeps
    the autograd graph: "reconstruction" (and "loss") back to `reconstruction`, "l1" (and "loss")
    back to `latents`. train_sae calls backward on "loss"; a term cut off by .detach(), .item(),
    float(...) or torch.tensor(...) sends no gradient to the SAE, which then never learns that part.
    The L1 term pushes latents to exactly zero (sparsity); it only means something because the
    decoder rows have unit norm (otherwise the SAE shrinks latents and grows the decoder).
    Hint: ((reconstruction - x) ** 2).sum(-1).mean().
    """
    raise NotImplementedError

# %% active="ipynb"
# check("sae_loss")

# %%
def remove_parallel_gradient(
    grad: Float[Tensor, "d_sae d_in"], W_dec: Float[Tensor, "d_sae d_in"]
) -> Float[Tensor, "d_sae d_in"]:
    """The decoder gradient without its component along each decoder row.

    A step along a row only changes the row's norm, which renormalising undoes anyway; removing
    it first lets the optimizer move rows only in directions that matter (Anthropic's trick).
    """
    if grad is None:
        raise ValueError(
            "sae.W_dec.grad is None: no gradient reached the decoder. Call remove_parallel_gradient after "
            "loss.backward(), and check that sae_loss's 'reconstruction' term keeps the autograd graph "
            "(no .detach(), .item() or torch.tensor(...)): pytest part5_sae/tests/test_sae_loss.py")
    unit = W_dec / W_dec.norm(dim=-1, keepdim=True)
    return grad - (grad * unit).sum(dim=-1, keepdim=True) * unit


# %%
@torch.no_grad()
def resample_dead_features(
    sae: SparseAutoencoder, dead: Bool[Tensor, " d_sae"], inputs: Float[Tensor, "n d_in"],
    optimizer: torch.optim.Optimizer, generator: torch.Generator,
) -> None:
    """Points every dead feature at an input the SAE reconstructs badly (Anthropic 2023), in place.

    Inputs are drawn with probability proportional to their squared reconstruction error
    (squared again, so the worst ones dominate); a dead feature's decoder row becomes the chosen
    input's direction, its encoder column the same direction scaled to 0.2 times the mean
    norm of the live encoder columns, its encoder bias 0; the optimizer forgets the old
    feature's moment estimates.
    """
    n_dead = int(dead.sum())
    if n_dead == 0:
        return
    errors = ((sae(inputs)[0] - inputs) ** 2).sum(dim=-1)
    chosen = inputs[torch.multinomial(errors**2 + 1e-12, n_dead, replacement=True, generator=generator)]
    directions = chosen - sae.b_dec
    directions = directions / directions.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    sae.W_dec[dead] = directions
    sae.b_enc[dead] = 0.0
    if not sae.tied:
        alive = ~dead
        scale = sae.W_enc[:, alive].norm(dim=0).mean() if alive.any() else torch.tensor(1.0)
        sae.W_enc[:, dead] = 0.2 * scale * directions.T
    for parameter, rows in [(sae.W_dec, dead), (sae.b_enc, dead)] + ([] if sae.tied else [(sae.W_enc, (slice(None), dead))]):
        for moment in optimizer.state.get(parameter, {}).values():
            if isinstance(moment, Tensor) and moment.shape == parameter.shape:
                moment[rows] = 0.0


# %% [markdown]
# ### Exercise 4: `train_sae`
#
# the training loop with the decoder-norm constraint in the update (remove the gradient along each row, renormalise after the step) and dead-feature resampling

# %%
@exercise
def train_sae(
    sae: SparseAutoencoder,
    activations: Float[Tensor, "n d_in"],
    *,
    steps: int,
    batch_size: int,
    lr: float,
    l1_coeff: float,
    seed: int = 0,
    resample_every: int = 0,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> list[float]:
    """Trains `sae` in place on rows of `activations`; returns every step's loss as a float.

    The procedure, exactly, so your result matches the reference:
      - `torch.optim.Adam(sae.parameters(), lr=lr)`; one generator `torch.Generator().manual_seed(seed)`;
      - each step: a batch `activations[torch.randint(0, n, (batch_size,), generator=generator)]`,
        `sae_loss(x, *sae(x), l1_coeff)["loss"]`, zero the grads, backward;
      - the decoder-norm constraint: before the optimizer step, replace sae.W_dec.grad by
        `remove_parallel_gradient(sae.W_dec.grad, sae.W_dec)`; after it, `sae.normalise_decoder_()`,
        so the decoder rows have unit norm after every step, not only at the end;
      - dead-feature resampling, when resample_every > 0: keep one [d_sae] bool record of the
        latents that were > 0 for any input of any batch since the last resampling (OR each
        step's batch into it); after every step s (counting from 1) with s % resample_every == 0
        and s < steps (none after the last step: nothing would train the new features), draw
        `activations[torch.randint(0, n, (RESAMPLE_INPUTS,), generator=generator)]`, call
        `resample_dead_features(sae, ~fired, those inputs, optimizer, generator)` and reset the
        record to all False, so each resampling judges only the steps since the previous one
        (a feature that fired once long ago and is dead now gets resampled). (It does nothing
        when no feature is dead.)
    When `progress` is given, call progress(step, {"loss": ..., "l0": ...}) once per step, step counting
    from 1, when the step is complete (after the renormalisation and after any resampling of that step):
    "loss" is the step's loss and "l0" the mean number of latents > 0 per input of the step's batch
    (a count, not a fraction of d_sae), both Python floats (.item()).
    Hint: optimizer.zero_grad(); loss.backward(); sae.W_dec.grad = remove_parallel_gradient(...); optimizer.step().
    """
    raise NotImplementedError

# %% active="ipynb"
# check("train_sae")

# %% [markdown]
# ### Exercise 5: `mean_max_cosine_similarity`
#
# how to score a dictionary against the truth (MMCS)

# %%
# --- scoring a dictionary against the truth ---


@exercise
def mean_max_cosine_similarity(learned: Float[Tensor, "d_sae d"], true: Float[Tensor, "n_features d"]) -> float:
    """How well a learned dictionary recovers the true features: the mean max cosine similarity.

    For every true feature, the cosine similarity of the learned direction closest to it; then
    the mean over the true features. 1.0 means every true feature has an exact copy in the
    dictionary (extra learned directions cost nothing). Rows need not have unit norm. Return a
    Python float (.item()), not a 0-d tensor.
    Hint: normalise the rows, one matrix product gives every cosine, then .max over the learned axis.
    """
    raise NotImplementedError

# %% active="ipynb"
# check("mean_max_cosine_similarity")

# %%
# --- a language model's activations ---


def validate_layer(model, layer: int) -> None:
    """A clear error for a layer the model does not have."""
    n_layers = model.cfg.n_layers
    if not isinstance(layer, int) or not 0 <= layer < n_layers:
        raise ValueError(f"layer {layer!r} is out of range: this model has layers 0 to {n_layers - 1} "
                         f"(its residual stream after block `layer`); pick one of those, e.g. {n_layers // 2}.")


# %%
def hook_name(layer: int) -> str:
    return f"blocks.{layer}.hook_resid_post"


# %% [markdown]
# ### Exercise 6: `collect_activations`
#
# a model's residual stream at one layer, stopping the forward pass there

# %%
@exercise
def collect_activations(
    model, tokens: Int[Tensor, "n_seq pos"], layer: int, batch_size: int = 8
) -> Float[Tensor, "n_seq pos d_model"]:
    """The residual stream after block `layer` for every token, computed `batch_size` sequences at a time.

    Cache only hook_name(layer) ("blocks.{layer}.hook_resid_post"; caching every hook wastes memory)
    and stop the forward pass right after block `layer`: the blocks above it and the unembedding
    are wasted work (half the cost at a middle layer). `model.run_with_cache(batch, names_filter=name,
    stop_at_layer=layer + 1)` does both. No gradients are needed. Return one tensor on the CPU.
    Hint: loop over tokens[i : i + batch_size]; torch.cat the cached tensors.
    """
    raise NotImplementedError

# %% active="ipynb"
# check("collect_activations")

# %%
def massive_token_mask(activations: Float[Tensor, "... d"], factor: float = 10.0) -> Bool[Tensor, " ..."]:
    """True where an activation's norm is more than `factor` times the median norm.

    Language models write a few enormous activations ("massive activations", Sun et al. 2024)
    at the first position and at some delimiter tokens; they act as attention sinks, not as
    content. They are rare but dominate any sum of squares.
    """
    norms = activations.norm(dim=-1)
    return norms > factor * norms.median()


# %%
def normalisation_scale(activations: Float[Tensor, "n d"]) -> float:
    """The factor s with mean ||s x||^2 = d: one L1 coefficient then suits any layer or model."""
    return (activations.shape[-1] / activations.pow(2).sum(dim=-1).mean()).sqrt().item()


# %% [markdown]
# ### Exercise 7: `reconstruction_metrics`
#
# L0, dead fraction, variance explained

# %%
# --- metrics ---


@exercise
def reconstruction_metrics(
    activations: Float[Tensor, "n d"], reconstructions: Float[Tensor, "n d"], latents: Float[Tensor, "n d_sae"]
) -> dict[str, float]:
    """How sparse and how faithful an SAE is on these inputs, as Python floats (.item(), not 0-d tensors).

    - "l0": the mean number of latents > 0 per input (how many features explain one input);
    - "dead_fraction": the fraction of latents that are 0 on every input here;
    - "variance_explained": 1 - sum ||x - x_hat||^2 / sum ||x - mean(x)||^2, the sums over
      every input and dimension, mean(x) the mean input (a constant predictor scores 0): one
      ratio of two sums over the whole batch, not a ratio per input (or per dimension) averaged.
    Hint: (latents > 0) is [n, d_sae]; .any(dim=0) marks the latents that ever fire.
    """
    raise NotImplementedError

# %% active="ipynb"
# check("reconstruction_metrics")

# %%
def next_token_loss(logits: Float[Tensor, "batch pos vocab"], tokens: Int[Tensor, "batch pos"]) -> float:
    """Mean cross-entropy of predicting every next token."""
    return torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1), tokens[:, 1:].flatten()).item()


# %% [markdown]
# ### Exercise 8: `loss_recovered`
#
# splicing the SAE into the model: does the model still work on the reconstruction?

# %%
@exercise
def loss_recovered(
    model,
    tokens: Int[Tensor, "batch pos"],
    layer: int,
    reconstruct: Callable[[Float[Tensor, "batch pos d_model"]], Float[Tensor, "batch pos d_model"]],
    where: Bool[Tensor, "batch pos"] | None = None,
) -> dict[str, float]:
    """The model's next-token loss with the SAE spliced in, against the clean model and zero-ablation.

    Three forward passes (no gradients), each giving next_token_loss(logits, tokens):
      "clean": the model as it is; "spliced": a hook on hook_name(layer) replaces the residual
      stream (the output of block `layer`, [batch, pos, d_model]) by reconstruct(residual);
      "zero_ablated": the same hook replaces it by zeros.
    Replace only at the positions where `where` is True (everywhere when None); elsewhere keep
    the model's own activation. "recovered" = (zero_ablated - spliced) / (zero_ablated - clean):
    1 when the SAE loses nothing, 0 when it is as bad as deleting the residual stream. All four
    values are Python floats (.item()).
    Hint: model.run_with_hooks(tokens, fwd_hooks=[(name, fn)]) with fn(activation, hook)
    returning torch.where(where[..., None], replacement, activation).
    """
    raise NotImplementedError

# %% active="ipynb"
# check("loss_recovered")

# %% [markdown]
# ### Exercise 9: `top_activating_examples`
#
# the top contexts that give a feature its name

# %%
# --- interpreting features ---


@exercise
def top_activating_examples(
    feature_acts: Float[Tensor, "n_seq pos"], k: int
) -> tuple[Float[Tensor, " k"], Int[Tensor, "k 2"]]:
    """The k largest activations of one feature over a corpus: (values, [sequence, position] of each).

    The k largest over every (sequence, position) of the corpus, largest first: one sequence may
    supply several of them. The contexts around these tokens are how a feature gets its name.
    Hint: topk over feature_acts.flatten(); a flat index i is (i // pos, i % pos).
    """
    raise NotImplementedError

# %% active="ipynb"
# check("top_activating_examples")

# %%
def promoted_tokens(model, direction: Float[Tensor, " d_model"], k: int = 8) -> tuple[list[str], list[float]]:
    """The tokens whose logits a feature's decoder direction raises most (through the unembedding)."""
    with torch.no_grad():
        logits = direction.to(model.W_U.device) @ model.W_U
    values, ids = logits.topk(k)
    return [model.tokenizer.decode([i]) for i in ids.tolist()], values.tolist()


# %% [markdown]
# ### Exercise 10: `topk_activation`
#
# Gao et al.'s TopK activation: sparsity by construction, no L1

# %%
# --- beyond the paper: TopK SAEs ---


@exercise
def topk_activation(pre: Float[Tensor, "batch d_sae"], k: int) -> Float[Tensor, "batch d_sae"]:
    """Gao et al. 2024's activation: keep each row's k largest pre-activations (ReLU'd), zero the rest.

    Each row (input) on its own, whatever d_sae and k are. Exactly k entries per row survive,
    even when values tie at the k-th place (which of the tied ones is up to you; a threshold
    `pre >= k-th largest` keeps them all). L0 is then at most k by construction:
    no L1 penalty, and no shrinkage of the kept latents (the L1 penalty pulls every latent
    towards 0; TopK does not).
    Hint: values, indices = pre.topk(k, dim=-1); torch.zeros_like(pre).scatter(-1, indices, values.relu()).
    """
    raise NotImplementedError

# %% active="ipynb"
# check("topk_activation")

# %% [markdown]
# ### Exercise 11: `batch_topk_activation`
#
# going further: BatchTopK (Bussmann et al. 2024), k latents per input *on average* over a batch; at inference a JumpReLU at a learned threshold

# %%
# --- today's SAEs: BatchTopK ---


@exercise
def batch_topk_activation(pre: Float[Tensor, "batch d_sae"], k: int) -> Float[Tensor, "batch d_sae"]:
    """Bussmann et al. 2024's activation: keep the k * batch largest pre-activations of the whole batch (ReLU'd).

    TopK gives every input exactly k latents; BatchTopK gives the batch k per input *on average*:
    one top-(k * batch) over all batch * d_sae entries at once, so an input with more going on
    gets more latents and a simple one fewer. Exactly k * batch entries survive, even with ties.
    An input's latents now depend on the rest of the batch, which is fine in training but not at
    inference: there the SAE (given code) keeps every pre-activation above one threshold, the
    running mean of the smallest value this function kept, a JumpReLU (SAELens saves a trained
    BatchTopK SAE as a JumpReLU SAE).
    Hint: pre.flatten().topk(k * batch); scatter the ReLU'd values into zeros; reshape back.
    """
    raise NotImplementedError

# %% active="ipynb"
# check("batch_topk_activation")

# %%
def jump_relu(pre: Float[Tensor, "batch d_sae"], threshold: Float[Tensor, " d_sae"]) -> Float[Tensor, "batch d_sae"]:
    """Keeps the pre-activations above their latent's threshold (and above 0), zeroes the rest."""
    return pre * (pre > threshold.clamp_min(0))


# %% [markdown]
# ### Exercise 12: `steering_effect`
#
# going further: the causal test; add a feature's direction to the residual stream (steering) or subtract it where it fires (ablation) and measure the next-token distribution

# %%
# --- causality: does the feature do what its name says? ---


@exercise
def steering_effect(
    model, tokens: Int[Tensor, "batch pos"], layer: int, direction: Float[Tensor, " d_model"],
    coefficient: float | Float[Tensor, "batch pos"], token_ids: Int[Tensor, " n"],
) -> dict[str, Float[Tensor, "batch pos"]]:
    """What adding coefficient * direction to the residual stream after block `layer` does to the next-token distribution.

    Two forward passes, no gradients: the clean model, and the model with a hook on
    hook_name(layer) that adds coefficient * direction to the residual stream at every position.
    `coefficient` is a number (steering: the same push everywhere) or a [batch, pos] tensor, one
    amount per position (ablating a feature where it fires: coefficient = -its activation, which
    is 0 where it does not fire). Returns two [batch, pos] tensors:
      "log_prob_shift": log P_steered(token_ids) - log P_clean(token_ids), where P(token_ids) is
        the total probability of the set at that position (the logsumexp of the log-softmax over
        the ids): positive when the intervention pushes the model towards those tokens;
      "kl": KL(P_clean || P_steered) = sum_v P_clean(v) (log P_clean(v) - log P_steered(v)) over
        the whole vocabulary: how much the intervention changes everything else.
    Hint: coefficient * direction broadcasts to [batch, pos, d_model] once a number or a
    [batch, pos, 1] tensor; torch.as_tensor(coefficient) turns a number into a 0-d tensor.
    """
    raise NotImplementedError

# %% active="ipynb"
# check("steering_effect")

# %%
# --- saving in SAELens's layout ---


def save_sae(sae: SparseAutoencoder, path: Path, *, scale: float = 1.0, metadata: dict | None = None) -> Path:
    """Writes `sae` as SAELens reads it from disk: path/cfg.json and path/sae_weights.safetensors.

    The SAE was trained on activations multiplied by `scale`; the scale is folded into the
    weights (W_enc * s, W_dec / s, b_dec / s), so the saved SAE reads raw activations.
    `metadata` (model_name, hook_name, ...) goes into the config's "metadata". A BatchTopK SAE is
    saved as SAELens saves one for inference: a JumpReLU SAE with its threshold for every latent.
    """
    from safetensors.torch import save_file

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        weights = {
            "W_enc": (sae.encoder_weights() * scale).contiguous(),
            "W_dec": (sae.W_dec / scale).contiguous(),
            "b_enc": sae.b_enc.clone(),
            "b_dec": (sae.b_dec / scale).contiguous(),
        }
        if sae.batch_topk:
            weights["threshold"] = sae.threshold.clone()  # the pre-activations do not change with the scale
    save_file({k: v.detach().cpu().float() for k, v in weights.items()}, str(path / SAE_WEIGHTS_FILENAME))
    config = {
        "architecture": {"standard": "standard", "topk": "topk", "batchtopk": "jumprelu"}[sae.architecture],
        "d_in": sae.d_in, "d_sae": sae.d_sae, "dtype": "float32", "device": "cpu",
        "apply_b_dec_to_input": True, "normalize_activations": "none", "reshape_activations": "none",
        "metadata": {"sae_lens_version": "6.0.0", **(metadata or {})},  # the layout of SAELens 6's configs
    }
    if sae.architecture == "topk":
        config["k"] = sae.k
    if sae.batch_topk:
        config["metadata"]["batch_topk_k"] = sae.k  # SAELens's JumpReLU config has no k; training it again needs one
    (path / SAE_CFG_FILENAME).write_text(json.dumps(config, indent=1))
    return path


# %%
def load_sae(path: Path) -> tuple[SparseAutoencoder, dict]:
    """Reads an SAE that save_sae (or SAELens: standard, topk or jumprelu) wrote: (the SAE on raw activations, its config).

    A JumpReLU SAE comes back as a BatchTopK SAE in eval mode (its thresholds decide which latents fire).
    """
    from safetensors.torch import load_file

    path = Path(path)
    config = json.loads((path / SAE_CFG_FILENAME).read_text())
    architecture = config.get("architecture", "standard")
    if architecture not in ("standard", "topk", "jumprelu"):
        raise ValueError(f"{path}: architecture {architecture!r}; this course reads 'standard', 'topk' and 'jumprelu' SAEs")
    weights = load_file(str(path / SAE_WEIGHTS_FILENAME))
    d_in, d_sae = config["d_in"], config["d_sae"]
    if architecture == "jumprelu":  # k only matters when training it again; an SAE from elsewhere has none
        sae = SparseAutoencoder(d_in, d_sae, k=config.get("metadata", {}).get("batch_topk_k", d_sae), batch_topk=True).eval()
    else:
        sae = SparseAutoencoder(d_in, d_sae, k=config.get("k") if architecture == "topk" else None)
    names = ("W_enc", "W_dec", "b_enc", "b_dec") + (("threshold",) if architecture == "jumprelu" else ())
    with torch.no_grad():
        for name in names:
            getattr(sae, name).copy_(weights[name])
    return sae, config


# %% [markdown]
# ## The replication
#
#
# ```bash
# python -m exercises replicate part5                      # on your code
# python -m exercises replicate part5 --target solutions   # on the reference
# python -m exercises replicate part5 --target solutions --quick   # tiny sizes, a cache under the output folder
# PART5_LAYER=10 python -m exercises replicate part5 --target solutions   # another layer (0-29)
# ```
#
# 1. **Toy data with known features.** 64 random unit vectors in 32 dimensions; each sample turns
#    each feature on with probability 0.06 (3.8 on average), magnitude uniform in [0, 1]; 50,000
#    samples, normalised so that the mean squared norm is 32. SAEs of 128 and 64 latents, L1
#    coefficients 0.3 to 10, 2,500 Adam steps each (batch 256, lr 3e-3, resampling every 625
#    steps), scored by MMCS against the true features.
# 2. **SmolLM2-135M's residual stream after block 14** (of 0-29), over the shipped Moby Dick:
#    2,000 sequences of 128 tokens (a BOS token, then 127 tokens of the book), 256,000 activations,
#    cached on disk in `part5_sae/checkpoints/` (float16, **296 MB**; read back in under a second;
#    the cache is refused with an error that says what to do when it comes from another model or
#    layer, from other tokens, or is damaged). The last 100 sequences are held out. The massive
#    tokens (below) are set aside; the other 241,300 training activations are scaled so their mean
#    squared norm is 576. Three SAEs of 1,152 latents (2x), 1,500 Adam steps each (batch 512,
#    lr 1e-3, resampling every 500 steps): the paper's ReLU + L1 (coefficient 1.5), and a TopK and a
#    BatchTopK SAE whose k is set to the L1 SAE's L0 (matched sparsity). Then L0, dead fraction and
#    variance explained on the held-out tokens, the next-token loss with each SAE spliced in (24
#    held-out sequences), dashboards of six features, and the three SAEs saved in SAELens's layout.
# 3. **Going further** (below): the sparsity frontier (nine more SAEs), the causal test of the six
#    dashboard features, the random-weights control, and one HTML dashboard per feature.
#
# Measured with `python -m exercises replicate part5 --target solutions` on the course's 2-core,
# no-GPU machine (2026-12-03, quiet; two runs reading the cache gave the same numbers to every printed
# digit):
#
# | result | paper | ours (reference solutions) |
# |---|---|---|
# | toy: MMCS at the best L1 coefficient | above 0.99 (Cunningham et al., after Sharkey et al.) | **0.997** (128 latents, L1 3.0; L0 4.4 vs the true 3.8) |
# | toy: MMCS across the sweep (128 latents; L1 0.3 / 1 / 3 / 10) | falls off on both sides of the best coefficient | 0.931 / 0.991 / **0.997** / 0.481 (dead at 10: L0 0.04) |
# | toy: 64 latents (as many as the true features), L1 3 | — | 0.982 |
# | activations | — | **256,000** (241,300 train), 296 MB cache |
# | massive tokens: share of tokens / of the held-out variance | — | **0.80% / 99%** (norm 164x the median) |
# | L1 SAE: L0, dead | — | **55.9, 0.0%** |
# | L1 SAE: variance explained, ordinary tokens / all tokens | — | **0.754** / −10.6 |
# | L1 SAE: next-token loss clean → spliced (zero-ablated 14.08) | — | 4.637 → 4.877: **loss recovered 0.975** |
# | L1 SAE spliced in at the massive tokens too | — | loss recovered 0.751 |
# | TopK SAE (k = 56): L0, dead | Gao et al.: TopK beats ReLU + L1 at equal L0 | **56.0, 1.6%** |
# | TopK SAE: variance explained, ordinary tokens / all tokens | | **0.816** / 0.844 |
# | TopK SAE: next-token loss spliced | | 4.750: **loss recovered 0.988** |
# | BatchTopK SAE (k = 56): L0, dead | Bussmann et al.: BatchTopK beats TopK at equal L0 | **55.3, 1.0%** |
# | BatchTopK SAE: variance explained, ordinary tokens / all tokens | | **0.824** / 0.487 |
# | BatchTopK SAE: next-token loss spliced | | 4.738: **loss recovered 0.989** |
#
# At the same L0, TopK explains more variance (0.816 vs 0.754) and loses less of the model's loss
# (0.988 vs 0.975), as Gao et al. report: the L1 penalty shrinks every active latent towards zero,
# TopK does not. BatchTopK is a little better again (0.824, 0.989), as Bussmann et al. report; the
# frontier below shows that this holds at every L0 we tried, not only at this one.
#
# Where the time goes (2026-12-03, quiet machine, load average about 1): a run that reads the cache
# took **13 min 6 s** wall (784 s; a second run 774 s; both before the forward passes chose their thread count, which adds a few seconds of timing): model load 14 s, the toy sweep 10 s, the
# three headline SAEs 26 s, 32 s and 41 s (1,500 steps each; BatchTopK's top-k over the whole
# batch is the slowest), their spliced losses 51 s (nine full forward passes of 3,072 tokens), the
# frontier's nine more SAEs 433 s (48 s each, training and spliced losses), the causal test 80 s
# (120 forward passes of 4 sequences), the random-weights control 88 s (collecting its 64,000
# activations 34 s, training 32 s, scoring 21 s), the dashboards 4 s. The first run also builds
# the cache: the forward passes through blocks 0-14 for 256,000 tokens took 107 s here (2,400
# tokens/s; `ThreadChooser` in `exercises/threads.py` picks one or two threads as it goes, so the
# collection holds up beside another busy process: 1,012 tokens/s there against 485 with two
# threads fixed, measured 2026-11-28), so a run from scratch takes about 15 minutes. On a busier
# machine everything stretches: the first cache here was built at load average 8 to 9 at 148
# tokens/s. The quick run (the course's smoke test: `python -m exercises replicate part5 --quick
# --target solutions`, 40 sequences of 64 tokens, SAEs of 576 latents trained 150 steps, every
# going-further step at a tiny size) took 63 s quiet and 131 s beside one other busy process (its forward passes choose one or two threads by timing a step first; before they did, 48 s quiet and 193 s under that load), model load included: toy MMCS 0.963, L1 SAE
# L0 77.9 and loss recovered 0.881, TopK 0.917, BatchTopK 0.919. **On another CPU** (the `avx2`
# kernel setting of `python -m exercises.maintain kernels`, 2026-12-01, with the 2,000-step recipe
# of that day) the run gave every number of that day's table to within 0.02 (the dead fraction to
# 0.3 points).

# %% active="ipynb"
# numbers = replicate_in_notebook("part5", globals())  # on your code, at the quick size; figures below
