import pytest
import torch

from exercises.testing import call_graded, check, check_tensor

from ._tiny import tiny_model, tiny_tokens


def test_matches_the_full_forward_pass(graded):
    model, tokens = tiny_model(), tiny_tokens(5, 7)
    got = call_graded(graded.collect_activations, model, tokens, 1, 2)
    _, cache = model.run_with_cache(tokens)
    check_tensor(got, cache["blocks.1.hook_resid_post"], atol=1e-5,
                 what="collect_activations(tiny 3-layer model, 5 sequences, layer=1, batch_size=2)",
                 against="the residual stream after block 1 of one full forward pass",
                 hint="cache 'blocks.{layer}.hook_resid_post' for every batch of batch_size sequences (the last batch may be smaller).")


def test_stops_at_the_hooked_layer(graded):
    model, tokens, reached = tiny_model(), tiny_tokens(4, 6), []
    model.unembed.register_forward_hook(lambda module, inputs, output: reached.append(True))
    call_graded(graded.collect_activations, model, tokens, 0, 4, changes=("model",))
    check(not reached, "collect_activations ran the whole model up to the unembedding; stop right after block `layer` "
          "(run_with_cache(..., stop_at_layer=layer + 1)): at a middle layer that halves the work.")


def test_caches_only_the_hooked_layer(graded):
    model, tokens, caches = tiny_model(), tiny_tokens(4, 6), []
    run_with_cache = model.run_with_cache
    wanted = set(run_with_cache(tokens[:1], names_filter="blocks.1.hook_resid_post", stop_at_layer=2)[1].keys())  # it and its aliases

    def spy(*args, **kwargs):
        result = run_with_cache(*args, **kwargs)
        caches.append(set(result[1].keys()))
        return result

    model.run_with_cache = spy  # the instance's own (its copy too): your call reaches it, and the cache it returns is seen
    call_graded(graded.collect_activations, model, tokens, 1, 2)
    extra = sorted(set().union(*caches) - wanted)
    check(not extra,
          f"collect_activations(tiny 3-layer model, 4 sequences, layer=1, batch_size=2) cached {len(extra)} other "
          f"hooks too ({', '.join(extra[:4])}{', ...' if len(extra) > 4 else ''}): pass names_filter=hook_name(layer) to run_with_cache: caching every "
          f"hook wastes memory (on the real model, every hook of every block up to `layer`).")


def test_the_cache_refuses_another_layer_model_or_damage(graded, tmp_path):
    """The replication's on-disk cache (given code) around your collect_activations."""
    from part5_sae.activation_store import ActivationCacheError, build_cache, load_cache

    model, tokens, path = tiny_model(), tiny_tokens(3, 5), tmp_path / "cache.safetensors"
    built = build_cache(graded.collect_activations, model, tokens, 1, path, "tiny", chunk=2, batch_size=2, progress=False)
    torch.testing.assert_close(load_cache(path, "tiny", 1, tokens), built)
    with pytest.raises(ActivationCacheError, match="after block 1.*PART5_LAYER=1"):
        load_cache(path, "tiny", 2, tokens)
    with pytest.raises(ActivationCacheError, match="other-model"):
        load_cache(path, "other-model", 1, tokens)
    with pytest.raises(ActivationCacheError, match="other tokens"):
        load_cache(path, "tiny", 1, tokens.flip(0))
    raw = bytearray(path.read_bytes())
    raw[-4:] = bytes(b ^ 0xFF for b in raw[-4:])  # flip the last bytes of the activations
    path.write_bytes(bytes(raw))
    with pytest.raises(ActivationCacheError, match="corrupt"):
        load_cache(path, "tiny", 1, tokens)
    path.write_bytes(bytes(raw[:100]))  # truncated
    with pytest.raises(ActivationCacheError, match="corrupt"):
        load_cache(path, "tiny", 1, tokens)
    with pytest.raises(ValueError, match="out of range"):
        graded.validate_layer(model, 3)
