import pytest

from exercises.testing import call_graded, check_tensor

from ._models import ONE_LENGTH, SHAPES, PromiseCheckingForward, batches, expect_value_error, tiny_model

SENDERS, RECEIVERS = [(0, 0), (0, 3), (1, 1), (1, 2)], [(2, 1), (2, 2)]


def _setup(reference, shape, templates=None):
    model = tiny_model(shape)
    data, abc = batches(model, templates=templates)
    _, clean_cache = reference.run_cached(model, data.tokens)
    _, abc_cache = reference.run_cached(model, abc.tokens)
    stack = lambda cache: reference.stack_activation(cache, "attn.hook_z", model.cfg.n_layers)  # noqa: E731
    return model, data, stack(clean_cache), stack(abc_cache)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    """Prompts of three lengths, so END is at a different position in different prompts; the graded
    code's forward checks each call's layer= and pos= promises."""
    model, data, clean_z, corrupt_z = _setup(reference, shape)
    forward = PromiseCheckingForward(model, data, "path_patch_queries", ("attn.hook_z", "attn.hook_q"))
    got = call_graded(graded.path_patch_queries, forward, clean_z, corrupt_z, SENDERS, RECEIVERS, data)
    forward.check_promises()
    expected = reference.path_patch_queries(reference.plain_forward(model, data), clean_z, corrupt_z, SENDERS, RECEIVERS, data)
    check_tensor(got, expected, atol=1e-4, what=f"path_patch_queries on a tiny {shape} model, senders {SENDERS} -> receivers "
                 f"{RECEIVERS}, END at {data.end.tolist()}",
                 hint="run 1: sender corrupt at END, every other head of layers sender..last receiver frozen at its clean z "
                 "at END; record the receivers' q at END. Run 2: clean, with only those queries replaced. END is "
                 "data.end[b] for prompt b.")


def test_with_cached_forward(graded, reference):
    """The replication's CachedForward re-runs only what the promised layer and position can change."""
    model, data, clean_z, corrupt_z = _setup(reference, "llama", ONE_LENGTH)
    got = call_graded(graded.path_patch_queries, reference.CachedForward(model, data), clean_z, corrupt_z, SENDERS, RECEIVERS, data)
    expected = reference.path_patch_queries(reference.plain_forward(model, data), clean_z, corrupt_z, SENDERS, RECEIVERS, data)
    check_tensor(got, expected, atol=1e-4, what="path_patch_queries given CachedForward (the replication's forward), tiny llama model",
                 hint="if test_matches_reference fails too, fix that first. If only this test fails, check the promises: "
                 "run 1 is forward(hooks, layer=the sender's layer, pos=the smallest END); run 2 is forward(hooks, "
                 "layer=the first receiver layer, pos=the smallest END). CachedForward re-runs only layers >= layer at "
                 "positions >= pos, and skips (or refuses) hooks before them.")


def test_senders_after_receivers(graded, reference):
    model, data, clean_z, corrupt_z = _setup(reference, "gpt2")
    expect_value_error(graded.path_patch_queries, reference.plain_forward(model, data), clean_z, corrupt_z, [(2, 0)],
                       [(1, 1)], data, mentions="(2, 0)", why="the sender (2, 0) and the receiver (1, 1) (a sender after the receivers)")
