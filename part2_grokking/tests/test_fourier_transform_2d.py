import torch

from exercises.testing import call_graded, check_close, check_tensor


def test_matches_reference(graded, reference):
    basis, acts = reference.fourier_basis(7), torch.randn(7, 7, 3)
    check_tensor(call_graded(graded.fourier_transform_2d, acts, basis), reference.fourier_transform_2d(acts, basis),
                 what="fourier_transform_2d(acts [7, 7, 3], basis)", atol=1e-5,
                 hint="out[i, j] = sum over a, b of basis[i, a] basis[j, b] acts[a, b]: a goes with i, b with j.")


def test_wave_in_a_only(graded, reference):
    basis = reference.fourier_basis(7)
    acts = basis[3][:, None].expand(7, 7) * basis[0][None, :]  # sin 1 in a, constant in b
    expected = torch.zeros(7, 7)
    expected[3, 0] = 1.0
    check_tensor(call_graded(graded.fourier_transform_2d, acts, basis), expected, atol=1e-5,
                 what="fourier_transform_2d of a wave sin 1 over a, constant over b",
                 against="the hand-computed transform (1 at (sin 1, const), 0 elsewhere)",
                 hint="the first output axis is a's frequency, the second b's.")


def test_keeps_the_sum_of_squares(graded, reference):
    acts = torch.randn(9, 9, 4)
    out = call_graded(graded.fourier_transform_2d, acts, reference.fourier_basis(9))
    check_close((out**2).sum(), (acts**2).sum().item(), what="sum of squares after fourier_transform_2d", rtol=1e-4,
                against="Parseval: the sum of squares before the transform")
