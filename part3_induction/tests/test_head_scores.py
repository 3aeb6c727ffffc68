import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed

from ._models import tiny_model


KEYS = ["current", "induction", "previous"]


def _head_scores(module, model, tokens, period):
    got = call_graded(module.head_scores, model, tokens, period)
    check(isinstance(got, dict) and sorted(got) == KEYS,
          f"head_scores should return a dict with keys {KEYS}, got {type(got).__name__}"
          + (f" with keys {sorted(got)}" if isinstance(got, dict) else ""))
    return got


def test_matches_reference(graded, reference):
    model = tiny_model()
    tokens = reference.repeated_random_tokens(3, 5, 12, torch.Generator().manual_seed(grading_seed(0)), bos=0)
    got = _head_scores(graded, model, tokens, 5)
    expected = reference.head_scores(model, tokens, 5)
    for name in expected:
        check_tensor(got[name], expected[name], what=f"head_scores(...)[{name!r}] on [bos] x x, period 5", atol=1e-5,
                     hint="previous: offset 1; current: offset 0; induction: offset period - 1 from query seq - period.")


def test_independent_of_the_stripe_function(graded):
    model = tiny_model()
    tokens = torch.randint(0, 12, (2, 4)).repeat(1, 2)  # no bos: x x with period 4
    got = _head_scores(graded, model, tokens, 4)
    _, cache = model.run_with_cache(tokens)
    for layer in range(2):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]  # [batch, head, q, k]
        induction = torch.stack([pattern[:, :, q, q - 3] for q in range(4, 8)]).mean((0, 1))
        previous = torch.stack([pattern[:, :, q, q - 1] for q in range(1, 8)]).mean((0, 1))
        check_tensor(got["induction"][layer], induction, atol=1e-5,
                     what=f"head_scores(...)['induction'][layer {layer}] on x x (period 4, no bos)",
                     against="the cached attention pattern at key = query - 3, averaged by hand",
                     hint="queries 4..7 (the second copy), keys query - 3 (the token after the earlier copy).")
        check_tensor(got["previous"][layer], previous, atol=1e-5,
                     what=f"head_scores(...)['previous'][layer {layer}]",
                     against="the cached attention pattern at key = query - 1, averaged by hand")


def test_repeat_after_a_prefix(graded, reference):
    """Three unrepeated tokens, then x x with period 4: seq 11, so the period is not seq // 2."""
    model = tiny_model()
    x = torch.randint(0, 12, (2, 4))
    tokens = torch.cat([torch.randint(0, 12, (2, 3)), x, x], dim=1)
    got = _head_scores(graded, model, tokens, 4)
    expected = reference.head_scores(model, tokens, 4)
    for name in expected:
        check_tensor(got[name], expected[name], atol=1e-5,
                     what=f"head_scores(model, tokens [2, 11] = 3 prefix tokens + x x, period=4)[{name!r}]",
                     hint="use the `period` argument (here 4, not seq // 2 = 5): the induction stripe is offset "
                          "period - 1, from query seq - period on.")
