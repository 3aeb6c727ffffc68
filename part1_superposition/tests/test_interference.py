import torch

from exercises.testing import call_graded, check, check_tensor


def test_matches_reference(graded, reference):
    W = torch.randn(3, 2, 5)
    check_tensor(
        call_graded(graded.interference, W),
        reference.interference(W),
        what="interference(W [3, 2 hidden, 5 features])",
        hint="the [features, features] Gram matrix W^T W of each instance, with its diagonal set to 0.",
    )


def test_antipodal_pair_by_hand(graded):
    W = torch.tensor([[[2.0, -1.0, 0.0], [0.0, 0.0, 0.5]]])
    check_tensor(
        call_graded(graded.interference, W),
        torch.tensor([[[0.0, -2.0, 0.0], [-2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]),
        what="interference of W = [[2, -1, 0], [0, 0, 0.5]] (features 0 and 1 antipodal, feature 2 alone)",
        against="a case computed by hand",
        hint="entry (i, j) is the plain dot product W_i . W_j (not normalised), and the diagonal is 0.",
    )


def test_symmetric_with_zero_diagonal(graded):
    W = torch.randn(2, 3, 6)
    result = call_graded(graded.interference, W)
    check(tuple(result.shape) == (2, 6, 6), f"interference(W [2, 3, 6]) has shape {tuple(result.shape)}; "
          "expected [instances, features, features] = (2, 6, 6): W^T W, not W W^T.")
    check(torch.allclose(result, result.transpose(1, 2)) and bool((result.diagonal(dim1=1, dim2=2) == 0).all()),
          "interference should be symmetric (W_i . W_j = W_j . W_i) with zeros on the diagonal.")
