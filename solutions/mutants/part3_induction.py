"""Known-wrong versions of part 3's exercises: the course checks that the tests catch each one."""

import copy

import einops
import torch

from exercises.testing import mutant
from solutions import part3_induction as ref


@mutant("repeated_random_tokens", "two independent random halves")
def repeated_two_draws(batch, length, d_vocab, generator, bos=None):
    first = torch.randint(0, d_vocab, (batch, length), generator=generator)
    second = torch.randint(0, d_vocab, (batch, length), generator=generator)
    columns = [first, second] if bos is None else [torch.full((batch, 1), bos), first, second]
    return torch.cat(columns, dim=1)


@mutant("repeated_random_tokens", "bos ignored")
def repeated_no_bos(batch, length, d_vocab, generator, bos=None):
    return ref.repeated_random_tokens(batch, length, d_vocab, generator)


@mutant("per_token_loss", "predicts the current token, not the next")
def per_token_loss_no_shift(logits, tokens):
    return -logits[:, :-1].log_softmax(-1).gather(-1, tokens[:, :-1, None]).squeeze(-1)


@mutant("per_token_loss", "softmax over positions instead of the vocabulary")
def per_token_loss_wrong_axis(logits, tokens):
    return -logits[:, :-1].log_softmax(1).gather(-1, tokens[:, 1:, None]).squeeze(-1)


@mutant("attention_stripe_score", "stripe above the diagonal (key = query + offset)")
def stripe_transposed(patterns, offset, start=None):
    return ref.attention_stripe_score(patterns.transpose(-1, -2), offset, start)


@mutant("attention_stripe_score", "start ignored")
def stripe_ignores_start(patterns, offset, start=None):
    return patterns.diagonal(offset=-offset, dim1=-2, dim2=-1).mean(dim=(0, -1))


@mutant("attention_stripe_score", "mean includes query 0 (zero padding)")
def stripe_counts_missing_queries(patterns, offset, start=None):
    start = offset if start is None else start
    stripe = patterns.diagonal(offset=-offset, dim1=-2, dim2=-1)[..., start - offset :]
    return stripe.sum(dim=(0, -1)) / (patterns.shape[0] * (stripe.shape[-1] + 1))


@mutant("head_scores", "induction stripe at offset period (the repeated token itself)")
def head_scores_off_by_one(model, tokens, period):
    patterns = ref.attention_patterns(model, tokens)
    seq = tokens.shape[1]
    stripes = {"previous": (1, None), "current": (0, None), "induction": (period, seq - period)}
    return {name: torch.stack([ref.attention_stripe_score(p, o, s) for p in patterns]) for name, (o, s) in stripes.items()}


@mutant("head_scores", "previous and current swapped")
def head_scores_swapped(model, tokens, period):
    scores = ref.head_scores(model, tokens, period)
    return {"previous": scores["current"], "current": scores["previous"], "induction": scores["induction"]}


@mutant("direct_logit_attribution", "scored on the current token, not the next")
def dla_current_token(z, W_O, W_U, tokens):
    head_out = einops.einsum(z[:, :-1], W_O, "b p h d, h d m -> b p h m")
    return einops.einsum(head_out, W_U[:, tokens[:, :-1]], "b p h m, m b p -> b p h")


@mutant("direct_logit_attribution", "W_O heads summed before the unembedding")
def dla_summed_heads(z, W_O, W_U, tokens):
    out = ref.direct_logit_attribution(z, W_O, W_U, tokens)
    return out.sum(-1, keepdim=True).expand_as(out) / out.shape[-1]


@mutant("ablated_per_token_loss", "ablates the head's query instead of its output")
def ablate_query(model, tokens, heads):
    def hook_for(head):
        def hook(q, hook):
            q = q.clone()
            q[:, :, head] = 0.0
            return q
        return hook

    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{l}.attn.hook_q", hook_for(h)) for l, h in heads])
    return ref.per_token_loss(logits, tokens)


@mutant("ablated_per_token_loss", "only the first head listed is ablated")
def ablate_first_only(model, tokens, heads):
    return ref.ablated_per_token_loss(model, tokens, heads[:1])


@mutant("ablated_per_token_loss", "ablates head index as a layer-wide position")
def ablate_position(model, tokens, heads):
    def hook_for(head):
        def hook(z, hook):
            z = z.clone()
            z[:, head] = 0.0
            return z
        return hook

    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{l}.attn.hook_z", hook_for(h)) for l, h in heads])
    return ref.per_token_loss(logits, tokens)


