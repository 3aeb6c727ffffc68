import torch

from exercises.grading import call_graded, check_close


def test_matches_reference(graded, reference):
    losses = torch.rand(5, 20) * 4
    check_close(call_graded(graded.in_context_learning_score, losses, 2, 17),
                reference.in_context_learning_score(losses, 2, 17), atol=1e-6,
                what="in_context_learning_score(losses [5, 20], early=2, late=17)",
                hint="late minus early (negative when the model learns from context), averaged over the batch.")


def test_by_hand(graded):
    losses = torch.tensor([[4.0, 3.0, 1.0], [6.0, 5.0, 0.0]])
    check_close(call_graded(graded.in_context_learning_score, losses, 0, 2), -4.5,
                what="in_context_learning_score with early losses 4 and 6, late losses 1 and 0",
                against="a case computed by hand",
                hint="mean(late) - mean(early) = 0.5 - 5 = -4.5.")
