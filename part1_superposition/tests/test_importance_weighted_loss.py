import torch

from exercises.testing import call_graded, check_tensor


def test_matches_reference(graded, reference):
    output, features, importance = torch.rand(9, 3, 4), torch.rand(9, 3, 4), torch.rand(3, 4)
    check_tensor(
        call_graded(graded.importance_weighted_loss, output, features, importance),
        reference.importance_weighted_loss(output, features, importance),
        what="importance_weighted_loss(output [9, 3, 4], features [9, 3, 4], importance [3, 4])",
        hint="one loss per instance: mean over the batch and feature dimensions (0 and 2), not over instances.",
    )


def test_by_hand(graded):
    output = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 2.0]]])  # [batch 2, instances 2, features 2]
    features = torch.zeros(2, 2, 2)
    importance = torch.tensor([[1.0, 0.5], [3.0, 0.25]])
    # instance 0: errors 1 (feature 0, importance 1) -> 1 / 4 entries; instance 1: error 4 at importance 0.25 -> 1 / 4
    check_tensor(
        call_graded(graded.importance_weighted_loss, output, features, importance),
        torch.tensor([0.25, 0.25]),
        what="importance_weighted_loss on a hand-made batch (see the test for the numbers)",
        against="a case computed by hand",
        hint="weight each squared error by its feature's importance (not squared), then average.",
    )
