import pytest
import torch

from exercises.testing import call_graded, check_close

from ._models import SHAPES, batches, clean_cache, tiny_model


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    for negative in (False, True):
        _matches_reference(graded, reference, shape, negative)


def _matches_reference(graded, reference, shape, negative):
    model = tiny_model(shape)
    data, _ = batches(model, 12)
    cache = clean_cache(model, data)
    resid = cache["blocks.0.hook_resid_post"][torch.arange(len(data)), data.pos["IO"]]
    for head in [(1, 1), (2, 2), (2, 3)]:
        for k in (1, 5):
            check_close(call_graded(graded.copy_score, model, resid, data.io, head, k, negative),
                        reference.copy_score(model, resid, data.io, head, k, negative),
                        what=f"copy_score(head {head}, k={k}, negative={negative}) on a tiny {shape} model",
                        hint="ln1 of the head's layer, W_V of its key/value head (kv_head(model, h)), W_O of the head, "
                        "minus that for negative=True, then model.ln_final and W_U; is the name in the top k?")
