import torch

from exercises.testing import call_graded, check, check_close, grading_seed


def test_permuted_and_scaled_copy_scores_one(graded):
    true = torch.randn(5, 4, generator=torch.Generator().manual_seed(grading_seed(0)))
    learned = torch.cat([3.0 * true[[2, 0, 4, 1, 3]], torch.randn(3, 4)])  # every true feature, rescaled, plus extras
    check_close(call_graded(graded.mean_max_cosine_similarity, learned, true), 1.0, atol=1e-5,
                what="mean_max_cosine_similarity(a rescaled, shuffled copy plus 3 extra rows, true)",
                against="1 (every true feature has an exact copy)",
                hint="normalise each row first; extra learned rows must not lower the score (max over the learned axis).")


def test_hand_computed(graded):
    true = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    learned = torch.tensor([[1.0, 1.0], [-1.0, 0.0]])
    # true feature 0: best cosine 1/sqrt(2); true feature 1: 1/sqrt(2) (the other row is orthogonal)
    check_close(call_graded(graded.mean_max_cosine_similarity, learned, true), 0.5**0.5, atol=1e-5,
                what="mean_max_cosine_similarity([[1, 1], [-1, 0]], [[1, 0], [0, 1]])", against="the hand-computed 1/sqrt(2)",
                hint="cosines, not dot products; a direction pointing the other way (-1, 0) is a cosine of -1, not 1.")


def test_mean_over_true_features(graded, reference):
    generator = torch.Generator().manual_seed(grading_seed(1))
    learned, true = torch.randn(3, 6, generator=generator), torch.randn(7, 6, generator=generator)
    got = call_graded(graded.mean_max_cosine_similarity, learned, true)
    check(isinstance(got, float),
          f"mean_max_cosine_similarity(3 learned rows, 7 true rows) should be a Python float (use .item()), got "
          f"{type(got).__name__}{' ' + str(got) if isinstance(got, torch.Tensor) else ''}: the replication rounds and "
          f"prints it as a number.")
    check_close(got, reference.mean_max_cosine_similarity(learned, true),
                what="mean_max_cosine_similarity(3 learned rows, 7 true rows)",
                hint="for each true feature the best learned row; then the mean over the true features.")
