import torch

from exercises.testing import call_graded, check_close, check_tensor

from ._models import batches, clean_cache, tiny_model


def test_matches_reference(graded, reference):
    model = tiny_model("llama")
    data, _ = batches(model)
    cache = clean_cache(model, data)
    check_tensor(call_graded(graded.end_attention, cache, data, 3), reference.end_attention(cache, data, 3),
                 what=f"end_attention on a tiny model (padded prompts, END at {data.end.tolist()})",
                 hint="[3, layer, head]: from query END (data.end[b], not the last padded position) to keys IO, S1, S2 in that order.")


def test_one_entry_by_hand(graded):
    model = tiny_model("gpt2")
    data, _ = batches(model)
    cache = clean_cache(model, data)
    out = call_graded(graded.end_attention, cache, data, 3)
    pattern = cache["blocks.2.attn.hook_pattern"]
    expected = torch.stack([pattern[b, 1, data.end[b], data.pos["S1"][b]] for b in range(len(data))]).mean()
    check_close(out[1, 2, 1], expected, what="end_attention(...)[1, 2, 1] (S1, layer 2, head 1)",
                against="the mean of pattern[b, 1, END, S1] over prompts", hint="the query is END, the key is the name's position.")
