import torch
import torch.nn.functional as F

from exercises.testing import call_graded, check_tensor


def test_matches_torch_cross_entropy(graded):
    logits, tokens = torch.randn(3, 6, 11), torch.randint(0, 11, (3, 6))
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, 11), tokens[:, 1:].reshape(-1), reduction="none").reshape(3, 5)
    check_tensor(call_graded(graded.per_token_loss, logits, tokens), expected, atol=1e-5,
                 what="per_token_loss(logits [3, 6, 11], tokens [3, 6])",
                 against="torch's F.cross_entropy(reduction='none') on logits[:, :-1], tokens[:, 1:]",
                 hint="the logits at position t predict token t + 1: use logits[:, :-1] and tokens[:, 1:].")


def test_matches_reference(graded, reference):
    logits, tokens = torch.randn(2, 9, 7) * 5, torch.randint(0, 7, (2, 9))
    check_tensor(call_graded(graded.per_token_loss, logits, tokens), reference.per_token_loss(logits, tokens),
                 what="per_token_loss(logits [2, 9, 7], tokens [2, 9])", atol=1e-5,
                 hint="a loss per position (no mean), one position fewer than the input.")


def test_by_hand(graded):
    logits = torch.zeros(1, 2, 4)
    logits[0, 0, 3] = 10.0  # confident about token 3 at position 0
    tokens = torch.tensor([[0, 3]])
    expected = -torch.log_softmax(logits[0, 0], -1)[3].reshape(1, 1)
    check_tensor(call_graded(graded.per_token_loss, logits, tokens), expected,
                 what="per_token_loss when position 0 puts logit 10 on the next token (3)",
                 against="-log_softmax(logits[0, 0])[3], computed by hand")
