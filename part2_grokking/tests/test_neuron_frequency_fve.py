import math

import torch

from exercises.testing import call_graded, check, check_tensor


def _waves(p):
    x = torch.arange(p, dtype=torch.float32)
    a, b = x[:, None], x[None, :]
    w = 2 * math.pi / p
    return torch.stack([
        torch.cos(w * 3 * (a + b)) + 2.0,                 # frequency 3 only (plus a constant)
        torch.sin(w * 1 * a) * torch.cos(w * 1 * b),      # frequency 1 only
        torch.cos(w * 2 * a) + 0.5 * torch.cos(w * 4 * b),  # 1 / 1.25 of frequency 2
    ], dim=-1)


def test_matches_reference(graded, reference):
    basis, acts = reference.fourier_basis(11), torch.relu(torch.randn(11, 11, 6))
    freq, fve = call_graded(graded.neuron_frequency_fve, acts, basis, returns=("frequencies", "fractions"))
    ref_freq, ref_fve = reference.neuron_frequency_fve(acts, basis)
    check_tensor(freq, ref_freq, what="neuron_frequency_fve(acts [11, 11, 6]) best frequencies",
                 hint="frequencies are 1-based; the best one explains the largest fraction.")
    check_tensor(fve, ref_fve, what="neuron_frequency_fve(acts [11, 11, 6]) fractions", atol=1e-5,
                 hint="frequency k's terms: rows and columns in {const, cos k, sin k}, minus (const, const).")


def test_pure_waves(graded, reference):
    p = 11
    freq, fve = call_graded(graded.neuron_frequency_fve, _waves(p), reference.fourier_basis(p),
                            returns=("frequencies", "fractions"))
    check(freq.tolist() == [3, 1, 2], f"neuron_frequency_fve of waves at frequencies 3, 1, 2: got frequencies {freq.tolist()}")
    check_tensor(fve, torch.tensor([1.0, 1.0, 0.8]), atol=1e-4, what="neuron_frequency_fve fractions of three pure waves",
                 against="the hand-computed fractions (1, 1, 1 / 1.25)",
                 hint="the constant (const, const) term is not variance: leave it out of the total and of each frequency.")
