import torch

from exercises.testing import call_graded, check_tensor


def _patterns(batch=2, heads=3, n=8):
    scores = torch.randn(batch, heads, n, n).masked_fill(torch.ones(n, n).triu(1).bool(), float("-inf"))
    return scores.softmax(-1)


def test_matches_reference(graded, reference):
    patterns = _patterns()
    for offset, start in [(0, None), (1, None), (3, 4), (3, None)]:
        check_tensor(call_graded(graded.attention_stripe_score, patterns, offset, start),
                     reference.attention_stripe_score(patterns, offset, start),
                     what=f"attention_stripe_score(patterns [2, 3, 8, 8], offset={offset}, start={start})",
                     hint="the diagonal key = query - offset, from query `start` on, averaged over batch and queries.")


def test_by_hand(graded):
    n = 6
    previous = torch.zeros(1, 2, n, n)
    previous[0, 0, 0, 0] = 1.0
    previous[0, 0, torch.arange(1, n), torch.arange(0, n - 1)] = 1.0  # head 0 attends to the previous token
    previous[0, 1] = torch.eye(n)  # head 1 attends to itself
    check_tensor(call_graded(graded.attention_stripe_score, previous, 1), torch.tensor([1.0, 0.0]),
                 what="attention_stripe_score(offset=1) of a perfect previous-token head and a current-token head",
                 against="a case computed by hand",
                 hint="query 0 has no previous token: count queries 1 .. n-1 only (start defaults to offset).")
    check_tensor(call_graded(graded.attention_stripe_score, previous, 0), torch.tensor([1 / n, 1.0]),
                 what="attention_stripe_score(offset=0) of a previous-token head and a current-token head",
                 against="a case computed by hand",
                 hint="offset 0 is the main diagonal: every query attends to itself.")


def test_start_skips_early_queries(graded):
    n = 6
    patterns = torch.zeros(1, 1, n, n)
    patterns[0, 0, :, 0] = 1.0
    patterns[0, 0, 4, 2] = 1.0  # query 4 -> key 2 (offset 2)
    patterns[0, 0, 4, 0] = 0.0
    patterns[0, 0, 5, 3] = 0.5
    patterns[0, 0, 5, 0] = 0.5
    check_tensor(call_graded(graded.attention_stripe_score, patterns, 2, 4), torch.tensor([0.75]),
                 what="attention_stripe_score(offset=2, start=4) with query 4 -> key 2 (1.0) and query 5 -> key 3 (0.5)",
                 against="a case computed by hand",
                 hint="only queries 4 and 5 count: (1.0 + 0.5) / 2.")