@mutant("copying_score", "sum of |real parts| in the denominator")
def copying_real_denominator(W_E, W_V, W_O, W_U):
    eigenvalues = torch.linalg.eigvals(W_V @ W_O @ W_U @ W_E)
    return (eigenvalues.sum().real / eigenvalues.real.abs().sum()).item()


@mutant("copying_score", "W_V W_O alone (no embedding or unembedding)")
def copying_no_embeddings(W_E, W_V, W_O, W_U):
    eigenvalues = torch.linalg.eigvals(W_O @ W_V)
    return (eigenvalues.sum().real / eigenvalues.abs().sum()).item()


@mutant("k_composition_scores", "W_QK @ W_OV without the transpose (Q-composition's form)")
def k_comp_no_transpose(W_OV, W_QK):
    products = einops.einsum(W_QK, W_OV, "nxt a c, prev c b -> prev nxt a b")
    return products.flatten(2).norm(dim=-1) / (W_OV.flatten(1).norm(dim=-1)[:, None] * W_QK.flatten(1).norm(dim=-1)[None, :])


@mutant("k_composition_scores", "not normalised by the norms")
def k_comp_unnormalised(W_OV, W_QK):
    return einops.einsum(W_OV, W_QK, "prev a c, nxt b c -> prev nxt a b").flatten(2).norm(dim=-1)


@mutant("k_composition_scores", "rows and columns swapped")
def k_comp_transposed(W_OV, W_QK):
    return ref.k_composition_scores(W_OV, W_QK).T


@mutant("induction_qk_circuit", "key side reads the key's own token (no previous-token OV circuit)")
def qk_circuit_no_ov(model, previous_token_head, induction_head):
    l1, h1 = induction_head
    with torch.no_grad():
        return (model.W_E @ model.W_Q[l1, h1]) @ (model.W_E @ model.W_K[l1, h1]).T


@mutant("induction_qk_circuit", "transposed: [key's previous token, query token]")
def qk_circuit_transposed(model, previous_token_head, induction_head):
    return ref.induction_qk_circuit(model, previous_token_head, induction_head).T


@mutant("induction_qk_circuit", "the OV circuit of the induction head itself, not of the previous-token head")
def qk_circuit_wrong_head(model, previous_token_head, induction_head):
    return ref.induction_qk_circuit(model, induction_head, induction_head)


@mutant("induction_qk_circuit", "scaled by 1/sqrt(d_head)")
def qk_circuit_scaled(model, previous_token_head, induction_head):
    return ref.induction_qk_circuit(model, previous_token_head, induction_head) / model.W_Q.shape[-1] ** 0.5


