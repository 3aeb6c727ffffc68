"""Part 4: the indirect-object-identification circuit (Wang et al. 2022), found and verified causally.

"When Mary and John went to the store, John gave a drink to" -> " Mary". To finish this sentence
a model has to find the two names, notice that John is repeated (he is the subject, S), and copy
the other one, the indirect object (IO). Wang et al. found the heads of GPT-2 small that do it:
duplicate-token and induction heads notice the repeat at S2, S-inhibition heads carry "S is
repeated" to the last token (END), and name mover heads at END attend to IO and copy it into the
logits; negative and backup name movers push the other way or stand in when the name movers are
removed. Every claim is tested causally: patch activations from a run on a counterfactual prompt
(three different names, "ABC") into the clean run, and see what the logit difference does.
The last two exercises do what the field does now: estimate every patch at once from gradients
(attribution patching), and discover a circuit by keeping the best-scoring heads.

Work through the functions marked @exercise in order; the others are given. They run on any
TransformerBridge: GPT-2 small (LayerNorm, 12 heads per layer with their own keys and values) and
the offline SmolLM2-135M (RMSNorm, 9 query heads sharing 3 key/value heads, rotary positions).

Conventions: tokens are [batch, pos]; per-head attention outputs before W_O are
cache["blocks.{layer}.attn.hook_z"], [batch, pos, head, d_head]; queries hook_q are
[batch, pos, head, d_head]; keys and values hook_k, hook_v are [batch, pos, kv_head, d_head];
patterns hook_pattern are [batch, head, query_pos, key_pos]. model.W_O is
[layer, head, d_head, d_model], model.W_V [layer, kv_head, d_model, d_head], W_U [d_model, vocab].
A head is a pair (layer, head).
"""

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Protocol

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor

from exercises import exercise

Head = tuple[int, int]  # (layer, head)
Hook = tuple[str, Callable]  # (hook name, fn(activation, hook) -> activation)

# The paper's style of prompt: {A} and {B} are the first two names, {S} the one repeated later.
# Each template has these three placeholders once each, each after a space, and ends just before
# the answer. They are chosen to be the same length in SmolLM2's tokens (so a batch needs no padding).
TEMPLATES = (
    "When {A} and {B} went to the store, {S} gave a drink to",
    "When {A} and {B} went to the park, {S} gave a ball to",
    "After {A} and {B} went to the office, {S} gave a letter to",
    "While {A} and {B} were at the school, {S} gave a book to",
    "Then {A} and {B} went to the beach. {S} gave a towel to",
    "Later {A} and {B} went to the house. {S} gave a key to",
    "When {A} and {B} got to the party, {S} gave a gift to",
    "After {A} and {B} arrived at the lake, {S} gave a fish to",
)
# Common English first names; single_token_names keeps those that are one token in a tokenizer.
NAMES = (
    "Mary", "John", "Tom", "James", "Dan", "Sid", "Martin", "Amy", "Anna", "Paul", "Kate", "Lisa",
    "Mark", "David", "Sarah", "Emma", "Alex", "Sam", "Jack", "Ben", "Adam", "Peter", "Mike", "Chris",
    "Laura", "Jane", "Rose", "Lucy", "Max", "Eric", "Steve", "Bob", "Alice", "Helen", "George", "Henry",
    "Jim", "Joe", "Tim", "Carl", "Nick", "Ryan", "Kevin", "Brian", "Susan", "Linda", "Karen", "Nancy",
)
POSITIONS = ("IO", "S1", "S2", "END")


@dataclass(frozen=True)
class IOIPrompt:
    """One prompt: template.format(A=a, B=b, S=c). Clean prompts repeat a name (c is a or b); ABC prompts do not."""

    template: str
    a: str
    b: str
    c: str

    @property
    def text(self) -> str:
        return self.template.format(A=self.a, B=self.b, S=self.c)

    @property
    def io(self) -> str:
        """The indirect object: the first-mentioned name that is not repeated (a, for an ABC prompt)."""
        return self.b if self.c == self.a else self.a


@dataclass
class IOIBatch:
    """Tokenised prompts. tokens [batch, seq] (right-padded); io, s [batch]: the answer's and the
    subject's token ids; pos: {"IO", "S1", "S2", "END"} -> [batch], where each sits in `tokens`."""

    prompts: list[IOIPrompt]
    tokens: Int[Tensor, "batch seq"]
    io: Int[Tensor, " batch"]
    s: Int[Tensor, " batch"]
    pos: dict[str, Int[Tensor, " batch"]] = field(default_factory=dict)

    @property
    def end(self) -> Int[Tensor, " batch"]:
        return self.pos["END"]

    def __len__(self) -> int:
        return len(self.prompts)

    def subset(self, index: list[int] | Tensor) -> "IOIBatch":
        index = torch.as_tensor(index, dtype=torch.long)
        return IOIBatch([self.prompts[i] for i in index.tolist()], self.tokens[index], self.io[index],
                        self.s[index], {k: v[index] for k, v in self.pos.items()})

    def to(self, device) -> "IOIBatch":
        return IOIBatch(self.prompts, self.tokens.to(device), self.io.to(device), self.s.to(device),
                        {k: v.to(device) for k, v in self.pos.items()})


