import pytest
import torch

from exercises.testing import call_graded, check, check_close, check_tensor, grading_seed

from ._models import SHAPES, batches, expect_value_error, tiny_model

NAMES = ("attn.hook_z", "hook_resid_pre")


def _abc_activations(reference, model, abc):
    _, cache = reference.run_cached(model, abc.tokens, NAMES)
    return {f"blocks.{layer}.{name}": cache[f"blocks.{layer}.{name}"] for layer in range(model.cfg.n_layers) for name in NAMES}


def _mean_logit_diff(reference, model, tokens, data, hooks=()):
    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=list(hooks))
    return reference.logit_diff(reference.end_logits(logits, data.end), data.io, data.s).mean().item()


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    """Patches from the ABC run at every layer's residual stream and every head's z, on padded prompts of three lengths."""
    model = tiny_model(shape)
    data, abc = batches(model)
    corrupt = _abc_activations(reference, model, abc)
    for steps in (1, 3):
        got = call_graded(graded.attribution_patching, model, data, corrupt, steps)
        expected = reference.attribution_patching(model, data, corrupt, steps)
        check(isinstance(got, dict) and set(got) == set(expected),
              f"attribution_patching should return a dict with one entry per name of `corrupt` ({sorted(expected)}), "
              f"got {sorted(got) if isinstance(got, dict) else type(got).__name__}")
        for name, value in expected.items():
            check_tensor(got[name], value, atol=1e-5, what=f"attribution_patching(..., steps={steps})[{name!r}] on a tiny {shape} model",
                         hint="(corrupt - clean) * dM/da, summed over the last dimension, with M the MEAN logit difference at END; "
                         "with steps > 1, dM/da averaged over the runs whose input is corrupt + (k / steps) (clean - corrupt), k = 1 .. steps.")


@pytest.mark.parametrize("shape", SHAPES)
def test_small_patches_match_exact_patching(graded, reference, shape):
    """For a small patch the first-order estimate is the exact change (this test does not use the reference's attribution)."""
    model = tiny_model(shape)
    data, _ = batches(model)
    name = "blocks.1.hook_resid_pre"
    _, cache = reference.run_cached(model, data.tokens, ("hook_resid_pre",))
    clean = cache[name]
    direction = torch.randn(clean.shape, generator=torch.Generator().manual_seed(grading_seed(5)))
    # each position moved by 0.1% of its own size (the tiny llama's bos row is 0, where a norm's gradient is huge)
    patched = clean + 1e-3 * clean.norm(dim=-1, keepdim=True) * direction / clean.shape[-1] ** 0.5
    got = call_graded(graded.attribution_patching, model, data, {name: patched})
    exact = _mean_logit_diff(reference, model, data.tokens, data, [(name, lambda resid, hook: patched)])
    exact -= _mean_logit_diff(reference, model, data.tokens, data)
    check_close(got[name].sum().item(), exact, atol=2e-4 + 0.05 * abs(exact),
                what=f"attribution_patching's estimate, summed over prompts and positions, for a tiny patch of {name} (tiny {shape} model)",
                against="the exact change of the mean logit difference when the patch is made",
                hint="the estimate is (patched - clean) . dM/da: check its sign (patched minus clean), that M is the mean over "
                "prompts (not the sum), and that the gradient is taken at the clean run.")


@pytest.mark.parametrize("shape", SHAPES)
def test_integrated_gradients_add_up(graded, reference, shape):
    """Integrated gradients is complete: at the input, the estimates add up to M(corrupted) - M(clean) as steps grow."""
    model = tiny_model(shape)
    data, abc = batches(model)
    name = "blocks.0.hook_resid_pre"
    corrupt = {name: reference.run_cached(model, abc.tokens, ("hook_resid_pre",))[1][name]}
    got = call_graded(graded.attribution_patching, model, data, corrupt, 200)
    exact = _mean_logit_diff(reference, model, abc.tokens, data) - _mean_logit_diff(reference, model, data.tokens, data)
    check_close(got[name].sum().item(), exact, atol=1e-3 + 0.05 * abs(exact),
                what=f"attribution_patching(..., steps=200)[{name!r}] summed over prompts and positions (tiny {shape} model)",
                against="M(corrupted input) - M(clean input), the exact change",
                hint="move the input from the corrupted one toward the clean one, x' + (k / steps) (x - x'), and average the "
                "gradients over the steps; the difference (corrupt - clean) multiplies the average.")


def test_input_needed_for_integrated_gradients(graded, reference):
    model = tiny_model("llama")
    data, abc = batches(model)
    corrupt = {name: value for name, value in _abc_activations(reference, model, abc).items() if name != "blocks.0.hook_resid_pre"}
    expect_value_error(graded.attribution_patching, model, data, corrupt, 4, mentions="blocks.0.hook_resid_pre",
                       why="steps=4 and a `corrupt` without the input 'blocks.0.hook_resid_pre'")

