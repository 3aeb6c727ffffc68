import torch

from exercises.testing import call_graded, check, check_tensor

from ._models import tiny_model


def _tokens():
    return torch.randint(0, 12, (3, 12))


def test_matches_reference(graded, reference):
    model, tokens = tiny_model(), _tokens()
    for heads in [[(0, 1)], [(1, 0)], [(0, 0), (1, 1), (1, 0)]]:
        check_tensor(call_graded(graded.ablated_per_token_loss, model, tokens, heads),
                     reference.ablated_per_token_loss(model, tokens, heads), atol=1e-4,
                     what=f"ablated_per_token_loss(tiny model, tokens [3, 12], heads={heads})",
                     hint="zero z[:, :, head] at blocks.{layer}.attn.hook_z for every (layer, head) listed.")


def test_no_heads_is_the_plain_loss(graded, reference):
    model, tokens = tiny_model(), _tokens()
    with torch.no_grad():
        plain = reference.per_token_loss(model(tokens), tokens)
    check_tensor(call_graded(graded.ablated_per_token_loss, model, tokens, []), plain, atol=1e-5,
                 what="ablated_per_token_loss(model, tokens, heads=[])", against="the unablated per-token loss")


def test_last_layer_head_by_hand(graded, reference):
    """Without LayerNorm, removing a layer-1 head subtracts exactly z @ W_O @ W_U from the logits."""
    model, tokens = tiny_model(layer_norm=False), _tokens()
    with torch.no_grad():
        logits, cache = model.run_with_cache(tokens)
        head_logits = cache["blocks.1.attn.hook_z"][:, :, 1] @ model.W_O[1, 1] @ model.W_U
    expected = reference.per_token_loss(logits - head_logits, tokens)
    check_tensor(call_graded(graded.ablated_per_token_loss, model, tokens, [(1, 1)]), expected, atol=1e-4,
                 what="ablated_per_token_loss(no-LayerNorm model, heads=[(1, 1)])",
                 against="the loss with head (1, 1)'s z @ W_O @ W_U taken off the logits by hand",
                 hint="ablate head 1 of layer 1 only: z[:, :, 1] = 0 at blocks.1.attn.hook_z.")


def test_model_is_left_unchanged(graded):
    model, tokens = tiny_model(), _tokens()
    with torch.no_grad():
        before = model(tokens)
    call_graded(graded.ablated_per_token_loss, model, tokens, [(0, 0)], changes=("model",))  # the model itself, to inspect
    with torch.no_grad():
        after = model(tokens)
    check(torch.allclose(before, after), "after ablated_per_token_loss the model itself should be unchanged: "
          "use run_with_hooks (it removes its hooks afterwards), not model.add_hook without reset_hooks, nor edits to the weights.")
