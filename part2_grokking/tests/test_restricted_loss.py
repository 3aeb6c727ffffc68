import torch
import torch.nn.functional as F

from exercises.testing import call_graded, check_close


def test_matches_reference(graded, reference):
    p = 7
    logits, labels = torch.randn(p * p, p) + torch.randn(1, p), torch.randint(0, p, (p * p,))
    check_close(call_graded(graded.restricted_loss, logits, labels, [2, 3]), reference.restricted_loss(logits, labels, [2, 3]),
                atol=1e-5, what="restricted_loss(logits [49, 7], labels, freqs [2, 3])",
                hint="keep each answer's mean over pairs plus the projection of the centred logits.")


def test_keeps_the_algorithm(graded, reference):
    p = 7
    tokens, labels = reference.all_pairs(p)
    a, b = tokens[:, 0].float(), tokens[:, 1].float()
    c = torch.arange(p).float()
    algorithm = 6 * torch.cos(2 * torch.pi * 3 * ((a + b)[:, None] - c[None, :]) / p)
    noise = torch.randn(p * p, p)
    noise = noise - reference.a_plus_b_directions(p, [3]) @ (reference.a_plus_b_directions(p, [3]).T @ noise)
    noise = noise - noise.mean(0, keepdim=True)
    check_close(call_graded(graded.restricted_loss, algorithm + noise + 2.0, labels, [3]), F.cross_entropy(algorithm, labels).item(),
                atol=1e-4, what="restricted_loss(algorithm + memorised noise + 2, freq [3])",
                against="torch's F.cross_entropy of the algorithm alone, without the noise",
                hint="the kept part is mean over pairs + projection onto cos(w(a+b)), sin(w(a+b)).")
