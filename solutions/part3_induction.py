"""Part 3: induction heads (Olsson et al. 2022). Find them, test them, and watch one form.

An induction head completes patterns: having seen "... A B ... A", it attends from the second A
to the token after the first A (B) and copies it. It needs two heads in series: a
previous-token head (layer 0) writes "the token before me was A" into each position, and the
induction head (layer 1) uses that as its key to find "the position whose previous token is my
current token" (K-composition), then copies what it finds (a positive OV circuit).

Work through the functions marked @exercise in order; the others are given. They run on any
TransformerBridge: the small 2-layer attention-only model you train here (make_attn_only_model)
and the offline SmolLM2-135M (exercises.models.load_model()).

Conventions: tokens are [batch, pos]; attention patterns [batch, head, query_pos, key_pos]
(cache["blocks.{layer}.attn.hook_pattern"]); the per-head attention outputs before W_O are
cache["blocks.{layer}.attn.hook_z"], [batch, pos, head, d_head]; model.W_Q, W_K, W_V are
[layer, head, d_model, d_head], W_O is [layer, head, d_head, d_model], W_E [vocab, d_model],
W_U [d_model, vocab]. Vectors are rows: a head reads x and writes x @ W_V @ W_O.
"""

from typing import Callable

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor

from exercises import exercise

Head = tuple[int, int]  # (layer, head)

# The model and data of the training experiment (replicate.py). Why this data: see the README.
MODEL_SHAPE = dict(d_vocab=128, n_ctx=64, d_model=64, n_heads=4, n_layers=2)
MIN_PERIOD, MAX_PERIOD = 8, 32


def make_attn_only_model(
    d_vocab: int, n_ctx: int, d_model: int, n_heads: int, n_layers: int = 2, seed: int = 0, layer_norm: bool = True
):
    """A randomly initialised attention-only transformer (no MLPs) as a TransformerBridge.

    Built with transformer_lens 4's `TransformerBridge.boot_native`: learned token and position
    embeddings, `n_layers` attention layers of `n_heads` heads (d_head = d_model // n_heads),
    LayerNorm before each layer and before the unembedding (or none when `layer_norm` is False).
    """
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge import TransformerBridge

    config = TransformerBridgeConfig(
        d_model=d_model, d_head=d_model // n_heads, n_heads=n_heads, n_layers=n_layers, n_ctx=n_ctx,
        d_vocab=d_vocab, attn_only=True, normalization_type="LN" if layer_norm else None,
        positional_embedding_type="standard", act_fn="relu", seed=seed,
    )
    return TransformerBridge.boot_native(config).eval()


def periodic_batch(
    batch: int, seq_len: int, d_vocab: int, generator: torch.Generator,
    min_period: int = MIN_PERIOD, max_period: int = MAX_PERIOD,
) -> Int[Tensor, "batch seq_len"]:
    """Training data where induction is the only way to do well.

    Each sequence draws its own period p (uniform in [min_period, max_period]), draws p uniform
    random tokens, and repeats them until seq_len: "a b c d a b c d a b ...". The first p tokens
    cannot be predicted at all; every later token can, by one rule only: find the earlier
    occurrence of the current token and predict the token that followed it.

    Why random tokens and a random period: with a fixed period the answer is always "the token
    p - 1 positions back", which a single layer-0 head learns from position embeddings alone (a
    positional shortcut, no induction). With natural text, bigram statistics pay off first.
    Here neither works.
    """
    tokens = torch.randint(0, d_vocab, (batch, seq_len), generator=generator)
    periods = torch.randint(min_period, max_period + 1, (batch, 1), generator=generator)
    return tokens.gather(1, torch.arange(seq_len) % periods)


def attention_patterns(model, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "layer batch head q k"]:
    """Every layer's attention pattern on `tokens`, stacked (one forward pass, patterns cached)."""
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda name: name.endswith("attn.hook_pattern"))
    return torch.stack([cache[f"blocks.{layer}.attn.hook_pattern"] for layer in range(model.cfg.n_layers)])


