"""Known-wrong versions of part 4's exercises: the course checks that the tests catch each one."""

import contextlib

import torch

from exercises.testing import mutant
from solutions import part4_ioi as ref


@mutant("ioi_prompts", "every prompt ABBA (no BABA)")
def prompts_abba_only(templates, names, n_prompts, generator):
    clean, abc = ref.ioi_prompts(templates, names, n_prompts, generator)
    return [ref.IOIPrompt(p.template, p.io, p.c, p.c) for p in clean], abc


@mutant("ioi_prompts", "ABC prompts reuse the clean names")
def prompts_abc_reuses(templates, names, n_prompts, generator):
    clean, abc = ref.ioi_prompts(templates, names, n_prompts, generator)
    return clean, [ref.IOIPrompt(q.template, p.a, p.b, q.c) for p, q in zip(clean, abc)]


@mutant("ioi_prompts", "no check of the templates or the names")
def prompts_unchecked(templates, names, n_prompts, generator):
    clean, abc = [], []
    for i in range(n_prompts):
        picks = torch.randperm(len(names), generator=generator)[:5].tolist()
        n = [names[j] for j in picks] + [names[0]] * (5 - len(picks))
        a, b = (n[0], n[1]) if i % 2 == 0 else (n[1], n[0])
        clean.append(ref.IOIPrompt(templates[i % len(templates)], a, b, n[1]))
        abc.append(ref.IOIPrompt(templates[i % len(templates)], n[2], n[3], n[4]))
    return clean, abc


@mutant("ioi_prompts", "no check of the number of names (unpacking five from four fails on its own)")
def prompts_names_unchecked(templates, names, n_prompts, generator):
    for template in templates:
        if any(template.count(p) != 1 for p in ("{A}", "{B}", "{S}")):
            raise ValueError(f"template {template!r} needs each of {{A}}, {{B}}, {{S}} exactly once")
    clean, abc = [], []
    for i in range(n_prompts):
        picks = torch.randperm(len(names), generator=generator)[:5].tolist()
        n = [names[picks[j]] for j in range(5)]
        a, b = (n[0], n[1]) if i % 2 == 0 else (n[1], n[0])
        clean.append(ref.IOIPrompt(templates[i % len(templates)], a, b, n[1]))
        abc.append(ref.IOIPrompt(templates[i % len(templates)], n[2], n[3], n[4]))
    return clean, abc


@mutant("tokenize_ioi", "no bos token")
def tokenize_no_bos(tokenizer, prompts, n_ctx):
    data = ref.tokenize_ioi(tokenizer, prompts, n_ctx)
    return ref.IOIBatch(data.prompts, data.tokens[:, 1:], data.io, data.s, {k: v - 1 for k, v in data.pos.items()})


@mutant("tokenize_ioi", "io and s swapped")
def tokenize_swapped(tokenizer, prompts, n_ctx):
    data = ref.tokenize_ioi(tokenizer, prompts, n_ctx)
    return ref.IOIBatch(data.prompts, data.tokens, data.s, data.io, data.pos)


@mutant("tokenize_ioi", "s is always the second name (wrong for BABA)")
def tokenize_s_is_b(tokenizer, prompts, n_ctx):
    data = ref.tokenize_ioi(tokenizer, prompts, n_ctx)
    s = torch.tensor([ref.name_token(tokenizer, p.b) for p in prompts])
    return ref.IOIBatch(data.prompts, data.tokens, data.io, s, data.pos)


@mutant("tokenize_ioi", "S2 found at the first occurrence (that is S1)")
def tokenize_s2_first(tokenizer, prompts, n_ctx):
    data = ref.tokenize_ioi(tokenizer, prompts, n_ctx)
    s2 = torch.tensor([row.tolist().index(s) for row, s in zip(data.tokens, data.s)])
    return ref.IOIBatch(data.prompts, data.tokens, data.io, data.s, data.pos | {"S2": s2})


@mutant("tokenize_ioi", "END is the padded length - 1")
def tokenize_padded_end(tokenizer, prompts, n_ctx):
    data = ref.tokenize_ioi(tokenizer, prompts, n_ctx)
    return ref.IOIBatch(data.prompts, data.tokens, data.io, data.s, data.pos | {"END": torch.full_like(data.end, data.tokens.shape[1] - 1)})


