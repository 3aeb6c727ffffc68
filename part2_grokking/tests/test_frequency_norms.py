import math

import torch

from exercises.testing import call_graded, check_tensor


def test_matches_reference(graded, reference):
    basis, W = reference.fourier_basis(11), torch.randn(11, 6)
    check_tensor(call_graded(graded.frequency_norms, W, basis), reference.frequency_norms(W, basis),
                 what="frequency_norms(W [11, 6], fourier_basis(11))", atol=1e-5,
                 hint="combine the cos k and sin k rows: sqrt(|cos row|^2 + |sin row|^2); leave out the constant.")


def test_one_wave(graded, reference):
    p = 11
    x = torch.arange(p, dtype=torch.float32)
    W = torch.stack([3 * torch.cos(2 * math.pi * 2 * x / p), torch.ones(p), 4 * torch.sin(2 * math.pi * 2 * x / p)], dim=1)
    expected = torch.zeros(5)
    expected[1] = 5 * math.sqrt(p / 2)  # frequency 2: |(3, 0, 4)| times the norm of an unnormalised wave
    check_tensor(call_graded(graded.frequency_norms, W, reference.fourier_basis(p)), expected, atol=1e-4,
                 what="frequency_norms of columns 3 cos(2wx), 1, 4 sin(2wx) (p = 11)",
                 against="the hand-computed norms (5 sqrt(p / 2) at frequency 2, 0 elsewhere)",
                 hint="entry k-1 is frequency k; the constant column belongs to no frequency.")