def top_heads(scores: Float[Tensor, "layer head"], k: int = 5) -> list[tuple[Head, float]]:
    """The k highest-scoring heads, as [((layer, head), score), ...]."""
    values, flat = scores.flatten().topk(k)
    n_heads = scores.shape[1]
    return [((i // n_heads, i % n_heads), v) for i, v in zip(flat.tolist(), values.tolist())]


def dla_inputs(model, cache, layer: int) -> tuple[Tensor, Tensor, Tensor]:
    """(z, W_O, W_U) for direct_logit_attribution, with the final LayerNorm accounted for.

    LayerNorm centres the residual stream, divides by its scale and multiplies by a weight. The
    scale depends on the input; for one forward pass it is a fixed number per position, so the
    logits are exactly a sum of each component's (centred, scaled) output: W_O is centred over
    d_model, z is divided by the cached scale, W_U is multiplied by the LayerNorm weight.
    """
    z = cache[f"blocks.{layer}.attn.hook_z"]
    W_O, W_U = model.W_O[layer], model.W_U
    norm = getattr(model.ln_final, "original_component", None)
    if isinstance(norm, torch.nn.LayerNorm):
        resid = cache["ln_final.hook_in"]
        scale = (resid.var(dim=-1, unbiased=False, keepdim=True) + norm.eps).sqrt()
        z = z / scale[..., None]
        W_O = W_O - W_O.mean(dim=-1, keepdim=True)
        W_U = norm.weight[:, None] * W_U
    return z.detach(), W_O.detach(), W_U.detach()


def full_ov_circuit(model, layer: int, head: int) -> Float[Tensor, "vocab vocab"]:
    """W_E W_V W_O W_U of one head: how much attending to token i raises the logit of token j."""
    with torch.no_grad():
        return model.W_E @ model.W_V[layer, head] @ model.W_O[layer, head] @ model.W_U


def ov_and_qk(model, layer: int) -> tuple[Float[Tensor, "head d_model d_model"], Float[Tensor, "head d_model d_model"]]:
    """One layer's W_OV = W_V W_O and W_QK = W_Q W_K^T for every head."""
    with torch.no_grad():
        W_OV = model.W_V[layer] @ model.W_O[layer]
        W_QK = model.W_Q[layer] @ model.W_K[layer].transpose(-1, -2)
    return W_OV, W_QK


def in_context_learning_score(losses: Float[Tensor, "batch pos"], early: int, late: int) -> float:
    """Olsson et al.'s in-context-learning score: mean loss at position `late` minus at `early`.

    The paper uses the 500th and the 50th token of natural text. A negative score means the
    model predicts later tokens better because it uses the context; it drops sharply exactly when
    induction heads form. `losses` is per_token_loss's output, averaged over the batch.
    """
    return (losses[:, late].mean() - losses[:, early].mean()).item()


def diagonal_score(circuit: Float[Tensor, "vocab vocab"]) -> float:
    """The fraction of rows whose largest entry is on the diagonal (1 for a perfect induction QK circuit)."""
    return (circuit.argmax(dim=-1) == torch.arange(circuit.shape[0], device=circuit.device)).float().mean().item()


def positional_pattern(model, layer: int, head: int) -> Float[Tensor, "query key"]:
    """The attention pattern one head would have from position embeddings alone.

    Each position's input is its position embedding plus the mean token embedding, through the
    layer's LayerNorm (left out, a previous-token head's positional signal is lost in the
    token-embedding noise: the normalisation is part of the circuit), then the head's queries
    and keys, the causal mask and the softmax. A previous-token head shows a stripe just below
    the diagonal.
    """
    with torch.no_grad():
        x = model.W_pos + model.W_E.mean(dim=0)
        norm = getattr(model.blocks[layer].ln1, "original_component", None)
        if isinstance(norm, torch.nn.LayerNorm):
            x = norm(x)
        queries = x @ model.W_Q[layer, head] + model.b_Q[layer, head]
        keys = x @ model.W_K[layer, head] + model.b_K[layer, head]
        scores = queries @ keys.T / model.cfg.d_head**0.5
        future = torch.triu(torch.ones_like(scores, dtype=torch.bool), diagonal=1)
        return scores.masked_fill(future, float("-inf")).softmax(dim=-1)


@exercise
def repeated_random_tokens(
    batch: int, length: int, d_vocab: int, generator: torch.Generator, bos: int | None = None
) -> Int[Tensor, "batch seq"]:
    """Random token sequences repeated twice: [bos,] x_1 ... x_L x_1 ... x_L.

    Draw one [batch, length] tensor with `torch.randint(0, d_vocab, (batch, length), generator=generator)`,
    and concatenate it with itself along the positions; when `bos` is given, put one column of
    `bos` first (SmolLM2 expects a beginning-of-sequence token). Shape [batch, 2 * length],
    or [batch, 2 * length + 1] with `bos`.
    Random tokens carry no statistics: the first copy is unpredictable, the second copy is
    predictable only by looking back at the first.
    Hint: torch.cat along dim=1; torch.full((batch, 1), bos) for the first column.
    """
    half = torch.randint(0, d_vocab, (batch, length), generator=generator)
    columns = [half, half] if bos is None else [torch.full((batch, 1), bos), half, half]
    return torch.cat(columns, dim=1)


@exercise
def per_token_loss(logits: Float[Tensor, "batch pos vocab"], tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos_minus_1"]:
    """The cross-entropy of predicting each next token: out[b, t] = -log softmax(logits[b, t])[tokens[b, t + 1]].

    The logits at position t predict token t + 1, so the last position has no target and the
    result has one position fewer than the input.
    Hint: log_softmax over the vocabulary, then gather the next tokens (tokens[:, 1:]) from logits[:, :-1].
    """
    log_probs = logits[:, :-1].log_softmax(dim=-1)
    return -log_probs.gather(-1, tokens[:, 1:, None]).squeeze(-1)


@exercise
def attention_stripe_score(
    patterns: Float[Tensor, "batch head q k"], offset: int, start: int | None = None
) -> Float[Tensor, " head"]:
    """The mean attention each head pays from query q to key q - offset, over queries q >= start.

    offset 0 is the current token, offset 1 the previous token. On sequences whose last
    `period` tokens repeat the `period` before them, an induction head looks at the token
    *after* the earlier copy of the current token: offset period - 1, from the second copy on
    (start = seq_len - period). `start` defaults to `offset` (every query that has such a key).
    Average over the batch and the queries; one number per head.
    Hint: patterns.diagonal(offset=-offset, dim1=-2, dim2=-1) is [batch, head, q]: entry i is query offset + i.
    """
    start = offset if start is None else start
    stripe = patterns.diagonal(offset=-offset, dim1=-2, dim2=-1)
    return stripe[..., start - offset :].mean(dim=(0, -1))


@exercise
def head_scores(model, tokens: Int[Tensor, "batch seq"], period: int) -> dict[str, Float[Tensor, "layer head"]]:
    """Every head's previous-token, current-token and induction score on `tokens`.

    The last `period` tokens of every sequence repeat the `period` before them (as
    repeated_random_tokens makes them, with or without a bos token; other tokens may come
    first, so take the period from the argument, not from the length). Returns
    {"previous": offset 1, "current": offset 0, "induction": offset period - 1 from query
    seq - period on}, each [n_layers, n_heads], using attention_stripe_score on each layer's
    pattern. Run the model once (no gradients needed).
    Hint: attention_patterns(model, tokens) gives [layer, batch, head, q, k]; stack one score per layer.
    """
    patterns = attention_patterns(model, tokens)
    seq = tokens.shape[1]
    stripes = {"previous": (1, None), "current": (0, None), "induction": (period - 1, seq - period)}
    return {
        name: torch.stack([attention_stripe_score(layer_patterns, offset, start) for layer_patterns in patterns])
        for name, (offset, start) in stripes.items()
    }


@exercise
def direct_logit_attribution(
    z: Float[Tensor, "batch pos head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    W_U: Float[Tensor, "d_model vocab"],
    tokens: Int[Tensor, "batch pos"],
) -> Float[Tensor, "batch pos_minus_1 head"]:
    """How much each head's output at position t adds directly to the logit of the true next token.

    Head h writes z[b, t, h] @ W_O[h] into the residual stream; its direct effect on the logit of
    token y is that vector dotted with the unembedding column W_U[:, y]. Here y = tokens[b, t + 1],
    so the last position is dropped, as in per_token_loss. (dla_inputs prepares z, W_O, W_U so
    that a final LayerNorm is accounted for.)
    Hint: the unembedding directions W_U[:, tokens[:, 1:]] are [d_model, batch, pos - 1]; one einsum does the rest.
    """
    head_out = einops.einsum(z[:, :-1], W_O, "batch pos head d_head, head d_head d_model -> batch pos head d_model")
    directions = W_U[:, tokens[:, 1:]]
    return einops.einsum(head_out, directions, "batch pos head d_model, d_model batch pos -> batch pos head")


@exercise
def ablated_per_token_loss(model, tokens: Int[Tensor, "batch pos"], heads: list[Head]) -> Float[Tensor, "batch pos_minus_1"]:
    """per_token_loss with the given heads zero-ablated: their z set to 0, so they write nothing.

    Add a forward hook on "blocks.{layer}.attn.hook_z" (z is [batch, pos, head, d_head]) for each
    layer that has heads to ablate, and run `model.run_with_hooks(tokens, fwd_hooks=[(name, fn), ...])`.
    A hook fn(z, hook) returns the replacement tensor. With `heads` empty it is the plain loss.
    Hint: build the new z without editing the cached one in place: z = z.clone(); z[:, :, head] = 0.
    """
    by_layer: dict[int, list[int]] = {}
    for layer, head in heads:
        by_layer.setdefault(layer, []).append(head)

    def zero_heads(chosen: list[int]) -> Callable:
        def hook(z: Tensor, hook) -> Tensor:
            z = z.clone()
            z[:, :, chosen] = 0.0
            return z

        return hook

    hooks = [(f"blocks.{layer}.attn.hook_z", zero_heads(chosen)) for layer, chosen in by_layer.items()]
    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=hooks)
    return per_token_loss(logits, tokens)


@exercise
def copying_score(
    W_E: Float[Tensor, "vocab d_model"],
    W_V: Float[Tensor, "d_model d_head"],
    W_O: Float[Tensor, "d_head d_model"],
    W_U: Float[Tensor, "d_model vocab"],
) -> float:
    """Olsson et al.'s copying score of one head's full OV circuit W_E W_V W_O W_U.

    The full OV circuit [vocab, vocab] says how attending to token i changes the logit of token
    j. A copying head raises j = i: its eigenvalues are mostly positive. The score is
    sum(eigenvalues) / sum(|eigenvalues|), in [-1, 1] (real part of the sum; the eigenvalues are
    complex). The vocab x vocab matrix is too big for SmolLM2, but AB and BA have the same
    nonzero eigenvalues: use the d_head x d_head matrix W_V W_O W_U W_E instead.
    Hint: torch.linalg.eigvals(W_V @ W_O @ W_U @ W_E); .real of the sum, .abs() of each.
    """
    eigenvalues = torch.linalg.eigvals(W_V @ W_O @ W_U @ W_E)
    return (eigenvalues.sum().real / eigenvalues.abs().sum()).item()


@exercise
def k_composition_scores(
    W_OV: Float[Tensor, "head_prev d_model d_model"], W_QK: Float[Tensor, "head_next d_model d_model"]
) -> Float[Tensor, "head_prev head_next"]:
    """How much each later head's keys read what each earlier head writes (K-composition).

    An earlier head writes x @ W_OV into the residual stream; a later head's attention score
    between query x_q and key x_k is x_q @ W_QK @ x_k^T. If the key reads the earlier head's
    output, the score is x_q @ W_QK @ W_OV^T @ x^T. The K-composition score of the pair is
    ||W_QK W_OV^T||_F / (||W_QK||_F ||W_OV||_F) (Frobenius norms): 1 when the later head's key
    side reads exactly what the earlier head writes, small for unrelated random matrices.
    Hint: ||W_OV[i] @ W_QK[j].T|| is the same number; einsum over both head dimensions, or a loop.
    """
    products = einops.einsum(W_OV, W_QK, "prev a c, nxt b c -> prev nxt a b")
    norms_ov = W_OV.flatten(1).norm(dim=-1)
    norms_qk = W_QK.flatten(1).norm(dim=-1)
    return products.flatten(2).norm(dim=-1) / (norms_ov[:, None] * norms_qk[None, :])


@exercise
def induction_qk_circuit(model, previous_token_head: Head, induction_head: Head) -> Float[Tensor, "vocab vocab"]:
    """The induction head's full QK circuit through the previous-token head (K-composition, in tokens).

    Entry [i, j] is the attention score (before the 1/sqrt(d_head) scaling and the softmax) the
    induction head gives from a query position holding token i to a key position whose
    *previous* token is j, along one path: the query reads the token's own embedding; the key
    reads the previous token's embedding, moved one position on by the previous-token head's OV
    circuit. With (l0, h0) = previous_token_head and (l1, h1) = induction_head:
        queries = W_E @ W_Q[l1, h1]                                  [vocab, d_head]
        keys    = W_E @ W_V[l0, h0] @ W_O[l0, h0] @ W_K[l1, h1]       [vocab, d_head]
        circuit = queries @ keys^T                                   [vocab, vocab]
    An induction head attends to "the token after an earlier copy of mine", so in every row the
    diagonal (j == i) is the largest entry. LayerNorms and biases are left out, as in the paper.
    Hint: model.W_E is [vocab, d_model]; model.W_Q[l1, h1] is [d_model, d_head]; no gradients needed.
    """
    (l0, h0), (l1, h1) = previous_token_head, induction_head
    with torch.no_grad():
        queries = model.W_E @ model.W_Q[l1, h1]
        keys = model.W_E @ model.W_V[l0, h0] @ model.W_O[l0, h0] @ model.W_K[l1, h1]
        return queries @ keys.T


@exercise
def train_attn_only(
    model,
    make_batch: Callable[[torch.Generator], Tensor],
    *,
    steps: int,
    lr: float,
    weight_decay: float = 0.01,
    seed: int = 0,
    every: int = 0,
    track: Callable[[int], None] | None = None,
) -> list[float]:
    """Trains `model` in place to predict the next token; returns every step's loss as a float.

    The procedure, exactly, so your result matches the reference:
      - `torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)`;
      - one generator, `torch.Generator().manual_seed(seed)`; each step's tokens are
        `make_batch(generator)`;
      - loss = per_token_loss(model(tokens), tokens).mean(); zero the grads, backward, step.
    Pass `weight_decay` on to AdamW (its own default, 0.01, is only this function's default).
    When `track` is given (and every > 0), call track(step) with the model in its current state
    before the update of every step that is a multiple of `every` (track(0) sees the untrained
    model, track(step) the model after `step` updates), and track(steps) once more after the
    last update (the replication records head scores there). Leave the model in eval mode at the end.
    Hint: model.train() first; optimizer.zero_grad() before loss.backward(), then optimizer.step().
    """
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    model.train()
    for step in range(steps):
        if track is not None and every > 0 and step % every == 0:
            track(step)
        tokens = make_batch(generator)
        loss = per_token_loss(model(tokens), tokens).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    if track is not None and every > 0:
        track(steps)
    return losses