@mutant("tokenize_ioi", "no check of the context length")
def tokenize_no_context_check(tokenizer, prompts, n_ctx):
    return ref.tokenize_ioi(tokenizer, prompts, 10**9)


@mutant("logit_diff", "S minus IO")
def logit_diff_flipped(end_logits, io, s):
    return ref.logit_diff(end_logits, s, io)


@mutant("logit_diff", "probabilities instead of logits")
def logit_diff_probs(end_logits, io, s):
    return ref.logit_diff(end_logits.softmax(-1), io, s)


def _dla_with(model, cache, data, *, scale=True, weight=True):
    norm_weight, centres = ref.final_norm_parts(model)
    batch = torch.arange(len(data))
    direction = (model.W_U[:, data.io] - model.W_U[:, data.s]).detach()
    rows = []
    for layer in range(model.cfg.n_layers):
        out = torch.einsum("bhe,hed->bhd", cache[f"blocks.{layer}.attn.hook_z"][batch, data.end], model.W_O[layer].detach())
        if centres:
            out = out - out.mean(-1, keepdim=True)
        if scale:
            out = out / cache["ln_final.hook_scale"][batch, data.end][:, :, None]
        if weight:
            out = out * norm_weight
        rows.append(torch.einsum("bhd,db->bh", out, direction).mean(0))
    return torch.stack(rows)


@mutant("head_dla", "final norm's scale ignored")
def dla_no_scale(model, cache, data):
    return _dla_with(model, cache, data, scale=False)


@mutant("head_dla", "final norm's weight ignored")
def dla_no_weight(model, cache, data):
    return _dla_with(model, cache, data, weight=False)


@mutant("head_dla", "one position before END")
def dla_before_end(model, cache, data):
    moved = ref.IOIBatch(data.prompts, data.tokens, data.io, data.s, data.pos | {"END": data.end - 1})
    return ref.head_dla(model, cache, moved)


def _at_last_position(data):
    """data with END moved to the last position of the padded batch (position -1), for every prompt."""
    last = torch.full_like(data.end, data.tokens.shape[1] - 1)
    return ref.IOIBatch(data.prompts, data.tokens, data.io, data.s, data.pos | {"END": last})


@mutant("head_dla", "reads position -1 instead of END (the padded prompts' last token is padding)")
def dla_position_minus_one(model, cache, data):
    return ref.head_dla(model, cache, _at_last_position(data))


@mutant("head_dla", "skips LayerNorm's centring (subtracting the mean over d_model)")
def dla_no_centring(model, cache, data):
    weight, _ = ref.final_norm_parts(model)
    original = ref.final_norm_parts
    ref.final_norm_parts = lambda model: (weight, False)
    try:
        return ref.head_dla(model, cache, data)
    finally:
        ref.final_norm_parts = original


@mutant("end_attention", "IO and S1 swapped")
def attention_swapped(cache, data, n_layers):
    return ref.end_attention(cache, data, n_layers)[[1, 0, 2]]


@mutant("end_attention", "from position -1 instead of END")
def attention_from_last(cache, data, n_layers):
    return ref.end_attention(cache, _at_last_position(data), n_layers)


@mutant("end_attention", "from S2 instead of END")
def attention_from_s2(cache, data, n_layers):
    moved = ref.IOIBatch(data.prompts, data.tokens, data.io, data.s, data.pos | {"END": data.pos["S2"]})
    return ref.end_attention(cache, moved, n_layers)


@mutant("patch_residual", "patches the position after p")
def resid_next_position(forward, corrupt_resid, data, layers=None):
    shifted = torch.cat([corrupt_resid[:, :, 1:], corrupt_resid[:, :, -1:]], dim=2)
    return ref.patch_residual(forward, shifted, data, layers)


@mutant("patch_residual", "patches the layer's output (resid_post) with the next layer's input")
def resid_post(forward, corrupt_resid, data, layers=None):
    shifted = torch.cat([corrupt_resid[1:], corrupt_resid[-1:]], dim=0)
    return ref.patch_residual(forward, shifted, data, layers)


