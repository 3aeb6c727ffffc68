import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed


def _features(reference):
    return reference.random_features(6, 4, torch.Generator().manual_seed(grading_seed(0)))


def test_matches_reference(graded, reference):
    features = _features(reference)
    x, coefficients = call_graded(graded.toy_feature_data, features, 40, 0.3, torch.Generator().manual_seed(grading_seed(1)),
                                  returns=("x", "coefficients"))
    expected_x, expected_coefficients = reference.toy_feature_data(features, 40, 0.3, torch.Generator().manual_seed(grading_seed(1)))
    check_tensor(coefficients, expected_coefficients, what="toy_feature_data(6 features in 4 dims, 40 samples, p=0.3): coefficients",
                 hint="draw the on/off mask first, then the magnitudes, each torch.rand(n_samples, n_features, generator=generator).")
    check_tensor(x, expected_x, what="toy_feature_data(...): x", hint="x = coefficients @ features (no normalisation).")


def test_sparsity_and_magnitudes(graded, reference):
    features = _features(reference)
    x, coefficients = call_graded(graded.toy_feature_data, features, 4000, 0.1, torch.Generator().manual_seed(grading_seed(2)),
                                  returns=("x", "coefficients"))
    on = coefficients > 0
    check(abs(on.float().mean().item() - 0.1) < 0.01 and coefficients.max() <= 1 and coefficients.min() >= 0
          and 0.45 < coefficients[on].mean().item() < 0.55,
          f"with p_active=0.1 about 10% of the coefficients should be on, with magnitudes uniform in [0, 1] "
          f"(mean 0.5); got {on.float().mean().item():.1%} on, values in [{coefficients.min():.2f}, {coefficients.max():.2f}], "
          f"mean of the on ones {coefficients[on].mean().item():.2f}")
