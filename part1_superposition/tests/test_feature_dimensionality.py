import math

import torch

from exercises.testing import call_graded, check, check_tensor


def _pentagon(radius=1.3):
    angles = torch.arange(5) * 2 * math.pi / 5
    return radius * torch.stack([angles.cos(), angles.sin()])[None]  # [1, 2 hidden, 5 features]


def test_matches_reference(graded, reference):
    W = torch.randn(3, 4, 7)
    check_tensor(
        call_graded(graded.feature_dimensionality, W),
        reference.feature_dimensionality(W),
        what="feature_dimensionality(W [3, 4 hidden, 7 features])",
        hint="D_i = ||W_i||^2 / sum_j (Ŵ_i . W_j)^2, columns are features, and the sum includes j = i.",
    )


def test_the_papers_fractions(graded):
    orthogonal = torch.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])  # 2 features with a dimension each, 1 dead
    antipodal = torch.tensor([[0.7, -0.7, 0.0], [0.0, 0.0, 1.0]])  # an antipodal pair, and a feature alone
    W = torch.stack([orthogonal, antipodal])  # [2 instances, 2 hidden, 3 features]
    check_tensor(call_graded(graded.feature_dimensionality, W), torch.tensor([[1.0, 1.0, 0.0], [0.5, 0.5, 1.0]]),
                 what="feature_dimensionality of orthogonal features, an antipodal pair and a dead feature",
                 against="the paper's fractions (1 orthogonal, 1/2 antipodal, 0 dead)",
                 hint="normalise only W_i (the feature being measured), not W_j; a zero column gives 0, not nan.")
    check_tensor(call_graded(graded.feature_dimensionality, _pentagon()), torch.full((1, 5), 0.4),
                 what="feature_dimensionality of a regular pentagon in 2 dimensions", atol=1e-5,
                 against="the closed form 2/5 (5 features sharing 2 dimensions evenly)",
                 hint="square the dot products in the denominator: sum_j (Ŵ_i . W_j)^2.")


def test_dead_features_are_zero_not_nan(graded):
    W = torch.cat([torch.randn(2, 3, 4), torch.zeros(2, 3, 2)], dim=2)
    D = call_graded(graded.feature_dimensionality, W)
    check(bool(torch.isfinite(D).all()) and bool((D[:, 4:] == 0).all()),
          f"features with W_i = 0 should get D_i = 0; got {D[:, 4:].tolist()}. Clamp the denominator below at 1e-12.")
    check(bool(((D >= 0) & (D <= 1 + 1e-5)).all()), f"every D_i should lie in [0, 1]; got {D.tolist()}")


def test_scale_invariant(graded):
    W = torch.randn(2, 3, 6)
    check_tensor(call_graded(graded.feature_dimensionality, W * 3.0), call_graded(graded.feature_dimensionality, W),
                 what="feature_dimensionality(3 W)", atol=1e-5, against="your feature_dimensionality(W)",
                 hint="D_i is a fraction of a dimension: scaling every weight must not change it. Use the unit vector Ŵ_i.")