def _patch_residual_with(forward, corrupt_resid, data, layers=None, *, by_row=False, swapped=False, point="hook_resid_pre",
                         from_p_on=False):
    layers = list(range(corrupt_resid.shape[0])) if layers is None else layers
    n_pos = corrupt_resid.shape[2]
    out = torch.zeros(len(layers), n_pos)
    for row, layer in enumerate(layers):
        source = corrupt_resid[row] if by_row else corrupt_resid[layer]
        for pos in range(n_pos):
            def patch(resid, hook, pos=pos, source=source):
                resid = resid.clone()
                if from_p_on:
                    resid[:, pos:] = source[:, pos:]
                else:
                    resid[:, pos] = source[:, pos]
                return resid

            hooks = [(f"blocks.{layer}.{point}", patch)]
            logits = forward(hooks, pos, layer) if swapped else forward(hooks, layer=layer, pos=pos)
            out[row, pos] = ref.logit_diff(logits, data.io, data.s).mean()
    return out


@mutant("patch_residual", "wrong layer index: row i patched with corrupt_resid[i], not corrupt_resid[layers[i]]")
def resid_row_index(forward, corrupt_resid, data, layers=None):
    return _patch_residual_with(forward, corrupt_resid, data, layers, by_row=True)


@mutant("patch_residual", "layer and pos swapped in the forward call (forward(hooks, pos, layer))")
def resid_promise_swapped(forward, corrupt_resid, data, layers=None):
    return _patch_residual_with(forward, corrupt_resid, data, layers, swapped=True)


@mutant("patch_residual", "hooks hook_resid_mid (after attention) instead of hook_resid_pre")
def resid_wrong_hook(forward, corrupt_resid, data, layers=None):
    return _patch_residual_with(forward, corrupt_resid, data, layers, point="hook_resid_mid")


@mutant("patch_residual", "patches every position from p on, not p alone")
def resid_from_p_on(forward, corrupt_resid, data, layers=None):
    return _patch_residual_with(forward, corrupt_resid, data, layers, from_p_on=True)


@mutant("patch_residual", "layers ignored")
def resid_all_layers(forward, corrupt_resid, data, layers=None):
    return ref.patch_residual(forward, corrupt_resid, data)


@mutant("patch_head_outputs", "only the first head of each group")
def heads_first_only(forward, corrupt_z, groups, positions, data):
    return ref.patch_head_outputs(forward, corrupt_z, [g[:1] for g in groups], positions, data)


@mutant("patch_head_outputs", "always at the last position")
def heads_at_last(forward, corrupt_z, groups, positions, data):
    return ref.patch_head_outputs(forward, corrupt_z, groups, data.end, data)


def _patch_heads_with(forward, corrupt_z, groups, positions, data, *, at_min=False, promise_last_layer=False, point="attn.hook_z"):
    batch = torch.arange(corrupt_z.shape[1])
    out = torch.zeros(len(groups))
    for i, group in enumerate(groups):
        by_layer = ref.heads_by_layer(group)

        def patch_for(layer, heads):
            def patch(z, hook):
                z = z.clone()
                for head in heads:
                    if at_min:
                        p = int(positions.min())
                        z[:, p, head] = corrupt_z[layer][:, p, head]
                    else:
                        z[batch, positions, head] = corrupt_z[layer][batch, positions, head]
                return z

            return patch

        hooks = [(f"blocks.{layer}.{point}", patch_for(layer, heads)) for layer, heads in by_layer.items()]
        layer = max(by_layer) if promise_last_layer else min(by_layer)
        out[i] = ref.logit_diff(forward(hooks, layer=layer, pos=int(positions.min())), data.io, data.s).mean()
    return out


@mutant("patch_head_outputs", "patches every prompt at positions.min() (one position for all)")
def heads_at_min(forward, corrupt_z, groups, positions, data):
    return _patch_heads_with(forward, corrupt_z, groups, positions, data, at_min=True)


@mutant("patch_head_outputs", "promises layer= the group's last layer, not its first")
def heads_promise_last_layer(forward, corrupt_z, groups, positions, data):
    return _patch_heads_with(forward, corrupt_z, groups, positions, data, promise_last_layer=True)


@mutant("patch_head_outputs", "hook name blocks.{l}.hook_z (no attn.)")
def heads_wrong_hook(forward, corrupt_z, groups, positions, data):
    return _patch_heads_with(forward, corrupt_z, groups, positions, data, point="hook_z")


@mutant("patch_head_outputs", "zero-ablates instead of patching")
def heads_zeroed(forward, corrupt_z, groups, positions, data):
    return ref.patch_head_outputs(forward, torch.zeros_like(corrupt_z), groups, positions, data)


