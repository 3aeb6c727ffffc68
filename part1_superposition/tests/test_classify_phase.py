import torch

from exercises.testing import call_graded, check, check_tensor

# one hidden dimension: W[k] = [[w_main, w_extra]]
CASES = {
    "main only": ([[0.9, 0.0]], 0),
    "main only, negative": ([[-0.9, 0.1]], 0),
    "nothing": ([[0.2, 0.1]], 0),
    "extra only": ([[0.0, 1.0]], 1),
    "extra only, negative": ([[0.1, -1.0]], 1),
    "antipodal": ([[0.8, -0.8]], 2),
    "antipodal, flipped": ([[-1.1, 1.0]], 2),
}


def test_hand_made_weights(graded):
    W = torch.tensor([w for w, _ in CASES.values()])
    expected = torch.tensor([phase for _, phase in CASES.values()])
    result = call_graded(graded.classify_phase, W)
    check(isinstance(result, torch.Tensor) and result.dtype == torch.long,
          f"classify_phase should return a long tensor of phase codes, got {getattr(result, 'dtype', type(result))}")
    wrong = [f"{name} W={w}: got {int(r)}, expected {e}" for (name, (w, e)), r in zip(CASES.items(), result.tolist())
             if r != e]
    check(not wrong, "classify_phase (0 = extra not represented, 1 = dedicated to extra, 2 = superposition) "
          "got these wrong:\n  " + "\n  ".join(wrong) + "\nHint: a feature is represented when the NORM of its column exceeds the threshold.")


def test_uses_column_norms(graded, reference):
    W = torch.tensor([[[0.4, 0.0], [0.4, 0.45]], [[0.3, 0.35], [0.0, 0.35]], [[0.3, 0.1], [0.3, 0.6]]])  # 2 hidden dims
    check_tensor(
        call_graded(graded.classify_phase, W),
        reference.classify_phase(W),
        what="classify_phase of 3 models with 2 hidden dimensions (column norms 0.57/0.45, 0.3/0.49, 0.42/0.61)",
        hint="the norm of column i, W[k, :, i].norm(), over the hidden dimension (dim=1).",
    )
    check_tensor(call_graded(graded.classify_phase, W, threshold=0.4), torch.tensor([2, 1, 2]),
                 what="classify_phase(W, threshold=0.4) on the same 3 models", hint="use the `threshold` argument.",
                 against="a case computed by hand")


def test_matches_reference_on_random_models(graded, reference):
    """40 seeded models with 3 hidden dimensions; every column's length is 0.2-0.4 or 0.6-1.0, never near 0.5."""
    directions = torch.nn.functional.normalize(torch.randn(40, 3, 2), dim=1)
    lengths = torch.where(torch.rand(40, 2) < 0.5, 0.2 + 0.2 * torch.rand(40, 2), 0.6 + 0.4 * torch.rand(40, 2))
    W = directions * lengths[:, None, :]
    check_tensor(
        call_graded(graded.classify_phase, W),
        reference.classify_phase(W),
        what="classify_phase(W [40 models, 3 hidden, 2 features]) with column lengths in 0.2-0.4 or 0.6-1.0",
        hint="a feature is represented when its column's length, the 2-norm over the hidden dimension "
             "(W.norm(dim=1)), exceeds the threshold: not its largest weight, nor a sum of weights.",
    )
