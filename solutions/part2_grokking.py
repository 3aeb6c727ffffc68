"""Part 2: models learn algorithms. Reverse-engineer a transformer that grokked modular addition.

A one-layer transformer is trained on a + b mod p from 30% of all pairs (Nanda et al. 2023). It
first memorises the training pairs, and only much later (weight decay slowly pushing it) finds a
general algorithm: it embeds each number as waves cos(wx), sin(wx) at a few key frequencies w,
multiplies the waves of a and b in the attention and MLP to get cos(w(a+b)) and sin(w(a+b)), and
reads the answer c off with the trig identity cos(w(a+b-c)) = cos(w(a+b))cos(wc) + sin(w(a+b))sin(wc),
which peaks exactly at c = a + b mod p.

Work through the functions marked @exercise in order; the others are given. Conventions:
- pair index i stands for the input (a, b) = (i // p, i % p); tokens are `a b =`, '=' is token p;
- activations over all pairs are laid out [p, p, ...]: the first axis is a, the second b;
- the Fourier basis has p rows: the constant, then cos and sin of frequency k for k = 1 .. p // 2.
The trainer and the transformer_lens model that holds its weights are in part2_grokking/model.py.
"""

import math

import einops
import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor

from exercises import exercise


def fourier_basis_names(p: int) -> list[str]:
    """The name of each row of fourier_basis(p): 'const', 'cos 1', 'sin 1', 'cos 2', ..."""
    return ["const"] + [f"{kind} {k}" for k in range(1, p // 2 + 1) for kind in ("cos", "sin")]


def frequency_rows(k: int) -> tuple[int, int]:
    """The rows of the Fourier basis that hold frequency k (k >= 1): cos k and sin k."""
    return 2 * k - 1, 2 * k


def a_plus_b_directions(p: int, freqs: list[int]) -> Float[Tensor, "pairs directions"]:
    """Unit vectors over the p*p pairs, cos(w(a+b)) and sin(w(a+b)) for w = 2 pi k / p, k in freqs.

    They are orthonormal (for distinct 0 < k < p/2), so projecting onto their span is one product."""
    a, b = torch.arange(p).repeat_interleave(p), torch.arange(p).repeat(p)
    angles = 2 * math.pi * torch.tensor(freqs, dtype=torch.float32)[None, :] * (a + b)[:, None] / p
    directions = torch.cat([angles.cos(), angles.sin()], dim=1)
    return directions / directions.norm(dim=0, keepdim=True)


@exercise
def all_pairs(p: int) -> tuple[Int[Tensor, "pairs 3"], Int[Tensor, " pairs"]]:
    """Every input of the task and its answer: tokens [p*p, 3] and labels [p*p].

    Row i is the input `a b =` for a = i // p, b = i % p, where '=' is token p (the token after
    the numbers 0 .. p-1); its label is (a + b) mod p.
    Hint: torch.arange(p).repeat_interleave(p) counts a; torch.arange(p).repeat(p) counts b.
    """
    a, b = torch.arange(p).repeat_interleave(p), torch.arange(p).repeat(p)
    tokens = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    return tokens, (a + b) % p


@exercise
def train_test_split(
    n_pairs: int, train_fraction: float, seed: int = 0
) -> tuple[Int[Tensor, " n_train"], Int[Tensor, " n_test"]]:
    """A random split of the pair indices 0 .. n_pairs-1 into train and test indices.

    Exactly, so that everyone trains the same model: shuffle with
    `torch.randperm(n_pairs, generator=torch.Generator().manual_seed(seed))`; the first
    int(train_fraction * n_pairs) indices of that order are the training set, the rest the test set.
    Hint: two slices of one permutation; they are disjoint and cover every pair once.
    """
    order = torch.randperm(n_pairs, generator=torch.Generator().manual_seed(seed))
    n_train = int(train_fraction * n_pairs)
    return order[:n_train], order[n_train:]


@exercise
def fourier_basis(p: int) -> Float[Tensor, "p p"]:
    """The Fourier basis over Z_p: an orthonormal [p, p] matrix whose rows are waves over x = 0 .. p-1.

    Row 0 is the constant; rows 2k-1 and 2k are cos(2 pi k x / p) and sin(2 pi k x / p) for
    k = 1 .. p // 2 (p is odd). Normalise every row to unit length, so basis @ basis.T = identity
    and `basis @ v` gives the Fourier coefficients of a function v over Z_p.
    Hint: build the rows unnormalised, then divide each by its norm (it is sqrt(p / 2) for cos and sin).
    """
    x = torch.arange(p, dtype=torch.float32)
    rows = [torch.ones(p)]
    for k in range(1, p // 2 + 1):
        rows += [torch.cos(2 * math.pi * k * x / p), torch.sin(2 * math.pi * k * x / p)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True)


@exercise
def fourier_transform_2d(
    acts: Float[Tensor, "p p ..."], basis: Float[Tensor, "p p"]
) -> Float[Tensor, "p p ..."]:
    """The 2D Fourier transform over (a, b) of activations laid out [p (a), p (b), ...].

    out[i, j, ...] = sum over a, b of basis[i, a] * basis[j, b] * acts[a, b, ...]: entry (i, j)
    says how much of the activation varies like wave i in a times wave j in b. Trailing axes
    (neurons, heads, ...) are transformed independently.
    Hint: two einsums, one axis at a time: "ia,ab...->ib..." over a, then "jb,ib...->ij..." over b.
    (A single "ia,jb,ab...->ij..." builds a p^4 intermediate: 650 MB for p = 113.) The basis is
    orthonormal, so the total sum of squares is kept.
    """
    over_a = torch.einsum("ia,ab...->ib...", basis, acts)
    return torch.einsum("jb,ib...->ij...", basis, over_a)


@exercise
def frequency_norms(W: Float[Tensor, "p d"], basis: Float[Tensor, "p p"]) -> Float[Tensor, " freqs"]:
    """How strongly each frequency k = 1 .. p // 2 is present in a matrix W over the p numbers.

    Transform W's rows to the Fourier basis (basis @ W); frequency k owns two rows, cos k and
    sin k (frequency_rows(k)); its norm is the square root of the sum of squares of both rows.
    The constant row is left out. Entry k-1 of the result is frequency k.
    Hint: square basis @ W, sum over d, drop row 0, reshape to [p // 2, 2], sum, sqrt.
    """
    power = ((basis @ W) ** 2).sum(dim=1)[1:]
    return einops.reduce(power, "(freq kind) -> freq", "sum", kind=2).sqrt()


@exercise
def key_frequencies(norms: Float[Tensor, " freqs"], min_share: float = 0.04) -> list[int]:
    """The key frequencies: those holding at least `min_share` of the total squared norm.

    `norms[k-1]` is frequency k's norm (as frequency_norms returns). The share of frequency k is
    norms[k-1]**2 / sum of all norms**2. Return the frequencies (1-based, ints) in increasing order.
    A random embedding spreads its norm evenly (each of p // 2 frequencies holds about 1/56 for
    p = 113); the trained one concentrates it in a handful.
    Hint: the frequency of index i is i + 1.
    """
    share = norms**2 / (norms**2).sum()
    return [int(i) + 1 for i in torch.nonzero(share >= min_share).flatten()]


@exercise
def neuron_frequency_fve(
    neuron_acts: Float[Tensor, "p p neurons"], basis: Float[Tensor, "p p"]
) -> tuple[Int[Tensor, " neurons"], Float[Tensor, " neurons"]]:
    """Cluster the MLP neurons by frequency: each neuron's best frequency and the fraction of its
    variance that frequency explains.

    Take the 2D Fourier transform of every neuron's activations over (a, b). Its variance is the
    sum of squares of all terms except (const, const). Frequency k explains the terms whose row
    and column are both in {const, cos k, sin k}, except (const, const): 8 terms. Return, per
    neuron, the frequency (1-based) explaining the largest fraction, and that fraction.
    Hint: index the squared transform with [rows][:, rows] for rows = [0, 2k-1, 2k]; subtract the (0, 0) term.
    """
    power = fourier_transform_2d(neuron_acts, basis) ** 2
    total = power.sum(dim=(0, 1)) - power[0, 0]
    explained = []
    for k in range(1, basis.shape[0] // 2 + 1):
        rows = torch.tensor([0, *frequency_rows(k)])
        explained.append(power[rows][:, rows].sum(dim=(0, 1)) - power[0, 0])
    fractions = torch.stack(explained) / total
    best = fractions.max(dim=0)
    return best.indices + 1, best.values


@exercise
def trig_form_fit(
    logits: Float[Tensor, "p p p"], freqs: list[int]
) -> tuple[Float[Tensor, " freqs"], float]:
    """How well the logits follow the trig-identity form sum over k of alpha_k cos(w_k (a + b - c)).

    `logits[a, b, c]` is the logit of answer c on input (a, b); w_k = 2 pi k / p. First centre the
    logits over c (subtract each input's mean logit: softmax ignores it). The functions
    cos(w_k (a+b-c)) for distinct frequencies are orthogonal over all (a, b, c), so the least-squares
    coefficient of each is <centred, cos_k> / <cos_k, cos_k>. Return the coefficients and the
    fraction of the centred logits' sum of squares the fit explains, 1 - |residual|^2 / |centred|^2.
    Hint: build cos_k as a [p, p, p] tensor from a[:, None, None] + b[None, :, None] - c[None, None, :].
    """
    p = logits.shape[0]
    centred = logits - logits.mean(dim=-1, keepdim=True)
    x = torch.arange(p, dtype=torch.float32)
    a_plus_b_minus_c = x[:, None, None] + x[None, :, None] - x[None, None, :]
    waves = torch.stack([torch.cos(2 * math.pi * k * a_plus_b_minus_c / p) for k in freqs])
    coefficients = (waves * centred).sum(dim=(1, 2, 3)) / (waves**2).sum(dim=(1, 2, 3))
    residual = centred - torch.einsum("k,kabc->abc", coefficients, waves)
    return coefficients, 1 - (residual**2).sum().item() / (centred**2).sum().item()


@exercise
def excluded_loss(
    logits: Float[Tensor, "pairs p"], labels: Int[Tensor, " pairs"], freqs: list[int], train_idx: Int[Tensor, " n"]
) -> float:
    """The training loss after removing the key frequencies' cos(w(a+b)), sin(w(a+b)) from the logits.

    Each answer's logit is a function over the p*p pairs (a column of `logits`). Subtract from
    every column its projection onto a_plus_b_directions(p, freqs), then return the mean
    cross-entropy over the training pairs. If the model only memorised, the key frequencies do
    not matter and this stays low; once it uses the algorithm, removing them hurts: this loss
    rises while the train loss stays low, long before the test loss drops.
    Hint: with D = a_plus_b_directions(p, freqs), the projection of the columns is D @ (D.T @ logits).
    """
    directions = a_plus_b_directions(logits.shape[1], freqs)
    kept = logits - directions @ (directions.T @ logits)
    return F.cross_entropy(kept[train_idx], labels[train_idx]).item()


@exercise
def restricted_loss(logits: Float[Tensor, "pairs p"], labels: Int[Tensor, " pairs"], freqs: list[int]) -> float:
    """The loss over all pairs when the logits keep only the key frequencies' cos(w(a+b)), sin(w(a+b)).

    Keep each column's mean over the pairs plus its projection onto a_plus_b_directions(p, freqs);
    drop everything else (the memorised part). Return the mean cross-entropy over all pairs. It
    falls as the algorithm forms, before the test loss does.
    Hint: mean + D @ (D.T @ (logits - mean)), with the mean over pairs (dim 0), kept per answer.
    """
    directions = a_plus_b_directions(logits.shape[1], freqs)
    mean = logits.mean(dim=0, keepdim=True)
    kept = mean + directions @ (directions.T @ (logits - mean))
    return F.cross_entropy(kept, labels).item()
