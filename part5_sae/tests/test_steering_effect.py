import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed

from ._tiny import tiny_model, tiny_tokens

TOKEN_IDS = torch.tensor([3, 7, 11])


def _direction(seed: int) -> torch.Tensor:
    return torch.randn(16, generator=torch.Generator().manual_seed(seed))


def _result(out, what, shape):
    keys = {"log_prob_shift", "kl"}
    check(isinstance(out, dict) and keys <= set(out),
          f"{what} should return a dict with 'log_prob_shift' and 'kl'; got "
          f"{sorted(out) if isinstance(out, dict) else type(out).__name__}")
    for key in sorted(keys):
        value = out[key]
        check(isinstance(value, torch.Tensor) and tuple(value.shape) == shape,
              f"{what}[{key!r}] should be a tensor [batch, pos] = {list(shape)}, one value per position; got "
              f"{list(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}"
              + (": sum over the vocabulary (dim=-1), not over positions." if isinstance(value, torch.Tensor) else ""))
    return out


def test_no_push_changes_nothing(graded):
    model, tokens = tiny_model(), tiny_tokens(3, 6)
    what = "steering_effect(tiny model, 3 x 6 tokens, layer=1, direction, coefficient=0.0, token_ids=[3, 7, 11])"
    out = _result(call_graded(graded.steering_effect, model, tokens, 1, _direction(grading_seed(2)), 0.0, TOKEN_IDS), what, (3, 6))
    for key in ("log_prob_shift", "kl"):
        check_tensor(out[key], torch.zeros(3, 6), atol=1e-5, what=f"{what}[{key!r}]",
                     against="0 everywhere (adding 0 * direction changes nothing)",
                     hint="compare the steered run with a clean run of the same tokens, position by position.")


def test_matches_reference_for_a_constant_push(graded, reference):
    model, tokens = tiny_model(), tiny_tokens(3, 6)
    direction = _direction(grading_seed(2))
    what = "steering_effect(tiny model, 3 x 6 tokens, layer=1, random direction, coefficient=2.5, token_ids=[3, 7, 11])"
    out = _result(call_graded(graded.steering_effect, model, tokens, 1, direction, 2.5, TOKEN_IDS), what, (3, 6))
    check(bool((out["kl"] >= -1e-6).all()), f"{what}['kl'] has negative values ({out['kl'].min():.4f}); a KL divergence "
          f"is never negative: weight each token's log P_clean - log P_steered by P_clean (log_softmax(...).exp()).")
    expected = reference.steering_effect(model, tokens, 1, direction, 2.5, TOKEN_IDS)
    check_tensor(out["log_prob_shift"], expected["log_prob_shift"], atol=1e-4, what=f"{what}['log_prob_shift']",
                 hint="a hook on hook_name(layer) ('blocks.1.hook_resid_post', the output of block 1) returning activation + "
                      "coefficient * direction; then log P(token_ids) is the logsumexp over the ids of each run's "
                      "log_softmax(logits, dim=-1) (the log of the set's total probability, not the mean of its log-probs), "
                      "steered minus clean.")
    check_tensor(out["kl"], expected["kl"], atol=1e-4, what=f"{what}['kl']",
                 hint="KL(P_clean || P_steered) = sum over the vocabulary of P_clean * (log P_clean - log P_steered); "
                      "KL is not symmetric: the clean distribution weights the sum.")


def test_a_push_per_position(graded, reference):
    """A [batch, pos] coefficient pushes each position by its own amount; positions before the first push do not move."""
    model, tokens = tiny_model(), tiny_tokens(2, 7)
    direction = _direction(grading_seed(5))
    amounts = torch.zeros(2, 7)
    amounts[0, 3], amounts[1, 5], amounts[1, 6] = -3.0, 1.5, 4.0  # an ablation-like pattern: zero where nothing fires
    what = "steering_effect(tiny model, 2 x 7 tokens, layer=0, direction, coefficient=[2, 7] tensor, token_ids=[3, 7, 11])"
    out = _result(call_graded(graded.steering_effect, model, tokens, 0, direction, amounts, TOKEN_IDS), what, (2, 7))
    untouched = [(0, p) for p in range(3)] + [(1, p) for p in range(5)]
    moved = [(s, p) for s, p in untouched if abs(out["kl"][s, p]) > 1e-5]
    check(not moved, f"{what}: the coefficient is 0 at every position before position 3 of sequence 0 and before 5 of "
          f"sequence 1, and attention only looks back, so nothing may change there; the KL is non-zero at {moved[:4]}. Add "
          f"coefficient[..., None] * direction (one amount per position), not one amount for every position.")
    expected = reference.steering_effect(model, tokens, 0, direction, amounts, TOKEN_IDS)
    for key in ("log_prob_shift", "kl"):
        check_tensor(out[key], expected[key], atol=1e-4, what=f"{what}[{key!r}]",
                     hint="with a [batch, pos] coefficient the push is coefficient[..., None] * direction, a [batch, pos, "
                          "d_model] tensor added to the residual stream after block `layer`.")
