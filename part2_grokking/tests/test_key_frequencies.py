import torch

from exercises.testing import call_graded, check


def test_matches_reference(graded, reference):
    norms = torch.rand(20) * 0.2
    norms[[2, 9, 15]] = torch.tensor([3.0, 1.0, 2.0])
    got = call_graded(graded.key_frequencies, norms, 0.04)
    want = reference.key_frequencies(norms, 0.04)
    check(list(got) == want, f"key_frequencies(norms, 0.04): got {list(got)}, expected {want}"
          "\nHint: the share is of the squared norms; frequencies are 1-based and increasing.")


def test_squared_share(graded):
    norms = torch.tensor([1.0, 2.0, 4.0, 0.5])  # squared: 1, 4, 16, 0.25 of 21.25
    got = call_graded(graded.key_frequencies, norms, 0.1)
    check([int(k) for k in got] == [2, 3], f"key_frequencies([1, 2, 4, 0.5], 0.1): got {list(got)}, expected [2, 3] "
          "(shares of squared norm 0.05, 0.19, 0.75, 0.01)\nHint: share = norms**2 / (norms**2).sum().")


def test_returns_ints_in_order(graded):
    got = call_graded(graded.key_frequencies, torch.tensor([0.0, 5.0, 0.0, 6.0, 0.0]), 0.2)
    check(list(got) == [2, 4] and all(isinstance(k, int) for k in got),
          f"key_frequencies([0, 5, 0, 6, 0], 0.2) should be the list of ints [2, 4], got {got!r}")
