import torch

from exercises.testing import call_graded, check, check_close, grading_seed

from ._tiny import tiny_model, tiny_tokens


def _noisy(activation):
    return activation + torch.sin(7 * activation)  # deterministic, and far from the truth


def test_perfect_and_useless_reconstructions(graded):
    model, tokens = tiny_model(), tiny_tokens(4, 8)
    perfect = call_graded(graded.loss_recovered, model, tokens, 1, lambda a: a.clone())
    check(isinstance(perfect, dict) and {"clean", "spliced", "zero_ablated", "recovered"} <= set(perfect),
          f"loss_recovered should return a dict with 'clean', 'spliced', 'zero_ablated', 'recovered'; got {perfect!r}")
    check_close(perfect["recovered"], 1.0, atol=1e-4, what="loss_recovered(..., reconstruct=identity)['recovered']",
                against="1 (splicing in the activation itself changes nothing)",
                hint="recovered = (zero_ablated - spliced) / (zero_ablated - clean).")
    useless = call_graded(graded.loss_recovered, model, tokens, 1, torch.zeros_like)
    check_close(useless["recovered"], 0.0, atol=1e-4, what="loss_recovered(..., reconstruct=zeros)['recovered']",
                against="0 (splicing in zeros is zero-ablation)", hint="zero-ablation replaces the activation by zeros.")


def test_reconstruct_gets_the_residual_stream_after_block_layer(graded):
    model, tokens, seen = tiny_model(), tiny_tokens(3, 6), []

    def spy(activation):
        seen.append(activation.detach().clone())
        return activation.clone()

    call_graded(graded.loss_recovered, model, tokens, 1, spy)
    _, cache = model.run_with_cache(tokens)
    expected = cache["blocks.1.hook_resid_post"]
    if not seen:
        problem = "never called `reconstruct`"
    elif any(a.shape != expected.shape for a in seen):
        problem = f"called `reconstruct` on tensors of shapes {sorted({tuple(a.shape) for a in seen})}"
    elif not all(torch.allclose(a, expected, atol=1e-5) for a in seen):
        problem = "called `reconstruct` on a tensor of the right shape that is not that residual stream"
    else:
        problem = ""
    check(not problem,
          f"loss_recovered(tiny 3-layer model, 3 sequences of 6 tokens, layer=1, reconstruct=fn) {problem}; fn should get "
          f"the residual stream after block 1, [batch, pos, d_model] = {list(expected.shape)}: hook hook_name(layer) = "
          f"'blocks.1.hook_resid_post', the output of block `layer` (not hook_resid_pre, the input of that block, nor "
          f"another layer's hook), and hand the hook's activation to reconstruct as it is.")


HINTS = {
    "clean": "the clean loss is next_token_loss(model(tokens), tokens): the model with no hooks.",
    "spliced": "a hook on hook_name(layer) returning torch.where(where[..., None], reconstruct(activation), activation): "
               "only the positions where `where` is True get the reconstruction, the others keep the model's own activation.",
    "zero_ablated": "the same hook, with zeros instead of reconstruct(activation), and again only where `where` is True.",
}


def test_matches_reference_with_a_mask(graded, reference):
    model, tokens = tiny_model(), tiny_tokens(4, 8)
    where = torch.rand(4, 8, generator=torch.Generator().manual_seed(grading_seed(0))) < 0.5
    got = call_graded(graded.loss_recovered, model, tokens, 2, _noisy, where)
    expected = reference.loss_recovered(model, tokens, 2, _noisy, where)
    check(isinstance(got, dict), f"loss_recovered(tiny model, layer 2, ...) should return a dict of four Python floats "
          f"('clean', 'spliced', 'zero_ablated', 'recovered'); got a {type(got).__name__}")
    tensors = [key for key in expected if not isinstance(got.get(key), float)]
    check(not tensors, f"loss_recovered(tiny model, layer 2, ...) should give Python floats (use .item()); got "
          + ", ".join(f"{key!r}: a {type(got.get(key)).__name__}" for key in tensors) + ". The replication prints and rounds them.")
    for key in ("clean", "spliced", "zero_ablated"):
        check_close(got[key], expected[key], atol=1e-5,
                    what=f"loss_recovered(tiny model, layer 2, noisy reconstruction, `where` True at half the positions)[{key!r}]",
                    hint=HINTS[key])
