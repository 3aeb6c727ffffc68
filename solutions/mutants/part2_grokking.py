"""Known-wrong versions of part 2's exercises: the course checks that the tests catch each one."""

import math

import torch
import torch.nn.functional as F

from exercises.testing import mutant
from solutions import part2_grokking as ref


@mutant("all_pairs", "a and b swapped in the layout")
def all_pairs_transposed(p):
    tokens, labels = ref.all_pairs(p)
    return tokens[:, [1, 0, 2]], labels


@mutant("all_pairs", "no mod p in the labels")
def all_pairs_no_mod(p):
    tokens, _ = ref.all_pairs(p)
    return tokens, tokens[:, 0] + tokens[:, 1]


@mutant("all_pairs", "'=' is token 0")
def all_pairs_equals_zero(p):
    tokens, labels = ref.all_pairs(p)
    return torch.cat([tokens[:, :2], torch.zeros_like(tokens[:, 2:])], dim=1), labels


@mutant("train_test_split", "unseeded permutation")
def split_unseeded(n_pairs, train_fraction, seed=0):
    order = torch.randperm(n_pairs)
    n_train = int(train_fraction * n_pairs)
    return order[:n_train], order[n_train:]


@mutant("train_test_split", "train and test swapped")
def split_swapped(n_pairs, train_fraction, seed=0):
    train, test = ref.train_test_split(n_pairs, 1 - train_fraction, seed)
    return test, train


@mutant("train_test_split", "rounds the training size up")
def split_rounds_up(n_pairs, train_fraction, seed=0):
    order = torch.randperm(n_pairs, generator=torch.Generator().manual_seed(seed))
    n_train = math.ceil(train_fraction * n_pairs)
    return order[:n_train], order[n_train:]


