import pytest

from exercises.grading import call_graded, check_tensor

from ._models import SHAPES, batches, expect_value_error, tiny_model

SENDERS, RECEIVERS = [(0, 0), (0, 3), (1, 1), (1, 2)], [(2, 1), (2, 2)]


def _setup(reference, shape):
    model = tiny_model(shape)
    data, abc = batches(model)
    _, clean_cache = reference.run_cached(model, data.tokens)
    _, abc_cache = reference.run_cached(model, abc.tokens)
    stack = lambda cache: reference.stack_activation(cache, "attn.hook_z", model.cfg.n_layers)  # noqa: E731
    return model, data, stack(clean_cache), stack(abc_cache)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    model, data, clean_z, corrupt_z = _setup(reference, shape)
    got = call_graded(graded.path_patch_queries, reference.plain_forward(model, data), clean_z, corrupt_z, SENDERS, RECEIVERS, data)
    expected = reference.path_patch_queries(reference.CachedForward(model, data), clean_z, corrupt_z, SENDERS, RECEIVERS, data)
    check_tensor(got, expected, atol=1e-4, what=f"path_patch_queries on a tiny {shape} model, senders {SENDERS} -> receivers {RECEIVERS}",
                 hint="run 1: sender corrupt at END, every other head of layers sender..last receiver frozen at its clean z "
                 "at END; record the receivers' q at END. Run 2: clean, with only those queries replaced.")


def test_senders_after_receivers(graded, reference):
    model, data, clean_z, corrupt_z = _setup(reference, "gpt2")
    expect_value_error(graded.path_patch_queries, reference.plain_forward(model, data), clean_z, corrupt_z, [(2, 0)],
                       [(1, 1)], data, mentions="(2, 0)", why="a sender in a later layer than the receivers")
