import torch

from exercises.testing import call_graded, check_tensor


def test_matches_reference(graded, reference):
    logits, io, s = torch.randn(5, 30), torch.randint(0, 30, (5,)), torch.randint(0, 30, (5,))
    check_tensor(call_graded(graded.logit_diff, logits, io, s), reference.logit_diff(logits, io, s),
                 what="logit_diff(logits [5, 30], io, s)", hint="one number per prompt: logits[b, io[b]] - logits[b, s[b]].")


def test_by_hand(graded):
    logits = torch.tensor([[1.0, 4.0, -2.0], [0.5, 0.0, 3.0]])
    out = call_graded(graded.logit_diff, logits, torch.tensor([1, 2]), torch.tensor([2, 0]))
    check_tensor(out, torch.tensor([6.0, 2.5]), what="logit_diff([[1, 4, -2], [0.5, 0, 3]], io=[1, 2], s=[2, 0])",
                 against="the hand-computed [4 - (-2), 3 - 0.5]", hint="IO minus S, not S minus IO; logits, not probabilities.")