def name_token(tokenizer, name: str) -> int:
    """The id of " name" (with its leading space); ValueError if that is more than one token."""
    ids = tokenizer.encode(" " + name, add_special_tokens=False)
    if len(ids) != 1:
        pieces = tokenizer.convert_ids_to_tokens(ids)
        raise ValueError(
            f"the name {name!r} is {len(ids)} tokens in this tokenizer ({pieces}), not one: IOI positions "
            f"need single-token names. Filter your names with single_token_names(tokenizer, names)."
        )
    return ids[0]


def single_token_names(tokenizer, names=NAMES) -> list[str]:
    """The names that are a single token (with a leading space) in `tokenizer`."""
    return [n for n in names if len(tokenizer.encode(" " + n, add_special_tokens=False)) == 1]


def end_logits(logits: Float[Tensor, "batch seq vocab"], end: Int[Tensor, " batch"]) -> Float[Tensor, "batch vocab"]:
    """Each prompt's logits at its last token (END)."""
    return logits[torch.arange(len(end), device=logits.device), end]


def all_heads(model) -> list[Head]:
    return [(layer, head) for layer in range(model.cfg.n_layers) for head in range(model.cfg.n_heads)]


def heads_by_layer(heads: list[Head]) -> dict[int, list[int]]:
    """{layer: [head, ...]} for a list of (layer, head): one hook per layer can then edit all its heads."""
    by_layer: dict[int, list[int]] = {}
    for layer, head in heads:
        by_layer.setdefault(layer, []).append(head)
    return by_layer


def kv_head(model, head: int) -> int:
    """The key/value head a query head reads: with grouped KV heads, n_heads // n_kv query heads share one."""
    n_kv = getattr(model.cfg, "n_key_value_heads", None) or model.cfg.n_heads
    return head // (model.cfg.n_heads // n_kv)


def final_norm_parts(model) -> tuple[Float[Tensor, " d_model"], bool]:
    """(weight, centres): the final norm's weight, and whether it subtracts the mean (LayerNorm) or not (RMSNorm).

    Both norms divide by a scale (cached as "ln_final.hook_scale", [batch, pos, 1]); with that
    scale held at its clean value, the final norm is linear, and the logits are a sum over components.
    """
    norm = model.ln_final.original_component
    return norm.weight.detach(), isinstance(norm, torch.nn.LayerNorm)


def stack_activation(cache, name: str, n_layers: int) -> Tensor:
    """cache["blocks.{layer}.{name}"] for every layer, stacked: [layer, ...]."""
    return torch.stack([cache[f"blocks.{layer}.{name}"] for layer in range(n_layers)])


def run_cached(model, tokens: Int[Tensor, "batch seq"], names: tuple[str, ...] = ("attn.hook_z",), extra: tuple[str, ...] = ()):
    """(logits, cache) of one forward pass, caching only blocks.*.{names} and the hooks in `extra`."""

    def wanted(hook_name: str) -> bool:
        return hook_name in extra or any(hook_name.endswith(n) and hook_name.startswith("blocks.") for n in names)

    with torch.no_grad():
        return model.run_with_cache(tokens, names_filter=wanted)


# --- running a batch again with patches: the plain way and the fast way ---


class Forward(Protocol):
    """Runs the clean batch with `fwd_hooks` and returns the logits at END, [batch, vocab].

    `layer` and `pos` promise that no hook is in a layer before `layer` and that no hook changes a
    position before `pos`, in any prompt; a fast implementation (CachedForward) skips what cannot
    change, and so gives wrong numbers, or refuses, when a promise is broken. The plain one ignores
    them; the tests give your code a Forward that checks them, and CachedForward.
    """

    def __call__(self, fwd_hooks: list[Hook], layer: int = 0, pos: int = 0) -> Float[Tensor, "batch vocab"]: ...


def plain_forward(model, data: IOIBatch) -> Forward:
    """A Forward that runs the whole model on the whole batch every time (the obvious way)."""

    def forward(fwd_hooks: list[Hook], layer: int = 0, pos: int = 0) -> Tensor:
        with torch.no_grad():
            logits = model.run_with_hooks(data.tokens, fwd_hooks=fwd_hooks)
        return end_logits(logits, data.end)

    return forward


