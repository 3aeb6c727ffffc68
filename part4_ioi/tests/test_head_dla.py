import pytest
import torch

from exercises.testing import call_graded, check_tensor

from ._models import SHAPES, batches, clean_cache, tiny_model


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    model = tiny_model(shape)
    data, _ = batches(model)
    cache = clean_cache(model, data)
    check_tensor(call_graded(graded.head_dla, model, cache, data), reference.head_dla(model, cache, data), atol=1e-4,
                 what=f"head_dla on a tiny {shape}-shaped model (padded prompts, END at {data.end.tolist()})",
                 hint="z at END (data.end[b], not the last padded position) @ W_O, then the final norm with the cached "
                 "scale (for a LayerNorm, subtract the mean over d_model first), then . (W_U[:, io] - W_U[:, s]); mean over prompts.")


@pytest.mark.parametrize("shape", SHAPES)
def test_heads_add_up_to_each_attention_layer(graded, reference, shape):
    """A layer's heads together write hook_attn_out minus the output bias; through the frozen norm
    their shares must add up to that output's share of the logit difference."""
    model = tiny_model(shape)
    data, _ = batches(model)
    cache = clean_cache(model, data)
    dla = call_graded(graded.head_dla, model, cache, data)
    batch = torch.arange(len(data))
    weight, centres = reference.final_norm_parts(model)
    direction = (model.W_U[:, data.io] - model.W_U[:, data.s]).detach().T  # [batch, d_model]
    expected = []
    for layer in range(model.cfg.n_layers):
        out = cache[f"blocks.{layer}.hook_attn_out"][batch, data.end] - reference._layer(reference._bias(model, "b_O"), layer)
        if centres:
            out = out - out.mean(-1, keepdim=True)
        out = out / cache["ln_final.hook_scale"][batch, data.end] * weight
        expected.append((out * direction).sum(-1).mean())
    check_tensor(dla.sum(-1), torch.stack(expected), atol=1e-4, what=f"head_dla(...).sum over heads, tiny {shape} model",
                 against="each layer's whole attention output (hook_attn_out) through the frozen final norm",
                 hint="every head counts, and the norm is the same for all: divide by the scale at END, multiply by "
                 "its weight, and subtract the mean over d_model first when the model uses LayerNorm.")
