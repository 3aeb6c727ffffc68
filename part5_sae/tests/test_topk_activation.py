import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed


def test_hand_computed(graded):
    pre = torch.tensor([[0.5, -1.0, 2.0, 1.0], [-3.0, -1.0, -2.0, 0.2], [0.1, 0.3, 0.2, 0.4]])
    expected = torch.tensor([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.2], [0.0, 0.3, 0.0, 0.4]])  # k = 2; a negative survivor is ReLU'd to 0
    check_tensor(call_graded(graded.topk_activation, pre, 2), expected, what="topk_activation(pre, k=2)",
                 against="the hand-computed result",
                 hint="the k largest of each row (dim=-1), ReLU'd; everything else 0.")


def test_ties_keep_exactly_k(graded):
    """Tied values at the k-th place: exactly k survive (which of the tied ones is up to the implementation)."""
    pre = torch.tensor([[1.0, 1.0, 1.0, 0.0], [2.0, 0.5, 0.5, 0.5], [0.3, -1.0, 0.3, 0.3]])
    out = call_graded(graded.topk_activation, pre, 2)
    what = "topk_activation([[1, 1, 1, 0], [2, .5, .5, .5], [.3, -1, .3, .3]], k=2)"
    check(isinstance(out, torch.Tensor) and out.shape == pre.shape, f"{what} should be a tensor of shape [3, 4], got "
          f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    kept = (out != 0).sum(dim=-1)
    check(bool((kept <= 2).all()),
          f"{what} keeps {kept.tolist()} entries per row; k=2 allows at most 2, even when values tie at the k-th place: "
          f"a threshold (pre >= the k-th largest value) keeps every tied entry. Take exactly k per row: "
          f"values, indices = pre.topk(k, dim=-1), then scatter the ReLU'd values into zeros.")
    check_tensor(out.sort(dim=-1, descending=True).values, torch.tensor([[1.0, 1.0, 0, 0], [2.0, 0.5, 0, 0], [0.3, 0.3, 0, 0]]),
                 what=f"{what}, each row's values sorted (which tied entry survives is up to you)",
                 against="the hand-computed k largest of each row",
                 hint="keep k of the tied values, not none of them: a threshold (pre > the k-th largest value) drops every "
                      "entry equal to it. pre.topk(k, dim=-1) keeps exactly k.")


def test_matches_reference_on_random_pre_activations(graded, reference):
    pre = torch.randn(7, 10, generator=torch.Generator().manual_seed(grading_seed(3)))
    for k in (3, 8):  # d_sae = 10: neither 2k nor k; with k = 8 negative values survive the top k
        check_tensor(call_graded(graded.topk_activation, pre, k), reference.topk_activation(pre, k),
                     what=f"topk_activation(random pre-activations [7, 10], k={k})",
                     hint="each row keeps its own k largest values (pre.topk(k, dim=-1)), ReLU'd; every other entry is 0.")
