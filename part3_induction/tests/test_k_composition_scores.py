import torch

from exercises.testing import call_graded, check_close, check_tensor

from ._models import tiny_model


def test_matches_reference(graded, reference):
    W_OV, W_QK = torch.randn(3, 6, 6), torch.randn(2, 6, 6)
    check_tensor(call_graded(graded.k_composition_scores, W_OV, W_QK), reference.k_composition_scores(W_OV, W_QK),
                 atol=1e-5, what="k_composition_scores(W_OV [3, 6, 6], W_QK [2, 6, 6])",
                 hint="[earlier head, later head] = ||W_QK[j] @ W_OV[i].T||_F / (||W_QK[j]||_F ||W_OV[i]||_F).")


def test_matches_transformer_lens(graded, reference):
    model = tiny_model()
    W_OV, _ = reference.ov_and_qk(model, 0)
    _, W_QK = reference.ov_and_qk(model, 1)
    expected = model.all_composition_scores("K")[0, :, 1, :].detach()  # [layer, head, layer, head]
    check_tensor(call_graded(graded.k_composition_scores, W_OV, W_QK), expected, atol=1e-4,
                 what="k_composition_scores of the tiny model's layer 0 -> layer 1",
                 against="transformer_lens's model.all_composition_scores('K')",
                 hint="K-composition multiplies W_QK by the TRANSPOSE of W_OV (the key side reads the earlier output).")


def test_one_pair_by_hand(graded):
    W_OV = torch.zeros(1, 3, 3)
    W_OV[0, 0, 1] = 1.0  # writes direction 1 when it reads direction 0 (norm 1: the scaled copy below tests the norm)
    W_QK = torch.zeros(2, 3, 3)
    W_QK[0, 2, 1] = 5.0  # keys read direction 1: composes fully
    W_QK[1, 2, 0] = 5.0  # keys read direction 0: does not compose
    out = call_graded(graded.k_composition_scores, W_OV, W_QK)
    check_tensor(out, torch.tensor([[1.0, 0.0]]), what="k_composition_scores of one writer and two readers",
                 against="a case computed by hand",
                 hint="the first reader's keys read exactly the direction the writer writes (score 1), the second's do not (0).")
    check_close(call_graded(graded.k_composition_scores, 3 * W_OV, W_QK)[0, 0], 1.0,
                what="k_composition_scores with W_OV times 3", hint="divide by both Frobenius norms.",
                against="the score of the unscaled pair")
