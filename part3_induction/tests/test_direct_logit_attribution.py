import torch

from exercises.testing import call_graded, check_close, check_tensor

from ._models import tiny_model


def test_matches_reference(graded, reference):
    z, W_O, W_U = torch.randn(2, 5, 3, 4), torch.randn(3, 4, 8), torch.randn(8, 10)
    tokens = torch.randint(0, 10, (2, 5))
    check_tensor(call_graded(graded.direct_logit_attribution, z, W_O, W_U, tokens),
                 reference.direct_logit_attribution(z, W_O, W_U, tokens), atol=1e-4,
                 what="direct_logit_attribution(z [2, 5, 3, 4], W_O [3, 4, 8], W_U [8, 10], tokens [2, 5])",
                 hint="position t is scored on the NEXT token, tokens[:, t + 1]; the result is [batch, pos - 1, head].")


def test_one_entry_by_hand(graded):
    z, W_O, W_U = torch.randn(1, 3, 2, 4), torch.randn(2, 4, 6), torch.randn(6, 9)
    tokens = torch.tensor([[4, 7, 2]])
    out = call_graded(graded.direct_logit_attribution, z, W_O, W_U, tokens)
    check_close(out[0, 1, 1], (z[0, 1, 1] @ W_O[1]) @ W_U[:, 2], atol=1e-4,
                what="direct_logit_attribution(...)[0, 1, 1] (head 1 at position 1, next token 2)",
                against="(z[0, 1, 1] @ W_O[1]) @ W_U[:, 2], computed by hand",
                hint="(z[b, t, h] @ W_O[h]) . W_U[:, tokens[b, t + 1]].")


def test_heads_add_up_to_the_logits(graded):
    """Without LayerNorm the logits are exactly embeddings + every head's output + biases."""
    model = tiny_model(layer_norm=False)
    tokens = torch.randint(0, 12, (2, 10))
    with torch.no_grad():
        logits, cache = model.run_with_cache(tokens)
    next_tokens = tokens[:, 1:]
    total = torch.zeros(2, 9)
    for layer in range(2):
        dla = call_graded(graded.direct_logit_attribution, cache[f"blocks.{layer}.attn.hook_z"],
                          model.W_O[layer].detach(), model.W_U.detach(), tokens)
        total += dla.sum(-1)
        total += (model.b_O[layer].detach() @ model.W_U.detach())[next_tokens]
    resid0 = (cache["hook_embed"] + cache["hook_pos_embed"])[:, :-1]
    total += torch.einsum("bpd,dbp->bp", resid0, model.W_U.detach()[:, next_tokens]) + model.b_U.detach()[next_tokens]
    check_tensor(total, logits[:, :-1].gather(-1, next_tokens[..., None]).squeeze(-1), atol=1e-3,
                 what="sum over heads and layers of direct_logit_attribution (+ embeddings and biases)",
                 against="the model's own logit for the next token",
                 hint="every head's contribution is z @ W_O @ W_U[:, next token]; nothing else goes in.")
