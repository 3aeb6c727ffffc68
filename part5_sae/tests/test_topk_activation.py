import torch

from exercises.grading import call_graded, check_tensor


def test_hand_computed(graded):
    pre = torch.tensor([[0.5, -1.0, 2.0, 1.0], [-3.0, -1.0, -2.0, 0.2], [0.1, 0.3, 0.2, 0.4]])
    expected = torch.tensor([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.2], [0.0, 0.3, 0.0, 0.4]])  # k = 2; a negative survivor is ReLU'd to 0
    check_tensor(call_graded(graded.topk_activation, pre, 2), expected, what="topk_activation(pre, k=2)",
                 against="the hand-computed result",
                 hint="the k largest of each row (dim=-1), ReLU'd; everything else 0.")