class CachedForward:
    """A Forward that recomputes only layers >= `layer` at positions >= `pos`, against a clean cache.

    A patch at position p changes nothing before p (attention is causal), and a patch in layer l
    changes nothing before l. So the residual stream entering layer l, and every earlier position's
    keys and values, are read from one clean run; only the later positions are run again, layer by
    layer, with the hooks applied. For patches at END this is one position instead of all of them.
    Hooks get full-length tensors (earlier positions hold their clean values), as in a real run;
    supported hook points: blocks.{l}.hook_resid_pre, blocks.{l}.attn.hook_q, blocks.{l}.attn.hook_z.
    All prompts must have the same length (END is the last position).
    """

    HOOKS = ("hook_resid_pre", "attn.hook_q", "attn.hook_z")

    def __init__(self, model, data: IOIBatch):
        if not bool((data.end == data.tokens.shape[1] - 1).all()):
            raise ValueError("CachedForward needs prompts of one length (END last); select them with same_length_index(data).")
        self.model = model
        self.rotary = any(name.endswith("attn.hook_rot_k") for name in model.hook_dict)
        key_name = "attn.hook_rot_k" if self.rotary else "attn.hook_k"
        names = ("hook_resid_pre", "attn.hook_q", "attn.hook_z", key_name, "attn.hook_v", "attn.hook_cos", "attn.hook_sin")
        logits, cache = run_cached(model, data.tokens, names)
        self.clean_logits = end_logits(logits, data.end)
        n_layers = model.cfg.n_layers
        self.cache = {name: stack_activation(cache, name, n_layers) for name in names if f"blocks.0.{name}" in cache}
        self.cache["attn.hook_k"] = self.cache.pop(key_name)
        # model.W_Q and friends stack every layer's weights on each access: read them once, as
        # [layer, d_model, head * d_head] matrices (one matmul per projection)
        self.weights = {f"W_{m}": einops.rearrange(getattr(model, f"W_{m}").detach(), "l h d e -> l d (h e)") for m in "QKV"}
        self.weights["W_O"] = einops.rearrange(model.W_O.detach(), "l h e d -> l (h e) d")
        self.weights["W_U"] = model.W_U.detach()
        self.biases = {name: _bias(model, name) for name in ("b_Q", "b_K", "b_V", "b_O", "b_U")}
        self.d_head = model.cfg.d_head

    def __call__(self, fwd_hooks: list[Hook], layer: int = 0, pos: int = 0) -> Float[Tensor, "batch vocab"]:
        hooks = self._sort_hooks(fwd_hooks, layer, pos)
        model, cache = self.model, self.cache
        with torch.no_grad():
            resid = cache["hook_resid_pre"][layer][:, pos:]
            for current in range(layer, model.cfg.n_layers):
                resid = self._hooked(hooks, current, "hook_resid_pre", resid, pos)
                resid = resid + self._attention(hooks, current, resid, pos)
                block = model.blocks[current]
                if not model.cfg.attn_only:
                    resid = resid + block.mlp(block.ln2(resid))
            return model.ln_final(resid[:, -1]) @ self.weights["W_U"] + self.biases["b_U"]

    def _sort_hooks(self, fwd_hooks: list[Hook], layer: int, pos: int) -> dict[tuple[int, str], list[Callable]]:
        hooks: dict[tuple[int, str], list[Callable]] = {}
        for name, fn in fwd_hooks:
            parts = name.split(".", 2)
            if len(parts) != 3 or parts[0] != "blocks" or parts[2] not in self.HOOKS:
                raise ValueError(f"CachedForward cannot run the hook {name!r}: it runs only blocks.{{layer}}.{{{', '.join(self.HOOKS)}}}; "
                                 f"check the hook's name")
            if int(parts[1]) < layer:
                raise ValueError(f"forward(hooks, layer={layer}, pos={pos}) was given the hook {name!r}, in a layer before {layer}: "
                                 f"CachedForward starts at the promised layer. Pass layer= the first layer your hooks are on")
            hooks.setdefault((int(parts[1]), parts[2]), []).append(fn)
        return hooks

    def _hooked(self, hooks, layer: int, name: str, suffix: Tensor, pos: int) -> Tensor:
        """Applies the hooks at (layer, name) to the full-length activation; returns its positions >= pos."""
        fns = hooks.get((layer, name))
        if not fns:
            return suffix
        full = torch.cat([self.cache[name][layer][:, :pos], suffix], dim=1)
        for fn in fns:
            result = fn(full, SimpleNamespace(name=f"blocks.{layer}.{name}", layer=lambda: layer))
            full = full if result is None else result
        return full[:, pos:]

    def _attention(self, hooks, layer: int, resid: Tensor, pos: int) -> Tensor:
        cache, W, b = self.cache, self.weights, self.biases
        x = self.model.blocks[layer].ln1(resid)
        q, k, v = (einops.rearrange(x @ W[f"W_{m}"][layer], "b p (h e) -> b p h e", e=self.d_head)
                   + _layer(b[f"b_{m}"], layer) for m in "QKV")
        q = self._hooked(hooks, layer, "attn.hook_q", q, pos)
        if self.rotary:
            cos, sin = cache["attn.hook_cos"][layer][:, pos:], cache["attn.hook_sin"][layer][:, pos:]
            q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        k = torch.cat([cache["attn.hook_k"][layer][:, :pos], k], dim=1)
        v = torch.cat([cache["attn.hook_v"][layer][:, :pos], v], dim=1)
        group = q.shape[2] // k.shape[2]
        k, v = k.repeat_interleave(group, dim=2), v.repeat_interleave(group, dim=2)
        scores = einops.einsum(q, k, "b q h e, b k h e -> b h q k") / math.sqrt(self.d_head)
        query_index = torch.arange(pos, pos + q.shape[1], device=q.device)[:, None]
        key_index = torch.arange(k.shape[1], device=q.device)[None, :]
        scores = scores.masked_fill(key_index > query_index, float("-inf"))
        z = einops.einsum(scores.softmax(dim=-1), v, "b h q k, b k h e -> b q h e")
        z = self._hooked(hooks, layer, "attn.hook_z", z, pos)
        return einops.rearrange(z, "b p h e -> b p (h e)") @ W["W_O"][layer] + _layer(b["b_O"], layer)


