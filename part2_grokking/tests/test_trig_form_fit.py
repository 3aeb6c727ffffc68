import math

import torch

from exercises.testing import call_graded, check_close, check_tensor


def _cos_form(p, freqs, alphas):
    x = torch.arange(p, dtype=torch.float32)
    abc = x[:, None, None] + x[None, :, None] - x[None, None, :]
    return sum(alpha * torch.cos(2 * math.pi * k * abc / p) for k, alpha in zip(freqs, alphas))


def test_matches_reference(graded, reference):
    logits = _cos_form(7, [1, 3], [2.0, -1.0]) + 0.7 * torch.randn(7, 7, 7)
    coefficients, fraction = call_graded(graded.trig_form_fit, logits, [1, 3],
                                         returns=("coefficients", "fraction_explained"))
    ref_coefficients, ref_fraction = reference.trig_form_fit(logits, [1, 3])
    check_tensor(coefficients, ref_coefficients, atol=1e-4, what="trig_form_fit(noisy logits [7, 7, 7], [1, 3]) coefficients",
                 hint="coefficient = <centred, cos_k> / <cos_k, cos_k>, summed over a, b and c.")
    check_close(fraction, ref_fraction, atol=1e-4, what="trig_form_fit(noisy logits, [1, 3]) fraction explained",
                hint="centre over c first (subtract each (a, b)'s mean logit), then 1 - |residual|^2 / |centred|^2.")


def test_exact_form_with_offsets(graded):
    offsets = torch.randn(9, 9, 1) * 5  # a different constant per input: softmax ignores it
    logits = _cos_form(9, [2, 4], [3.0, 0.5]) + offsets
    coefficients, fraction = call_graded(graded.trig_form_fit, logits, [2, 4],
                                         returns=("coefficients", "fraction_explained"))
    check_tensor(coefficients, torch.tensor([3.0, 0.5]), atol=1e-4,
                 what="trig_form_fit of 3 cos(w2(a+b-c)) + 0.5 cos(w4(a+b-c)) + offsets",
                 against="the coefficients the logits were built with, 3 and 0.5")
    check_close(fraction, 1.0, atol=1e-4, what="fraction explained of an exact trig form plus per-input offsets",
                against="an exact fit",
                hint="centre the logits over c (the last axis) before fitting.")
