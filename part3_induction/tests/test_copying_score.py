import torch

from exercises.testing import call_graded, check_close


def test_matches_the_full_vocab_circuit(graded):
    W_E, W_V, W_O, W_U = torch.randn(20, 8), torch.randn(8, 3), torch.randn(3, 8), torch.randn(8, 20)
    eigenvalues = torch.linalg.eigvals(W_E @ W_V @ W_O @ W_U)
    expected = (eigenvalues.sum().real / eigenvalues.abs().sum()).item()
    check_close(call_graded(graded.copying_score, W_E, W_V, W_O, W_U), expected, atol=1e-4,
                what="copying_score(W_E [20, 8], W_V [8, 3], W_O [3, 8], W_U [8, 20])",
                against="the score from torch.linalg.eigvals of the full [20, 20] OV circuit",
                hint="sum(eigenvalues).real / sum(|eigenvalues|), of W_V W_O W_U W_E (same nonzero eigenvalues).")


def test_matches_reference(graded, reference):
    args = torch.randn(30, 6), torch.randn(6, 2), torch.randn(2, 6), torch.randn(6, 30)
    check_close(call_graded(graded.copying_score, *args), reference.copying_score(*args), atol=1e-4,
                what="copying_score(W_E [30, 6], W_V [6, 2], W_O [2, 6], W_U [6, 30])")


def test_a_perfect_copier_and_its_opposite(graded):
    W_E = torch.randn(10, 4)
    W_U = torch.linalg.pinv(W_E)  # W_E W_U projects onto the embeddings: attending to i raises logit i
    W_V, W_O = torch.eye(4)[:, :2], torch.eye(4)[:2]
    check_close(call_graded(graded.copying_score, W_E, W_V, W_O, W_U), 1.0, atol=1e-4,
                what="copying_score of an OV circuit that copies tokens exactly", hint="all eigenvalues positive -> 1.",
                against="a perfect copier's score")
    check_close(call_graded(graded.copying_score, W_E, W_V, -W_O, W_U), -1.0, atol=1e-4,
                what="copying_score of an OV circuit that suppresses the attended token", hint="all negative -> -1.",
                against="a perfect suppressor's score")