def _train(model, make_batch, steps, lr, weight_decay, seed, every, track, zero_grad: str) -> list[float]:
    """The reference training loop with the grads zeroed "before" backward (right), "never" or "after" backward."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator, losses = torch.Generator().manual_seed(seed), []
    model.train()
    for step in range(steps):
        if track is not None and every > 0 and step % every == 0:
            track(step)
        tokens = make_batch(generator)
        loss = ref.per_token_loss(model(tokens), tokens).mean()
        if zero_grad == "before":
            optimizer.zero_grad()
        loss.backward()
        if zero_grad == "after":
            optimizer.zero_grad()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    if track is not None and every > 0:
        track(steps)
    return losses


@mutant("train_attn_only", "grads never zeroed")
def train_no_zero_grad(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    return _train(model, make_batch, steps, lr, weight_decay, seed, every, track, zero_grad="never")


@mutant("train_attn_only", "a fresh generator every step (the same batch over and over)")
def train_same_batch(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    losses = []
    for step in range(steps):
        if track is not None and every > 0 and step % every == 0:
            track(step)
        losses += ref.train_attn_only(model, make_batch, steps=1, lr=lr, weight_decay=weight_decay, seed=seed)
    if track is not None and every > 0:
        track(steps)
    return losses


@mutant("train_attn_only", "no final track call")
def train_no_final_track(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    return ref.train_attn_only(model, make_batch, steps=steps, lr=lr, weight_decay=weight_decay, seed=seed,
                               every=every, track=(lambda s: track(s) if s < steps else None) if track else None)


@mutant("train_attn_only", "trains a private copy: the model it was given stays untrained")
def train_a_copy(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    return ref.train_attn_only(copy.deepcopy(model), make_batch, steps=steps, lr=lr, weight_decay=weight_decay,
                               seed=seed, every=every, track=track)


@mutant("train_attn_only", "leaves the model in training mode")
def train_no_eval(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    losses = ref.train_attn_only(model, make_batch, steps=steps, lr=lr, weight_decay=weight_decay, seed=seed,
                                 every=every, track=track)
    model.train()
    return losses


@mutant("repeated_random_tokens", "the copies concatenated along the batch (dim 0)")
def repeated_cat_batch(batch, length, d_vocab, generator, bos=None):
    first = torch.randint(0, d_vocab, (batch, length), generator=generator)
    tokens = torch.cat([first, first])  # dim=0 by default
    return tokens if bos is None else torch.cat([torch.full((len(tokens), 1), bos), tokens], dim=1)


@mutant("repeated_random_tokens", "float ids from torch.rand * d_vocab")
def repeated_float_ids(batch, length, d_vocab, generator, bos=None):
    first = (torch.rand(batch, length, generator=generator) * d_vocab).floor()
    columns = [first, first] if bos is None else [torch.full((batch, 1), float(bos)), first, first]
    return torch.cat(columns, dim=1)


@mutant("attention_stripe_score", "query 0 always skipped (start defaults to 1, not to offset)")
def stripe_always_skips_query_0(patterns, offset, start=None):
    return ref.attention_stripe_score(patterns, offset, max(offset, 1) if start is None else start)


@mutant("head_scores", "a tuple (previous, current, induction), not a dict")
def head_scores_tuple(model, tokens, period):
    scores = ref.head_scores(model, tokens, period)
    return scores["previous"], scores["current"], scores["induction"]


@mutant("ablated_per_token_loss", "hooks added with model.add_hook and never removed")
def ablate_leaves_hooks(model, tokens, heads):
    for layer, head in heads:
        def zero_head(z, hook, head=head):
            z = z.clone()
            z[:, :, head] = 0.0
            return z

        model.add_hook(f"blocks.{layer}.attn.hook_z", zero_head)
    with torch.no_grad():
        return ref.per_token_loss(model(tokens), tokens)


@mutant("copying_score", "modulus of the summed eigenvalues, not its real part")
def copying_modulus(W_E, W_V, W_O, W_U):
    eigenvalues = torch.linalg.eigvals(W_V @ W_O @ W_U @ W_E)
    return (eigenvalues.sum().abs() / eigenvalues.abs().sum()).item()


@mutant("k_composition_scores", "divided by ||W_QK|| only (W_OV's norm forgotten)")
def k_comp_half_normalised(W_OV, W_QK):
    products = einops.einsum(W_OV, W_QK, "prev a c, nxt b c -> prev nxt a b")
    return products.flatten(2).norm(dim=-1) / W_QK.flatten(1).norm(dim=-1)[None, :]


@mutant("train_attn_only", "losses kept as tensors (loss, not loss.item())")
def train_tensor_losses(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    losses = ref.train_attn_only(model, make_batch, steps=steps, lr=lr, weight_decay=weight_decay, seed=seed,
                                 every=every, track=track)
    return [torch.tensor(v) for v in losses]


@mutant("train_attn_only", "zero_grad between backward and step: every step sees zero grads")
def train_zero_grad_too_late(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    return _train(model, make_batch, steps, lr, weight_decay, seed, every, track, zero_grad="after")


@mutant("train_attn_only", "weight_decay ignored: AdamW(model.parameters(), lr=lr) uses AdamW's default 0.01")
def train_ignores_weight_decay(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    return _train(model, make_batch, steps, lr, 0.01, seed, every, track, zero_grad="before")


@mutant("train_attn_only", "track(step) called after that step's update, not before it")
def train_tracks_after_update(model, make_batch, *, steps, lr, weight_decay=0.01, seed=0, every=0, track=None):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator, losses = torch.Generator().manual_seed(seed), []
    model.train()
    for step in range(steps):
        tokens = make_batch(generator)
        loss = ref.per_token_loss(model(tokens), tokens).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if track is not None and every > 0 and step % every == 0:
            track(step)
    model.eval()
    if track is not None and every > 0:
        track(steps)
    return losses


@mutant("head_scores", "period taken as seq // 2 (the `period` argument ignored)")
def head_scores_half_length(model, tokens, period):
    return ref.head_scores(model, tokens, tokens.shape[1] // 2)