@mutant("path_patch_queries", "other heads not frozen (the total effect of the sender)")
def path_not_frozen(forward, clean_z, corrupt_z, senders, receivers, data):
    end = data.end
    groups = [[sender] for sender in senders]
    for sender in senders:
        if sender[0] >= min(layer for layer, _ in receivers):
            raise ValueError(f"sender {sender} is not before every receiver {receivers}")
    return ref.patch_head_outputs(forward, corrupt_z, groups, end, data)


@mutant("path_patch_queries", "receivers' queries patched with their clean values (nothing reaches them)")
def path_nothing(forward, clean_z, corrupt_z, senders, receivers, data):
    return ref.path_patch_queries(forward, clean_z, clean_z, senders, receivers, data)


@mutant("path_patch_queries", "END taken as the last position of the padded batch for every prompt")
def path_end_last(forward, clean_z, corrupt_z, senders, receivers, data):
    return ref.path_patch_queries(forward, clean_z, corrupt_z, senders, receivers, _at_last_position(data))


@mutant("path_patch_queries", "promises pos= the last position of the padded batch (END of the longest prompt)")
def path_promise_last(forward, clean_z, corrupt_z, senders, receivers, data):
    last = data.tokens.shape[1] - 1

    def promising_last(hooks, layer=0, pos=0):
        return forward(hooks, layer=layer, pos=last)

    return ref.path_patch_queries(promising_last, clean_z, corrupt_z, senders, receivers, data)


@mutant("path_patch_queries", "no check that senders come first")
def path_unchecked(forward, clean_z, corrupt_z, senders, receivers, data):
    ordered = [s for s in senders if s[0] < min(layer for layer, _ in receivers)]
    out = ref.path_patch_queries(forward, clean_z, corrupt_z, ordered, receivers, data) if ordered else torch.zeros(0)
    return torch.cat([out, torch.zeros(len(senders) - len(ordered))])


def _copy_with(model, resid, name_tokens, head, k, negative, *, kv=None, ln1=True):
    layer, h = head
    with torch.no_grad():
        x = model.blocks[layer].ln1(resid) if ln1 else resid
        b_V = ref._bias(model, "b_V", layer)
        group = ref.kv_head(model, h) if kv is None else kv
        v = x @ model.W_V[layer, group] + (b_V[group] if torch.is_tensor(b_V) else 0.0)
        out = v @ model.W_O[layer, h]
        logits = model.ln_final(-out if negative else out) @ model.W_U
    return (logits.topk(k, -1).indices == name_tokens[:, None]).any(-1).float().mean().item()


@mutant("copy_score", "key/value head h % n_kv instead of h // group")
def copy_wrong_group(model, resid, name_tokens, head, k=5, negative=False):
    n_kv = model.W_V.shape[1]
    return _copy_with(model, resid, name_tokens, head, k, negative, kv=head[1] % n_kv)


@mutant("copy_score", "no layer norm before W_V")
def copy_no_ln1(model, resid, name_tokens, head, k=5, negative=False):
    return _copy_with(model, resid, name_tokens, head, k, negative, ln1=False)


@mutant("copy_score", "negative ignored")
def copy_no_negative(model, resid, name_tokens, head, k=5, negative=False):
    return ref.copy_score(model, resid, name_tokens, head, k)


@contextlib.contextmanager
def _zero_caches():
    """Inside: the reference's run_cached returns caches of zeros, so its "mean over ABC" is zero-ablation."""
    original = ref.run_cached

    def zero_cache(model, tokens, names=("attn.hook_z",), extra=()):
        logits, cache = original(model, tokens, names, extra)
        return logits, {k: torch.zeros_like(v) for k, v in cache.items()}

    ref.run_cached = zero_cache
    try:
        yield
    finally:
        ref.run_cached = original


@mutant("circuit_logit_diffs", "zero-ablation instead of the ABC mean")
def circuit_zero(model, data, abc, circuit):
    with _zero_caches():
        return ref.circuit_logit_diffs(model, data, abc, circuit)


@mutant("circuit_logit_diffs", "mean over the clean prompts instead of ABC")
def circuit_clean_mean(model, data, abc, circuit):
    return ref.circuit_logit_diffs(model, data, data, circuit)


@mutant("circuit_logit_diffs", "logits read at position -1, not at END")
def circuit_last_position(model, data, abc, circuit):
    return ref.circuit_logit_diffs(model, _at_last_position(data), abc, circuit)


