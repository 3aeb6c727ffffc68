import math

import torch

from exercises.testing import call_graded, check_tensor, grading_pick


def test_matches_reference(graded, reference):
    p = grading_pick((11, 17, 19))
    check_tensor(call_graded(graded.fourier_basis, p), reference.fourier_basis(p), what=f"fourier_basis({p})",
                 hint=f"rows: constant, then cos k, sin k for k = 1 .. {p // 2}, each of unit norm.")


def test_orthonormal(graded):
    basis = call_graded(graded.fourier_basis, 13)
    check_tensor(basis @ basis.T, torch.eye(13), what="fourier_basis(13) @ fourier_basis(13).T", atol=1e-5,
                 against="the identity matrix (orthonormal rows)",
                 hint="normalise every row (the constant too).")


def test_rows_by_hand(graded):
    basis = call_graded(graded.fourier_basis, 5)
    x = torch.arange(5.0)
    expected = torch.stack([torch.ones(5) / math.sqrt(5),
                            torch.cos(2 * math.pi * x / 5) * math.sqrt(2 / 5), torch.sin(2 * math.pi * x / 5) * math.sqrt(2 / 5),
                            torch.cos(4 * math.pi * x / 5) * math.sqrt(2 / 5), torch.sin(4 * math.pi * x / 5) * math.sqrt(2 / 5)])
    check_tensor(basis, expected, what="fourier_basis(5) (rows const, cos 1, sin 1, cos 2, sin 2)", atol=1e-5,
                 against="the five rows written out by hand",
                 hint="row 2k-1 is cos(2 pi k x / p), row 2k is sin(2 pi k x / p).")
