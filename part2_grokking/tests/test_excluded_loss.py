import torch
import torch.nn.functional as F

from exercises.testing import call_graded, check_close


def test_matches_reference(graded, reference):
    p = 7
    logits, labels = torch.randn(p * p, p), torch.randint(0, p, (p * p,))
    train_idx = torch.randperm(p * p)[:20]
    check_close(call_graded(graded.excluded_loss, logits, labels, [1, 3], train_idx),
                reference.excluded_loss(logits, labels, [1, 3], train_idx), atol=1e-5,
                what="excluded_loss(logits [49, 7], labels, freqs [1, 3], 20 train indices)",
                hint="project each column (an answer's logit over all pairs) onto the directions and subtract.")


def test_removes_the_algorithm(graded, reference):
    p = 7
    tokens, labels = reference.all_pairs(p)
    a, b = tokens[:, 0].float(), tokens[:, 1].float()
    c = torch.arange(p).float()
    logits = 4 * torch.cos(2 * torch.pi * 2 * (a + b)[:, None] / p - 2 * torch.pi * 2 * c[None, :] / p)
    train_idx = torch.arange(0, p * p, 2)
    check_close(call_graded(graded.excluded_loss, logits, labels, [2], train_idx), F.cross_entropy(torch.zeros(1, p), labels[:1]).item(),
                atol=1e-4, what="excluded_loss of logits 4 cos(w2(a+b-c)) with frequency 2 excluded",
                against="log 7, the loss of all-zero logits",
                hint="all that is left once frequency 2's cos(w(a+b)), sin(w(a+b)) are removed is zero logits.")


def test_only_training_pairs(graded, reference):
    p = 5
    logits, labels = torch.zeros(p * p, p), torch.zeros(p * p, dtype=torch.long)
    logits[:3, 0] = 50.0  # only pairs 0, 1, 2 predict their label: training on them gives near-zero loss
    loss = call_graded(graded.excluded_loss, logits, labels, [], torch.tensor([0, 1, 2]))
    check_close(loss, 0.0, atol=1e-3, what="excluded_loss with no frequencies, on training pairs 0, 1, 2 predicted perfectly",
                against="the loss when each training pair's label has logit 50",
                hint="average the cross-entropy over the training pairs only.")