@mutant("fourier_basis", "rows not normalised")
def fourier_basis_unnormalised(p):
    x = torch.arange(p, dtype=torch.float32)
    waves = [f(2 * math.pi * k * x / p) for k in range(1, p // 2 + 1) for f in (torch.cos, torch.sin)]
    return torch.stack([torch.ones(p), *waves])


@mutant("fourier_basis", "sin before cos")
def fourier_basis_sin_first(p):
    basis = ref.fourier_basis(p)
    order = [0] + [i for k in range(1, p // 2 + 1) for i in (2 * k, 2 * k - 1)]
    return basis[order]


@mutant("fourier_basis", "frequencies off by one (0 .. p//2 - 1)")
def fourier_basis_off_by_one(p):
    x = torch.arange(p, dtype=torch.float32)
    rows = [torch.ones(p)]
    for k in range(1, p // 2 + 1):
        rows += [torch.cos(2 * math.pi * (k - 1) * x / p), torch.sin(2 * math.pi * (k - 1) * x / p)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True).clamp(min=1e-6)


@mutant("fourier_transform_2d", "a and b axes swapped")
def fourier_transform_2d_swapped(acts, basis):
    return torch.einsum("ia,jb,ab...->ji...", basis, basis, acts)


@mutant("fourier_transform_2d", "inverse transform (basis transposed)")
def fourier_transform_2d_inverse(acts, basis):
    return torch.einsum("ai,bj,ab...->ij...", basis, basis, acts)


@mutant("fourier_transform_2d", "only a transformed")
def fourier_transform_2d_one_axis(acts, basis):
    return torch.einsum("ia,ab...->ib...", basis, acts)


@mutant("frequency_norms", "squared norms")
def frequency_norms_squared(W, basis):
    return ref.frequency_norms(W, basis) ** 2


@mutant("frequency_norms", "cos and sin not combined (pairs of neighbours mixed)")
def frequency_norms_misaligned(W, basis):
    power = ((basis @ W) ** 2).sum(dim=1)[:-1]
    return power.reshape(-1, 2).sum(-1).sqrt()


@mutant("frequency_norms", "sum of absolute coefficients, not a norm")
def frequency_norms_l1(W, basis):
    return (basis @ W).abs().sum(dim=1)[1:].reshape(-1, 2).sum(-1)


@mutant("key_frequencies", "share of norms, not squared norms")
def key_frequencies_unsquared(norms, min_share=0.04):
    share = norms / norms.sum()
    return [int(i) + 1 for i in torch.nonzero(share >= min_share).flatten()]


@mutant("key_frequencies", "0-based frequencies")
def key_frequencies_zero_based(norms, min_share=0.04):
    return [k - 1 for k in ref.key_frequencies(norms, min_share)]


@mutant("key_frequencies", "sorted by norm, not by frequency")
def key_frequencies_by_norm(norms, min_share=0.04):
    return sorted(ref.key_frequencies(norms, min_share), key=lambda k: -float(norms[k - 1]))


def _fve_with_constant_in_total(neuron_acts, basis, constant_in_each_frequency: bool):
    """Fractions of variance whose total keeps the constant term; each frequency keeps it too, or not."""
    power = ref.fourier_transform_2d(neuron_acts, basis) ** 2
    total = power.sum(dim=(0, 1))
    fractions = []
    for k in range(1, basis.shape[0] // 2 + 1):
        rows = torch.tensor([0, 2 * k - 1, 2 * k])
        share = power[rows][:, rows].sum(dim=(0, 1))
        fractions.append((share if constant_in_each_frequency else share - power[0, 0]) / total)
    best = torch.stack(fractions).max(dim=0)
    return best.indices + 1, best.values


@mutant("neuron_frequency_fve", "constant term counted as variance")
def neuron_fve_with_constant(neuron_acts, basis):
    return _fve_with_constant_in_total(neuron_acts, basis, constant_in_each_frequency=True)


@mutant("neuron_frequency_fve", "only the (k, k) products, no linear terms")
def neuron_fve_products_only(neuron_acts, basis):
    power = ref.fourier_transform_2d(neuron_acts, basis) ** 2
    total = power.sum(dim=(0, 1)) - power[0, 0]
    fractions = []
    for k in range(1, basis.shape[0] // 2 + 1):
        rows = torch.tensor([2 * k - 1, 2 * k])
        fractions.append(power[rows][:, rows].sum(dim=(0, 1)) / total)
    best = torch.stack(fractions).max(dim=0)
    return best.indices + 1, best.values


@mutant("neuron_frequency_fve", "0-based frequencies")
def neuron_fve_zero_based(neuron_acts, basis):
    freq, fve = ref.neuron_frequency_fve(neuron_acts, basis)
    return freq - 1, fve


@mutant("trig_form_fit", "logits not centred over c")
def trig_form_uncentred(logits, freqs):
    p = logits.shape[0]
    x = torch.arange(p, dtype=torch.float32)
    abc = x[:, None, None] + x[None, :, None] - x[None, None, :]
    waves = torch.stack([torch.cos(2 * math.pi * k * abc / p) for k in freqs])
    coefficients = (waves * logits).sum(dim=(1, 2, 3)) / (waves**2).sum(dim=(1, 2, 3))
    residual = logits - torch.einsum("k,kabc->abc", coefficients, waves)
    return coefficients, 1 - (residual**2).sum().item() / (logits**2).sum().item()


@mutant("trig_form_fit", "a + b + c instead of a + b - c")
def trig_form_plus_c(logits, freqs):
    return ref.trig_form_fit(logits.flip(-1).roll(1, dims=-1), freqs)


@mutant("trig_form_fit", "coefficients not divided by the wave's norm")
def trig_form_unnormalised(logits, freqs):
    p = logits.shape[0]
    coefficients, fraction = ref.trig_form_fit(logits, freqs)
    return coefficients * p**3 / 2, fraction


@mutant("excluded_loss", "evaluated on every pair, not the training pairs")
def excluded_loss_all_pairs(logits, labels, freqs, train_idx):
    return ref.excluded_loss(logits, labels, freqs, torch.arange(len(labels)))


@mutant("excluded_loss", "nothing removed")
def excluded_loss_nothing_removed(logits, labels, freqs, train_idx):
    return F.cross_entropy(logits[train_idx], labels[train_idx]).item()


@mutant("excluded_loss", "projected across answers, not across pairs")
def excluded_loss_wrong_axis(logits, labels, freqs, train_idx):
    p = logits.shape[1]
    x = torch.arange(p, dtype=torch.float32)
    directions = torch.stack([f(2 * math.pi * k * x / p) for k in freqs for f in (torch.cos, torch.sin)], dim=1)
    directions = directions / directions.norm(dim=0, keepdim=True)
    kept = logits - (logits @ directions) @ directions.T
    return F.cross_entropy(kept[train_idx], labels[train_idx]).item()


@mutant("restricted_loss", "column means dropped")
def restricted_loss_no_mean(logits, labels, freqs):
    directions = ref.a_plus_b_directions(logits.shape[1], freqs)
    return F.cross_entropy(directions @ (directions.T @ logits), labels).item()


@mutant("restricted_loss", "keeps everything but the key frequencies")
def restricted_loss_inverted(logits, labels, freqs):
    directions = ref.a_plus_b_directions(logits.shape[1], freqs)
    return F.cross_entropy(logits - directions @ (directions.T @ logits), labels).item()


@mutant("all_pairs", "no '=' column: tokens [p*p, 2]")
def all_pairs_without_equals(p):
    tokens, labels = ref.all_pairs(p)
    return tokens[:, :2], labels


@mutant("train_test_split", "test starts one past the end of train (one pair lost)")
def split_loses_a_pair(n_pairs, train_fraction, seed=0):
    order = torch.randperm(n_pairs, generator=torch.Generator().manual_seed(seed))
    n_train = int(train_fraction * n_pairs)
    return order[:n_train], order[n_train + 1 :]


@mutant("train_test_split", "seed ignored (always seeded 0)")
def split_ignores_seed(n_pairs, train_fraction, seed=0):
    return ref.train_test_split(n_pairs, train_fraction, seed=0)


@mutant("fourier_transform_2d", "divided by p (an FFT habit; the basis is already orthonormal)")
def fourier_transform_2d_over_p(acts, basis):
    return ref.fourier_transform_2d(acts, basis) / basis.shape[0]


@mutant("neuron_frequency_fve", "constant term left in the total (taken out of each frequency only)")
def neuron_fve_constant_in_total(neuron_acts, basis):
    return _fve_with_constant_in_total(neuron_acts, basis, constant_in_each_frequency=False)
