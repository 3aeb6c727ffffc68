import pytest

from exercises.testing import call_graded, check, check_tensor

from ._models import ONE_LENGTH, SHAPES, PromiseCheckingForward, batches, tiny_model


def _setup(reference, shape, templates=None):
    model = tiny_model(shape)
    data, abc = batches(model, templates=templates)
    _, abc_cache = reference.run_cached(model, abc.tokens, ("hook_resid_pre",))
    return model, data, reference.stack_activation(abc_cache, "hook_resid_pre", model.cfg.n_layers)


def _forward(model, data):
    return PromiseCheckingForward(model, data, "patch_residual", ("hook_resid_pre",))


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    """Prompts of three lengths; the graded code's forward checks each call's layer= and pos= promises."""
    model, data, corrupt = _setup(reference, shape)
    forward = _forward(model, data)
    got = call_graded(graded.patch_residual, forward, corrupt, data)
    forward.check_promises()
    expected = reference.patch_residual(reference.plain_forward(model, data), corrupt, data)
    check_tensor(got, expected, atol=1e-4, what=f"patch_residual on a tiny {shape} model (all layers and positions, "
                 f"prompts of lengths {sorted(set((data.end + 1).tolist()))})",
                 hint="patch blocks.{l}.hook_resid_pre at position p only, with corrupt_resid[l][:, p]; record the mean logit difference.")


def test_with_cached_forward(graded, reference):
    """The replication's CachedForward re-runs only what the promised layer and position can change."""
    model, data, corrupt = _setup(reference, "llama", ONE_LENGTH)
    got = call_graded(graded.patch_residual, reference.CachedForward(model, data), corrupt, data)
    expected = reference.patch_residual(reference.plain_forward(model, data), corrupt, data)
    check_tensor(got, expected, atol=1e-4, what="patch_residual given CachedForward (the replication's forward), tiny llama model",
                 hint="if test_matches_reference fails too, fix that first. If only this test fails, check the promises: "
                 "forward(hooks, layer=l, pos=p) for the patch at (l, p); CachedForward re-runs only layers >= l at "
                 "positions >= p, so a later layer= or pos= loses the patch.")


def test_chosen_layers(graded, reference):
    model, data, corrupt = _setup(reference, "gpt2")
    forward = _forward(model, data)
    got = call_graded(graded.patch_residual, forward, corrupt, data, [2, 0])
    forward.check_promises()
    check(got.shape == (2, data.tokens.shape[1]),
          f"patch_residual(..., layers=[2, 0]) should be [2, pos] (one row per chosen layer), got {tuple(got.shape)}")
    every = call_graded(graded.patch_residual, reference.plain_forward(model, data), corrupt, data)
    check_tensor(got, every[[2, 0]], atol=1e-5, what="patch_residual(..., layers=[2, 0]) on a tiny gpt2 model",
                 against="rows 2 and 0 of your own patch_residual(...) of every layer (the same patches)",
                 hint="row i is layer layers[i], in the order given: hook blocks.{layers[i]}.hook_resid_pre and patch in "
                 "corrupt_resid[layers[i]] (corrupt_resid is indexed by layer number, not by row).")


def test_bos_changes_nothing(graded, reference):
    model, data, corrupt = _setup(reference, "gpt2")
    got = call_graded(graded.patch_residual, _forward(model, data), corrupt, data)
    clean = reference.logit_diff(reference.plain_forward(model, data)([]), data.io, data.s).mean()
    check_tensor(got[:, 0], clean.expand(model.cfg.n_layers), atol=1e-4, what="patch_residual(...)[:, 0] (patching position 0, the bos)",
                 against="the clean logit difference: the bos token and everything at its position are the same in the "
                 "clean and ABC runs, so patching it alone changes nothing",
                 hint="patch position p only (resid[:, p] = corrupt_resid[l][:, p]); leave the other positions as they are.")
