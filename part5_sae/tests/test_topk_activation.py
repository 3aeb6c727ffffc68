import torch

from exercises.grading import call_graded, check_tensor


def test_hand_computed(graded):
    pre = torch.tensor([[0.5, -1.0, 2.0, 1.0], [-3.0, -1.0, -2.0, 0.2], [0.1, 0.3, 0.2, 0.4]])
    expected = torch.tensor([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.2], [0.0, 0.3, 0.0, 0.4]])  # k = 2; a negative survivor is ReLU'd to 0
    check_tensor(call_graded(graded.topk_activation, pre, 2), expected, what="topk_activation(pre, k=2)",
                 against="the hand-computed result",
                 hint="the k largest of each row (dim=-1), ReLU'd; everything else 0.")



def test_matches_reference_on_random_pre_activations(graded, reference):
    pre = torch.randn(7, 10, generator=torch.Generator().manual_seed(3))
    for k in (3, 8):  # d_sae = 10: neither 2k nor k; with k = 8 negative values survive the top k
        check_tensor(call_graded(graded.topk_activation, pre, k), reference.topk_activation(pre, k),
                     what=f"topk_activation(random pre-activations [7, 10], k={k})",
                     hint="each row keeps its own k largest values (pre.topk(k, dim=-1)), ReLU'd; every other entry is 0.")
