import pytest

from exercises.grading import call_graded, check, check_tensor

from ._models import SHAPES, batches, tiny_model


def _setup(reference, shape):
    model = tiny_model(shape)
    data, abc = batches(model)
    _, abc_cache = reference.run_cached(model, abc.tokens, ("hook_resid_pre",))
    return model, data, reference.stack_activation(abc_cache, "hook_resid_pre", model.cfg.n_layers)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    """The graded code runs the whole model each time; the reference re-runs only what a patch can change."""
    model, data, corrupt = _setup(reference, shape)
    got = call_graded(graded.patch_residual, reference.plain_forward(model, data), corrupt, data)
    expected = reference.patch_residual(reference.CachedForward(model, data), corrupt, data)
    check_tensor(got, expected, atol=1e-4, what=f"patch_residual on a tiny {shape} model (all layers and positions)",
                 hint="patch blocks.{l}.hook_resid_pre at position p only, with corrupt_resid[l][:, p]; record the mean logit difference.")


def test_bos_and_chosen_layers(graded, reference):
    model, data, corrupt = _setup(reference, "gpt2")
    got = call_graded(graded.patch_residual, reference.plain_forward(model, data), corrupt, data, [2, 0])
    clean = reference.logit_diff(reference.plain_forward(model, data)([]), data.io, data.s).mean()
    check(got.shape == (2, data.tokens.shape[1]),
          f"patch_residual(..., layers=[2, 0]) should be [2, pos] (one row per chosen layer), got {tuple(got.shape)}")
    check_tensor(got[:, 0], clean.expand(2), atol=1e-4, what="patch_residual(...)[:, 0] (patching the bos position)",
                 against="the clean logit difference: the bos token is the same in the clean and ABC prompts",
                 hint="patch exactly position p; positions before p must stay clean.")