@mutant("circuit_logit_diffs", "circuit and knocked out swapped")
def circuit_swapped(model, data, abc, circuit):
    result = ref.circuit_logit_diffs(model, data, abc, circuit)
    return result | {"circuit": result["knocked out"], "knocked out": result["circuit"]}


@mutant("attribution_patching", "clean minus corrupt: the estimate's sign flipped")
def attribution_flipped(model, data, corrupt, steps=1):
    return {name: -value for name, value in ref.attribution_patching(model, data, corrupt, steps).items()}


@mutant("attribution_patching", "the gradient of the summed logit difference, not of its mean")
def attribution_summed(model, data, corrupt, steps=1):
    return {name: value * len(data) for name, value in ref.attribution_patching(model, data, corrupt, steps).items()}


@mutant("attribution_patching", "integrated gradients summed over the steps, not averaged")
def attribution_steps_summed(model, data, corrupt, steps=1):
    return {name: value * steps for name, value in ref.attribution_patching(model, data, corrupt, steps).items()}


@mutant("attribution_patching", "integrated gradients from alpha = 0 (the corrupted input) to (steps - 1) / steps")
def attribution_left_sum(model, data, corrupt, steps=1):
    if steps == 1:
        return ref.attribution_patching(model, data, corrupt)
    start = corrupt["blocks.0.hook_resid_pre"]
    gradients = {name: torch.zeros_like(value) for name, value in corrupt.items()}
    kept = {}
    for k in range(steps):
        hooks = [("blocks.0.hook_resid_pre", lambda resid, hook, a=k / steps: start + a * (resid - start))]
        hooks += [(name, lambda a, hook, name=name: kept.__setitem__(name, a) or a) for name in corrupt]
        with torch.enable_grad():
            logits = model.run_with_hooks(data.tokens, fwd_hooks=hooks)
            metric = ref.logit_diff(ref.end_logits(logits, data.end), data.io, data.s).mean()
            grads = torch.autograd.grad(metric, [kept[name] for name in corrupt])
        for name, grad in zip(corrupt, grads):
            gradients[name] += grad / steps
    return {name: ((corrupt[name] - kept[name].detach()) * gradients[name]).sum(-1) for name in corrupt}


@mutant("top_circuit_logit_diffs", "keeps the heads with the lowest scores")
def top_lowest(model, data, abc, scores, sizes):
    return ref.top_circuit_logit_diffs(model, data, abc, -scores, sizes)


@mutant("top_circuit_logit_diffs", "ranks by the absolute score")
def top_absolute(model, data, abc, scores, sizes):
    return ref.top_circuit_logit_diffs(model, data, abc, scores.abs(), sizes)


@mutant("top_circuit_logit_diffs", "ties broken by the later head first")
def top_ties_reversed(model, data, abc, scores, sizes):
    later_first = scores + 1e-6 * torch.arange(scores.numel()).reshape(scores.shape)
    return ref.top_circuit_logit_diffs(model, data, abc, later_first, sizes)


@mutant("top_circuit_logit_diffs", "the top heads ablated and the rest kept")
def top_knocked_out(model, data, abc, scores, sizes):
    heads = ref.all_heads(model)
    order = scores.flatten().argsort(descending=True, stable=True).tolist()
    return torch.tensor([ref.circuit_logit_diffs(model, data, abc, [heads[i] for i in order[:n]])["knocked out"] for n in sizes])


@mutant("top_circuit_logit_diffs", "faithfulness (divided by the model's logit difference) instead of the logit difference")
def top_divided(model, data, abc, scores, sizes):
    whole = ref.circuit_logit_diffs(model, data, abc, [])["model"]
    return ref.top_circuit_logit_diffs(model, data, abc, scores, sizes) / whole


@mutant("top_circuit_logit_diffs", "zero-ablation instead of the ABC mean")
def top_zero(model, data, abc, scores, sizes):
    with _zero_caches():
        return ref.top_circuit_logit_diffs(model, data, abc, scores, sizes)


@mutant("attribution_patching", "keyed by hook.name inside the hook (the bridge's own names: blocks.{l}.hook_in for hook_resid_pre)")
def attribution_bridge_names(model, data, corrupt, steps=1):
    renamed = {name.replace("hook_resid_pre", "hook_in"): value for name, value in ref.attribution_patching(model, data, corrupt, steps).items()}
    return renamed
