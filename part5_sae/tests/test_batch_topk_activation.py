import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed


def test_hand_computed(graded):
    pre = torch.tensor([[0.5, -1.0, 2.0, 1.0], [-3.0, -1.0, -2.0, 0.2], [0.1, 0.3, 0.25, 0.4]])
    # k = 2 over a batch of 3: the 6 largest of all 12 entries survive; row 0 keeps 3, row 1 none, row 2 three
    expected = torch.tensor([[0.5, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.3, 0.25, 0.4]])
    check_tensor(call_graded(graded.batch_topk_activation, pre, 2), expected, what="batch_topk_activation(pre [3, 4], k=2)",
                 against="the hand-computed result (the 6 = k * batch largest entries of the whole batch)",
                 hint="one top-(k * batch) over every entry of the batch at once (pre.flatten()), not k per row: here row 0 "
                      "keeps three latents and row 1 none. Everything else is 0.")


def test_keeps_exactly_k_times_batch_and_relus(graded):
    """Ties at the cut: exactly k * batch entries are kept; kept negative values become 0."""
    pre = torch.tensor([[1.0, 1.0, 1.0, -2.0], [1.0, -0.5, -3.0, -1.0]])
    out = call_graded(graded.batch_topk_activation, pre, 1)
    what = "batch_topk_activation([[1, 1, 1, -2], [1, -.5, -3, -1]], k=1)"
    check(isinstance(out, torch.Tensor) and out.shape == pre.shape, f"{what} should be a tensor of shape [2, 4] (pre's "
          f"shape), got {tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    kept = int((out != 0).sum())
    check(kept <= 2, f"{what} keeps {kept} entries; k * batch = 2 may survive, even when four 1's tie for them (a "
          f"threshold pre >= the cut keeps them all): take exactly k * batch with topk.")
    check_tensor(out.flatten().sort(descending=True).values, torch.tensor([1.0, 1.0, 0, 0, 0, 0, 0, 0]),
                 what=f"{what}, its entries sorted (which two of the tied 1's survive is up to you)",
                 against="two 1's kept (k * batch = 2), every other entry 0",
                 hint="keep k * batch of the tied values, not none of them: a threshold pre > the cut drops every entry "
                      "equal to it. pre.flatten().topk(k * batch) keeps exactly k * batch.")
    pre = torch.tensor([[-1.0, -2.0, -3.0, 0.5], [-0.1, -0.2, -0.3, -0.4]])
    check_tensor(call_graded(graded.batch_topk_activation, pre, 3), torch.tensor([[0.0, 0, 0, 0.5], [0, 0, 0, 0]]),
                 what="batch_topk_activation([[-1, -2, -3, .5], [-.1, -.2, -.3, -.4]], k=3)",
                 against="only the positive survivor (the five other kept values are negative: ReLU'd to 0)",
                 hint="ReLU the kept values: values.relu() before scattering them into zeros.")


def test_matches_reference_on_random_pre_activations(graded, reference):
    generator = torch.Generator().manual_seed(grading_seed(4))
    for batch, d_sae, k in [(7, 10, 3), (5, 12, 8), (1, 6, 2)]:
        pre = torch.randn(batch, d_sae, generator=generator)
        check_tensor(call_graded(graded.batch_topk_activation, pre, k), reference.batch_topk_activation(pre, k),
                     what=f"batch_topk_activation(random pre-activations [{batch}, {d_sae}], k={k})",
                     hint="the k * batch largest entries of the whole batch (pre.flatten().topk(k * batch)), ReLU'd, "
                          "scattered back into zeros of pre's shape; with batch 1 it is TopK.")
