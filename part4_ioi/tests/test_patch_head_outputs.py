import pytest

from exercises.testing import call_graded, check_tensor

from ._models import ONE_LENGTH, SHAPES, PromiseCheckingForward, batches, tiny_model

GROUPS = [[(0, 1)], [(1, 3)], [(2, 0)], [(0, 1), (1, 3), (2, 0)], [(1, 0), (1, 2)]]


def _setup(reference, shape, templates=None):
    model = tiny_model(shape)
    data, abc = batches(model, templates=templates)
    _, abc_cache = reference.run_cached(model, abc.tokens)
    return model, data, reference.stack_activation(abc_cache, "attn.hook_z", model.cfg.n_layers)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    """Prompts of three lengths, so IO, S2 and END sit at different positions in different prompts;
    the graded code's forward checks each call's layer= and pos= promises."""
    model, data, corrupt_z = _setup(reference, shape)
    for where in ("END", "S2", "IO"):
        positions = data.pos[where]
        forward = PromiseCheckingForward(model, data, "patch_head_outputs", ("attn.hook_z",))
        got = call_graded(graded.patch_head_outputs, forward, corrupt_z, GROUPS, positions, data)
        forward.check_promises()
        expected = reference.patch_head_outputs(reference.plain_forward(model, data), corrupt_z, GROUPS, positions, data)
        check_tensor(got, expected, atol=1e-4, what=f"patch_head_outputs at {where} (positions {positions.tolist()}) on a "
                     f"tiny {shape} model, groups {GROUPS}",
                     hint="patch every head of a group in the same run, each prompt b at its own position positions[b].")


def test_with_cached_forward(graded, reference):
    """The replication's CachedForward re-runs only what the promised layer and position can change."""
    model, data, corrupt_z = _setup(reference, "llama", ONE_LENGTH)
    positions = data.pos["S2"]
    got = call_graded(graded.patch_head_outputs, reference.CachedForward(model, data), corrupt_z, GROUPS, positions, data)
    expected = reference.patch_head_outputs(reference.plain_forward(model, data), corrupt_z, GROUPS, positions, data)
    check_tensor(got, expected, atol=1e-4, what="patch_head_outputs at S2 given CachedForward (the replication's forward), tiny llama model",
                 hint="if test_matches_reference fails too, fix that first. If only this test fails, check the promises: "
                 "forward(hooks, layer=the group's first layer, pos=positions.min()); CachedForward re-runs only layers "
                 ">= layer at positions >= pos, so a later layer= or pos= loses the patch.")


def test_patching_clean_values_changes_nothing(graded, reference):
    model, data, _ = _setup(reference, "llama")
    _, clean_cache = reference.run_cached(model, data.tokens)
    clean_z = reference.stack_activation(clean_cache, "attn.hook_z", model.cfg.n_layers)
    forward = reference.plain_forward(model, data)
    got = call_graded(graded.patch_head_outputs, forward, clean_z, GROUPS, data.end, data)
    clean = reference.logit_diff(forward([]), data.io, data.s).mean()
    check_tensor(got, clean.expand(len(GROUPS)), atol=1e-4, what="patch_head_outputs with the clean run's own z",
                 against="the clean logit difference (patching a value with itself changes nothing)",
                 hint="replace z with the given values (corrupt_z); do not zero or scale it.")