def _bias(model, name: str, layer: int | None = None) -> Tensor | float:
    """A stacked bias of the model (model.b_Q ...), or 0 for a bias-free model."""
    try:
        bias = getattr(model, name)
    except AttributeError:
        return 0.0
    if bias is None:
        return 0.0
    bias = bias.detach()
    return bias if layer is None else bias[layer]


def _layer(bias: Tensor | float, layer: int) -> Tensor | float:
    return bias[layer] if torch.is_tensor(bias) else bias


def _rotate(x: Float[Tensor, "batch pos head d"], cos: Float[Tensor, "batch pos d"], sin: Float[Tensor, "batch pos d"]) -> Tensor:
    """Rotary position embedding (the Llama convention: rotate the two halves of each head's vector)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos[:, :, None] + rotated * sin[:, :, None]


def same_length_index(data: IOIBatch) -> list[int]:
    """The indices of the prompts of the most common length (CachedForward and mean ablation
    compare prompts position by position; SmolLM2's tokens make every template 14 long, other
    tokenizers may not)."""
    lengths = data.end + 1
    return (lengths == lengths.mode().values).nonzero().squeeze(-1).tolist()


# --- the exercises ---


@exercise
def ioi_prompts(
    templates: list[str], names: list[str], n_prompts: int, generator: torch.Generator
) -> tuple[list[IOIPrompt], list[IOIPrompt]]:
    """`n_prompts` IOI prompts and their ABC counterfactuals (same template, three other names).

    Prompt i uses templates[i % len(templates)] and draws five distinct names with
    `torch.randperm(len(names), generator=generator)[:5]` -> n0 ... n4 (one call per prompt).
    Even i is ABBA, "{A}=n0 and {B}=n1 ..., {S}=n1" (IO first); odd i is BABA, "{A}=n1 and {B}=n0 ...,
    {S}=n1" (S first). Either way IO is n0 and S is n1. The ABC prompt is the same template with
    A=n2, B=n3, S=n4: the same positions, but no repeated name, so nothing says which name is IO.
    Raise ValueError naming the template if one lacks any of {A}, {B}, {S} (exactly once each),
    and a ValueError that says it needs at least 5 names if there are fewer (check before drawing).
    Hint: IOIPrompt(template, a, b, c); template.count("{A}") == 1.
    """
    for template in templates:
        missing = [p for p in ("{A}", "{B}", "{S}") if template.count(p) != 1]
        if missing:
            raise ValueError(f"template {template!r} needs each of {{A}}, {{B}}, {{S}} exactly once; check {', '.join(missing)}")
    if len(names) < 5:
        raise ValueError(f"ioi_prompts needs at least 5 distinct names (2 for a prompt, 3 for its ABC copy), got {len(names)}")
    clean, abc = [], []
    for i in range(n_prompts):
        template = templates[i % len(templates)]
        n0, n1, n2, n3, n4 = (names[j] for j in torch.randperm(len(names), generator=generator)[:5].tolist())
        a, b = (n0, n1) if i % 2 == 0 else (n1, n0)
        clean.append(IOIPrompt(template, a, b, n1))
        abc.append(IOIPrompt(template, n2, n3, n4))
    return clean, abc


@exercise
def tokenize_ioi(tokenizer, prompts: list[IOIPrompt], n_ctx: int) -> IOIBatch:
    """Token ids and the positions of IO, S1, S2 and END for each prompt.

    Each row is [tokenizer.bos_token_id] + tokenizer.encode(prompt.text, add_special_tokens=False),
    right-padded with tokenizer.pad_token_id (or bos if None) to the longest row. io and s are the
    name tokens name_token(tokenizer, prompt.io) and name_token(tokenizer, prompt.c) (each raises
    for a name that is not one token). pos["IO"] is the position of the io token, pos["S1"] of the
    other first-mentioned name (a or b, whichever is not io), pos["S2"] the position of c's token
    after both (the last place it occurs), pos["END"] the last real token.
    Raise ValueError naming the prompt if a row is longer than n_ctx (say that it exceeds the
    model's context), or if a name's token cannot be found in its row (say so: each placeholder
    must follow a space).
    Hint: row.index(token) finds the first occurrence; len(row) - 1 - row[::-1].index(token) the last.
    """
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.bos_token_id
    rows, io, s, positions = [], [], [], {name: [] for name in POSITIONS}
    for prompt in prompts:
        row = [tokenizer.bos_token_id] + tokenizer.encode(prompt.text, add_special_tokens=False)
        if len(row) > n_ctx:
            shown = prompt.text if len(prompt.text) < 80 else prompt.text[:60] + " ..."
            raise ValueError(f"the prompt {shown!r} is {len(row)} tokens, longer than the model's context ({n_ctx})")
        a, b, c = (name_token(tokenizer, name) for name in (prompt.a, prompt.b, prompt.c))
        for name, token in ((prompt.a, a), (prompt.b, b), (prompt.c, c)):
            if token not in row:
                raise ValueError(f"the name {name!r} is not a token of {prompt.text!r} as tokenised: put a space before each placeholder")
        io_token = b if prompt.io == prompt.b else a
        s1_token = a if io_token == b else b
        positions["IO"].append(row.index(io_token))
        positions["S1"].append(row.index(s1_token))
        positions["S2"].append(len(row) - 1 - row[::-1].index(c))
        positions["END"].append(len(row) - 1)
        rows.append(row)
        io.append(io_token)
        s.append(c)
    width = max(len(row) for row in rows)
    tokens = torch.tensor([row + [pad] * (width - len(row)) for row in rows])
    return IOIBatch(list(prompts), tokens, torch.tensor(io), torch.tensor(s), {k: torch.tensor(v) for k, v in positions.items()})


@exercise
def logit_diff(
    end_logits: Float[Tensor, "batch vocab"], io: Int[Tensor, " batch"], s: Int[Tensor, " batch"]
) -> Float[Tensor, " batch"]:
    """The logit difference: the logit of the indirect object minus the logit of the subject, per prompt.

    Positive means the model prefers the right name. (A difference of logits is a log-ratio of the
    two names' probabilities, and does not depend on the other 49,000 tokens.)
    Hint: end_logits.gather(-1, io[:, None]) picks one entry per row.
    """
    return (end_logits.gather(-1, io[:, None]) - end_logits.gather(-1, s[:, None])).squeeze(-1)


@exercise
def head_dla(model, cache, data: IOIBatch) -> Float[Tensor, "layer head"]:
    """Each head's direct effect on the logit difference at END, through the final norm, averaged over prompts.

    Head h of layer l writes z[b, END] @ W_O[l, h] into the residual stream, END = data.end[b] (the
    prompts have different lengths and are right-padded: END is not always the last position). The
    final norm divides by a scale (cache["ln_final.hook_scale"][b, END]) and multiplies by its
    weight; a LayerNorm also subtracts the mean over d_model first (final_norm_parts(model) gives
    (weight, centres)). With the scale fixed at its cached value this is linear, so the head's share
    of the logit difference is norm(output) . (W_U[:, io] - W_U[:, s]). Summed with every other component (embeddings, MLPs,
    biases) it is exactly the logit difference. (The centring matters wherever W_O and W_U are not
    centred over d_model: GPT-2 in HookedTransformer's coordinates centres them, other models do not.)
    Hint: z_end = cache[f"blocks.{l}.attn.hook_z"][torch.arange(batch), data.end] is [batch, head, d_head].
    """
    weight, centres = final_norm_parts(model)
    batch = torch.arange(len(data))
    scale = cache["ln_final.hook_scale"][batch, data.end]  # [batch, 1]
    direction = (model.W_U[:, data.io] - model.W_U[:, data.s]).detach()  # [d_model, batch]
    W_O = model.W_O.detach()  # read once: the bridge stacks every layer's weights on each access
    rows = []
    for layer in range(model.cfg.n_layers):
        z_end = cache[f"blocks.{layer}.attn.hook_z"][batch, data.end]
        out = einops.einsum(z_end, W_O[layer], "b h e, h e d -> b h d")
        if centres:
            out = out - out.mean(dim=-1, keepdim=True)
        out = out / scale[:, :, None] * weight
        rows.append(einops.einsum(out, direction, "b h d, d b -> b h").mean(dim=0))
    return torch.stack(rows)


@exercise
def end_attention(cache, data: IOIBatch, n_layers: int) -> Float[Tensor, "name layer head"]:
    """How much each head attends from END to IO, to S1 and to S2, averaged over prompts.

    Returns [3, layer, head]: index 0 is IO, 1 is S1, 2 is S2 (data.pos["IO"], ["S1"], ["S2"]); the
    query is END, data.end[b] (prompts have different lengths: not always the last position).
    Name mover heads attend from END to IO; S-inhibition heads tend to attend to S2.
    Hint: pattern = cache[f"blocks.{l}.attn.hook_pattern"] is [batch, head, q, k];
    pattern[batch_index, :, end, key] with batch_index = torch.arange(batch) picks [batch, head].
    """
    batch = torch.arange(len(data))
    out = torch.zeros(3, n_layers, cache["blocks.0.attn.hook_pattern"].shape[1])
    for layer in range(n_layers):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]
        for i, name in enumerate(("IO", "S1", "S2")):
            out[i, layer] = pattern[batch, :, data.end, data.pos[name]].mean(dim=0)
    return out


@exercise
def patch_residual(
    forward: Forward, corrupt_resid: Float[Tensor, "layer batch pos d_model"], data: IOIBatch, layers: list[int] | None = None
) -> Float[Tensor, "layers pos"]:
    """Activation patching of the residual stream, one (layer, position) at a time.

    For each layer l in `layers` (default: every layer of corrupt_resid) and each position p: run
    the clean batch with the residual stream entering layer l (hook "blocks.{l}.hook_resid_pre")
    replaced at position p by the corrupted (ABC) run's, corrupt_resid[l][:, p], and record the
    mean logit difference (logit_diff at END, mean over prompts). Row i of the result is layers[i].
    Call forward(hooks, layer=l, pos=p): it returns the END logits of the patched run. Those are
    promises (see Forward): hook only blocks.{l}.hook_resid_pre, in no layer before l, and change no
    position before p.
    Where the patch carries the information "which name is IO", the logit difference drops.
    Hint: a hook fn(resid, hook) returns a patched copy: resid = resid.clone(); resid[:, p] = ...
    """
    layers = list(range(corrupt_resid.shape[0])) if layers is None else layers
    n_pos = corrupt_resid.shape[2]
    out = torch.zeros(len(layers), n_pos)
    for row, layer in enumerate(layers):
        for pos in range(n_pos):
            def patch(resid: Tensor, hook, layer=layer, pos=pos) -> Tensor:
                resid = resid.clone()
                resid[:, pos] = corrupt_resid[layer][:, pos]
                return resid

            logits = forward([(f"blocks.{layer}.hook_resid_pre", patch)], layer=layer, pos=pos)
            out[row, pos] = logit_diff(logits, data.io, data.s).mean()
    return out


@exercise
def patch_head_outputs(
    forward: Forward,
    corrupt_z: Float[Tensor, "layer batch pos head d_head"],
    groups: list[list[Head]],
    positions: Int[Tensor, " batch"],
    data: IOIBatch,
) -> Float[Tensor, " group"]:
    """Patch groups of heads' outputs at one position per prompt; the mean logit difference per group.

    For each group (a list of (layer, head); one head alone is a group of one), run the clean batch
    with each listed head's z (hook "blocks.{l}.attn.hook_z", [batch, pos, head, d_head]) replaced
    at positions[b] by corrupt_z[l][b, positions[b], head]: each prompt at its own position (prompts
    differ in length and order, so positions[b] differs between prompts). Call forward(hooks,
    layer=first layer in the group, pos=positions.min()): promises (see Forward) that no hook is in
    an earlier layer or changes an earlier position. Patching a group at once can differ from the
    sum of its members: heads compensate for one another.
    Hint: one hook per layer of the group (heads_by_layer), patching all of that layer's listed heads.
    """
    batch = torch.arange(corrupt_z.shape[1])
    out = torch.zeros(len(groups))
    for i, group in enumerate(groups):
        by_layer = heads_by_layer(group)

        def patch_for(layer: int, heads: list[int]) -> Callable:
            def patch(z: Tensor, hook) -> Tensor:
                z = z.clone()
                for head in heads:
                    z[batch, positions, head] = corrupt_z[layer][batch, positions, head]
                return z

            return patch

        hooks = [(f"blocks.{layer}.attn.hook_z", patch_for(layer, heads)) for layer, heads in by_layer.items()]
        logits = forward(hooks, layer=min(by_layer), pos=int(positions.min()))
        out[i] = logit_diff(logits, data.io, data.s).mean()
    return out


@exercise
def path_patch_queries(
    forward: Forward,
    clean_z: Float[Tensor, "layer batch pos head d_head"],
    corrupt_z: Float[Tensor, "layer batch pos head d_head"],
    senders: list[Head],
    receivers: list[Head],
    data: IOIBatch,
) -> Float[Tensor, " sender"]:
    """Path patching: each sender's effect on the logit difference through the receivers' queries at END only.

    For each sender (l_s, h_s), two runs:
      1. Patch the sender's z at END with corrupt_z (hook "blocks.{l}.attn.hook_z"), and freeze
         every other head of layers l_s .. (last receiver layer) at its clean z at END (so only the
         direct path carries the change; MLPs recompute). Record the receivers' queries at END
         (hook "blocks.{l}.attn.hook_q", [batch, pos, head, d_head]). Use forward(hooks, layer=l_s, pos=int(data.end.min())) and
         ignore its logits.
      2. Run the clean batch with only the receivers' queries at END replaced by the recorded ones,
         forward(hooks, layer=first receiver layer, pos=int(data.end.min())); the mean logit
         difference is the result.
    END is data.end[b], one position per prompt (prompts differ in length: not always the last
    position); layer= and pos= are promises (see Forward). Senders must come before every
    receiver: if a sender's layer is not before every receiver's layer, raise a ValueError that
    names that sender as a tuple, such as "sender (2, 0) is not before every receiver [(1, 1)]".
    Hint: a hook can record: def save(q, hook): saved[hook.name] = q[batch, end].clone(); return q.
    """
    batch, end = torch.arange(len(data)), data.end
    receiver_layers = sorted({layer for layer, _ in receivers})
    out = torch.zeros(len(senders))
    for i, (sender_layer, sender_head) in enumerate(senders):
        if sender_layer >= receiver_layers[0]:
            raise ValueError(f"sender {(sender_layer, sender_head)} is not before every receiver {receivers}")

        def freeze(z: Tensor, hook) -> Tensor:
            layer = int(hook.name.split(".")[1])
            z = z.clone()
            z[batch, end] = clean_z[layer][batch, end]
            if layer == sender_layer:
                z[batch, end, sender_head] = corrupt_z[layer][batch, end, sender_head]
            return z

        saved: dict[int, Tensor] = {}

        def save(q: Tensor, hook) -> Tensor:
            saved[int(hook.name.split(".")[1])] = q[batch, end].clone()
            return q

        hooks = [(f"blocks.{layer}.attn.hook_z", freeze) for layer in range(sender_layer, receiver_layers[-1])]
        hooks += [(f"blocks.{layer}.attn.hook_q", save) for layer in receiver_layers]
        forward(hooks, layer=sender_layer, pos=int(end.min()))

        def patch_queries(q: Tensor, hook) -> Tensor:
            layer = int(hook.name.split(".")[1])
            q = q.clone()
            for receiver_layer, head in receivers:
                if receiver_layer == layer:
                    q[batch, end, head] = saved[layer][:, head]
            return q

        logits = forward([(f"blocks.{layer}.attn.hook_q", patch_queries) for layer in receiver_layers],
                         layer=receiver_layers[0], pos=int(end.min()))
        out[i] = logit_diff(logits, data.io, data.s).mean()
    return out


@exercise
def copy_score(
    model, resid: Float[Tensor, "n d_model"], name_tokens: Int[Tensor, " n"], head: Head, k: int = 5, negative: bool = False
) -> float:
    """The fraction of names that a head's OV circuit copies: the name is in the top k logits.

    resid[i] is the residual stream at a name's position just after layer 0's MLP (where the name's
    embedding is assembled). Read it as the head does: the head's layer norm
    (model.blocks[l].ln1(resid)), its value weights (model.W_V[l, kv_head(model, h)]; with grouped
    KV heads several query heads share one) and output weights W_O[l, h]; then the final norm
    (model.ln_final) and the unembedding W_U. With negative=True, use minus the head's output (a
    negative name mover lowers the name's logit). Name movers score near 1, random heads near 0.
    Hint: topk(logits, k).indices == name_tokens[:, None], any over k, mean over names.
    """
    layer, h = head
    with torch.no_grad():
        x = model.blocks[layer].ln1(resid)
        b_V = _bias(model, "b_V", layer)
        v = x @ model.W_V[layer, kv_head(model, h)] + (b_V[kv_head(model, h)] if torch.is_tensor(b_V) else 0.0)
        out = v @ model.W_O[layer, h]
        if negative:
            out = -out
        logits = model.ln_final(out) @ model.W_U
        top = logits.topk(k, dim=-1).indices
    return (top == name_tokens[:, None]).any(dim=-1).float().mean().item()


@exercise
def circuit_logit_diffs(model, data: IOIBatch, abc: IOIBatch, circuit: list[Head]) -> dict[str, float]:
    """Mean logit difference of the model, of the circuit alone, and of the model with the circuit knocked out.

    "Alone" means every head outside `circuit` is mean-ablated: its z, at every position, replaced by
    its mean over the ABC prompts at that position (ABC carries the sentence's structure but no
    answer). "Knocked out" mean-ablates the circuit's heads and keeps the rest. Returns
    {"model": ..., "circuit": ..., "knocked out": ...}; faithfulness is circuit / model. Each
    prompt's logit difference is read at its END, data.end[b] (prompts can differ in length).
    data and abc must have the same length (the same templates).
    Hint: the mean z of layer l is run_cached(model, abc.tokens)[1][f"blocks.{l}.attn.hook_z"].mean(0),
    [pos, head, d_head]; one hook per layer (heads_by_layer) replaces the ablated heads' columns.
    """
    _, abc_cache = run_cached(model, abc.tokens)
    mean_z = stack_activation(abc_cache, "attn.hook_z", model.cfg.n_layers).mean(dim=1)  # [layer, pos, head, d_head]
    keep = set(circuit)

    def ablated(heads: list[Head]) -> float:
        by_layer = heads_by_layer(heads)

        def ablate_for(layer: int, chosen: list[int]) -> Callable:
            def hook(z: Tensor, hook) -> Tensor:
                z = z.clone()
                z[:, :, chosen] = mean_z[layer][:, chosen]
                return z

            return hook

        hooks = [(f"blocks.{layer}.attn.hook_z", ablate_for(layer, chosen)) for layer, chosen in by_layer.items()]
        with torch.no_grad():
            logits = model.run_with_hooks(data.tokens, fwd_hooks=hooks)
        return logit_diff(end_logits(logits, data.end), data.io, data.s).mean().item()

    heads = all_heads(model)
    return {
        "model": ablated([]),
        "circuit": ablated([h for h in heads if h not in keep]),
        "knocked out": ablated([h for h in heads if h in keep]),
    }


@exercise
def attribution_patching(model, data: IOIBatch, corrupt: dict[str, Tensor], steps: int = 1) -> dict[str, Tensor]:
    """Attribution patching: a first-order estimate of every activation patch at once, from gradients.

    `corrupt` maps hook names to the values a patch would put there: "blocks.{l}.hook_resid_pre"
    [batch, pos, d_model], "blocks.{l}.attn.hook_z" [batch, pos, head, d_head], ... (a corrupted
    run's activations, or any other replacement, such as their mean over the ABC prompts). The
    metric M is the mean logit difference at END. Patching one activation a from its clean value
    to a' changes M by about (a' - a) . dM/da, so one backward pass estimates every patch.
    Return, for each name, that estimate summed over the last dimension (d_model or d_head):
    [batch, pos] or [batch, pos, head]. Entry [b, p] is the estimate for patching prompt b alone at
    position p; summed over the batch, it estimates patching every prompt (as patch_residual does).

    steps > 1 is the integrated-gradients form (EAP-IG, Hanna et al. 2024): average dM/da over
    `steps` runs whose input, the residual stream entering layer 0 ("blocks.0.hook_resid_pre",
    which `corrupt` must then hold), is moved from the corrupted one toward the clean one:
    x = x' + (k / steps) (x_clean - x') for k = 1 .. steps. The last run (k = steps) is the clean
    run: its activations are the clean values a. With steps = 1 this is plain attribution patching.
    Raise a ValueError naming "blocks.0.hook_resid_pre" if steps > 1 and `corrupt` lacks it.
    Hint: hooks that keep each activation (key them by the name you hooked: inside a hook,
    hook.name is the bridge's own name, "blocks.0.hook_in" for "blocks.0.hook_resid_pre"), then
    torch.autograd.grad(metric, [kept activations]) under torch.enable_grad(): it returns the
    gradients without filling the weights' .grad. Return detached tensors.
    """
    names = list(corrupt)
    if steps > 1 and "blocks.0.hook_resid_pre" not in corrupt:
        raise ValueError("attribution_patching with steps > 1 moves the input from the corrupted run's to the clean one's: "
                         "give corrupt['blocks.0.hook_resid_pre'] (the corrupted run's residual stream entering layer 0)")
    gradients = {name: torch.zeros_like(value) for name, value in corrupt.items()}
    kept: dict[str, Tensor] = {}

    def keep(name: str) -> Callable:
        def hook(activation: Tensor, hook) -> Tensor:
            kept[name] = activation
            return activation

        return hook

    for k in range(1, steps + 1):
        alpha = k / steps

        def interpolate(resid: Tensor, hook, alpha=alpha) -> Tensor:
            start = corrupt["blocks.0.hook_resid_pre"]
            return start + alpha * (resid - start)

        hooks = [("blocks.0.hook_resid_pre", interpolate)] if steps > 1 else []
        with torch.enable_grad():
            logits = model.run_with_hooks(data.tokens, fwd_hooks=hooks + [(name, keep(name)) for name in names])
            metric = logit_diff(end_logits(logits, data.end), data.io, data.s).mean()
            grads = torch.autograd.grad(metric, [kept[name] for name in names])
        for name, grad in zip(names, grads):
            gradients[name] += grad / steps
    return {name: ((corrupt[name] - kept[name].detach()) * gradients[name]).sum(dim=-1) for name in names}


@exercise
def top_circuit_logit_diffs(
    model, data: IOIBatch, abc: IOIBatch, scores: Float[Tensor, "layer head"], sizes: list[int]
) -> Float[Tensor, " size"]:
    """Circuit discovery's test: keep the n heads with the highest scores, mean-ablate the rest; the logit difference per n.

    For each n in `sizes`, the circuit is the n heads with the largest scores[layer, head], ties
    broken by the order of all_heads(model) (layer by layer). Every other head is mean-ablated as in
    circuit_logit_diffs: its z at every position replaced by its mean over the ABC prompts at that
    position. Returns the circuit's mean logit difference (read at each prompt's END), one value
    per n; divided by the whole model's (circuit_logit_diffs(...)["model"]) it is the circuit's
    faithfulness, so plotted against n it is the faithfulness curve. To rank heads by the size of
    an effect, whatever its sign, pass its absolute value.
    Compute the ABC means once, then one forward pass per n.
    Hint: order = scores.flatten().argsort(descending=True, stable=True); all_heads(model)[i] for i in order[:n].
    """
    _, abc_cache = run_cached(model, abc.tokens)
    mean_z = stack_activation(abc_cache, "attn.hook_z", model.cfg.n_layers).mean(dim=1)  # [layer, pos, head, d_head]
    heads = all_heads(model)
    order = scores.flatten().argsort(descending=True, stable=True).tolist()

    def ablate_for(layer: int, chosen: list[int]) -> Callable:
        def hook(z: Tensor, hook) -> Tensor:
            z = z.clone()
            z[:, :, chosen] = mean_z[layer][:, chosen]
            return z

        return hook

    out = torch.zeros(len(sizes))
    for i, n in enumerate(sizes):
        kept = {heads[j] for j in order[:n]}
        ablated = heads_by_layer([h for h in heads if h not in kept])
        hooks = [(f"blocks.{layer}.attn.hook_z", ablate_for(layer, chosen)) for layer, chosen in ablated.items()]
        with torch.no_grad():
            logits = model.run_with_hooks(data.tokens, fwd_hooks=hooks)
        out[i] = logit_diff(end_logits(logits, data.end), data.io, data.s).mean()
    return out
