import torch

from exercises.testing import call_graded, check_tensor, grading_pick


def test_matches_reference(graded, reference):
    n_importance, n_density = grading_pick(((4, 3), (5, 2), (3, 4)))
    relative_importance, density = torch.logspace(-1, 1, n_importance), torch.logspace(0, -2, n_density)
    importance, probability = call_graded(graded.phase_grid, relative_importance, density,
                                          returns=("importance", "feature_probability"))
    importance_ref, probability_ref = reference.phase_grid(relative_importance, density)
    grid = f"phase_grid({n_importance} importances, {n_density} densities)"
    check_tensor(importance, importance_ref, what=f"{grid}[0], the importance [{n_importance * n_density}, 2]",
                 hint="column 0 is the main feature (importance 1), column 1 the extra one.")
    check_tensor(probability, probability_ref, what=f"{grid}[1], the feature probability [{n_importance * n_density}]",
                 hint="instance r * D + d: the density changes fastest.")


def test_by_hand(graded):
    importance, probability = call_graded(graded.phase_grid, torch.tensor([0.1, 10.0]), torch.tensor([1.0, 0.5, 0.1]),
                                          returns=("importance", "feature_probability"))
    check_tensor(importance, torch.tensor([[1.0, 0.1]] * 3 + [[1.0, 10.0]] * 3),
                 what="phase_grid([0.1, 10], [1, 0.5, 0.1])'s importance", against="a case computed by hand",
                 hint="importance is the slow index: the first D instances all have relative importance[0].")
    check_tensor(probability, torch.tensor([1.0, 0.5, 0.1, 1.0, 0.5, 0.1]),
                 what="phase_grid([0.1, 10], [1, 0.5, 0.1])'s feature probability", against="a case computed by hand",
                 hint="density is the fast index: it cycles through all D values for each importance.")
