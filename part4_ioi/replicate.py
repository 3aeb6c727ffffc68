"""Part 4's replication: find the IOI circuit of a real language model (SmolLM2-135M, offline) and
verify it causally, with the learner's functions.

    python -m exercises replicate part4 [--target solutions] [--quick]

Prints the logit difference and accuracy, every role's heads with their evidence (direct logit
attribution, attention from END, patching, path patching, copy scores), single-head vs group
patching, and the circuit's faithfulness beside the paper's GPT-2 small numbers; writes
figures/part4_report.html. Set PART4_MODEL=gpt2 to run it on GPT-2 small (needs a network).

Where the time goes: the clean and ABC runs are cached once; every patch at END (or at position
p) re-runs only the layers after the patch at the positions from p on (CachedForward), not the
whole model.
"""

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from tqdm.auto import tqdm

from exercises.device import get_device
from exercises.harness.targets import load_target
from exercises.models import INSTALL_SMOLLM2, LOAD_SECONDS, load_model, smollm2_available
from exercises.plotting import save_report
from part4_ioi import discovery

HERE = Path(__file__).parent
CIRCUIT_FILE = "part4_circuit.json"
# prompts: for the logit difference, DLA and attention; patch: the first `patch` of them for
# patching; resid: prompts of template 0 for the (layer, position) residual map;
# senders: candidate S-inhibition heads for path patching; sweep: heads patched one at a time (None: all)
# resid_layers: the layers of the residual map (None: all)
# faithful: the first prompts of the faithfulness check (mean ablation)
# discovery (discovery.py): ig steps: integrated gradients' steps; curve sizes: the top-n circuits measured;
# graph heads / graph prompts: the discovered circuit whose edges are scored, and on how many prompts
FULL = dict(prompts=128, patch=16, resid=4, resid_layers=None, senders=24, sweep=None, faithful=32,
            **{"ig steps": 5, "curve sizes": (1, 2, 5, 10, 20, 50, 100, 200), "graph heads": 15, "graph prompts": 4})
QUICK = dict(prompts=16, patch=4, resid=1, resid_layers=(12, 18, 24), senders=6, sweep=36, faithful=4,
             **{"ig steps": 2, "curve sizes": (1, 5, 17), "graph heads": 6, "graph prompts": 2})
QUICK_EXPECTATIONS = {
    "mean logit difference": (1.0, 12.0),
    "accuracy": (0.8, 1.0),
    "name movers: copy score": (0.3, 1.0),
    "attribution vs exact, heads at END: r": (0.8, 1.0),
}
# Wang et al. 2022, GPT-2 small (12 layers x 12 heads), 'layer.head'.
PAPER = {
    "mean logit difference": 3.56,
    "name movers": "9.9, 9.6, 10.0",
    "negative name movers": "10.7, 11.10",
    "S-inhibition heads": "7.3, 7.9, 8.6, 8.10",
    "induction heads": "5.5, 6.9",
    "duplicate-token heads": "0.1, 0.10, 3.0",
    "backup name movers": "9.0, 9.7, 10.1, 10.2, 10.6, 10.10, 11.2, 11.9",
    "name movers' copy score": "above 95% (top-5 logits)",
    "faithfulness": "87% of the logit difference (3.10 of 3.56)",
}
N_NAME_MOVERS, N_NEGATIVE, N_S_SUPPRESSORS, N_S_INHIBITION, N_INDUCTION, N_BACKUP = 3, 2, 2, 4, 3, 3
MIN_OTHER_DLA, N_OTHER = 0.25, 2  # other heads that write the answer directly: at most 2 above this DLA
MIN_IO_ATTENTION = 0.2  # a (negative) name mover attends from END to IO at least this much, and more than to S1


def run(target: str = "exercises", quick: bool = False, device: str | None = None, out_dir: Path | None = None) -> dict[str, float]:
    ex = load_target("part4", target)
    settings = QUICK if quick else FULL
    device = get_device(device)
    out_dir = Path(out_dir) if out_dir else HERE / "figures"
    name = os.environ.get("PART4_MODEL", "smollm2")
    if name == "smollm2" and not smollm2_available():
        raise SystemExit(f"part 4 needs the offline model SmolLM2-135M: {INSTALL_SMOLLM2}")
    started = time.perf_counter()
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)  # one thread is faster than two that wait for each other on a shared CPU
    try:
        model = load_model(name, device=device)
        times = {"load": LOAD_SECONDS.get(name, time.perf_counter() - started)}
        found = _investigate(ex, model, settings, device, times)
    finally:
        torch.set_num_threads(threads)
    numbers = _numbers(found, times, time.perf_counter() - started)
    _print(numbers, found, model.cfg)
    report = save_report(out_dir / "part4_report.html", f"Part 4: the IOI circuit of {name}", _figures(found, model),
                         {k: f"{v:.4g}" for k, v in numbers.items()})
    circuit_file = out_dir / CIRCUIT_FILE  # read by missing_heads.py
    circuit_file.write_text(json.dumps({"model": name, "quick": quick, "heads": found["circuit"]}) + "\n")
    print(f"\nfigures: {report}\ncircuit: {circuit_file}")
    return numbers


class _Clock:
    """Adds the seconds spent in each `with clock("step"):` block to times["step"]."""

    def __init__(self, times):
        self.times = times

    def __call__(self, step):
        self.step = step
        return self

    def __enter__(self):
        self.begun = time.perf_counter()

    def __exit__(self, *exc):
        self.times[self.step] = self.times.get(self.step, 0.0) + time.perf_counter() - self.begun


def ioi_data(ex, model, prompts: int, device):
    """The replication's IOI prompts (seed 0) and their ABC counterparts, tokenised."""
    names = ex.single_token_names(model.tokenizer)
    clean, abc = ex.ioi_prompts(list(ex.TEMPLATES), names, prompts, torch.Generator().manual_seed(0))
    return (ex.tokenize_ioi(model.tokenizer, clean, model.cfg.n_ctx).to(device),
            ex.tokenize_ioi(model.tokenizer, abc, model.cfg.n_ctx).to(device))


def _investigate(ex, model, settings, device, times):
    clock, cfg, found = _Clock(times), model.cfg, {}
    data, abc_data = ioi_data(ex, model, settings["prompts"], device)

    with clock("clean and ABC runs (all prompts)"):
        logits, cache = ex.run_cached(model, data.tokens, ("attn.hook_z", "attn.hook_pattern", "hook_resid_post"),
                                      extra=("ln_final.hook_scale",))
        diffs = ex.logit_diff(ex.end_logits(logits, data.end), data.io, data.s)
        abc_logits, _ = ex.run_cached(model, abc_data.tokens, ())
        abc_diffs = ex.logit_diff(ex.end_logits(abc_logits, abc_data.end), data.io, data.s)
    found["logit diffs"], found["abc diff"] = diffs.cpu(), abc_diffs.mean().item()

    with clock("DLA, attention, copy scores"):
        found["dla"] = ex.head_dla(model, cache, data).cpu()
        found["attention"] = ex.end_attention(cache, data, cfg.n_layers).cpu()
        found["s2 attention"] = _s2_attention(cache, data, cfg.n_layers).cpu()
        name_resid = cache["blocks.0.hook_resid_post"][torch.arange(len(data)), data.pos["IO"]]
        subject_resid = cache["blocks.0.hook_resid_post"][torch.arange(len(data)), data.pos["S1"]]
    del cache

    # patching on a subset of prompts of one length, against cached clean and ABC runs
    same_length = ex.same_length_index(data)  # all 128 with SmolLM2's tokens
    index = same_length[: settings["patch"]]
    sub, sub_abc = data.subset(index), abc_data.subset(index)
    with clock("clean and ABC runs (patching prompts)"):
        forward = ex.CachedForward(model, sub)
        abc_logits, abc_cache = ex.run_cached(model, sub_abc.tokens, ("attn.hook_z", "hook_resid_pre"))
        corrupt_z = ex.stack_activation(abc_cache, "attn.hook_z", cfg.n_layers)
        corrupt_resid = ex.stack_activation(abc_cache, "hook_resid_pre", cfg.n_layers)
        del abc_cache
        clean_z = forward.cache["attn.hook_z"]
        clean_diff = ex.logit_diff(forward.clean_logits, sub.io, sub.s).mean().item()
        abc_diff = ex.logit_diff(ex.end_logits(abc_logits, sub_abc.end), sub.io, sub.s).mean().item()
    found["clean diff"], found["patch abc diff"] = clean_diff, abc_diff

    def effect(patched):  # -1: the patch removes all of the clean-vs-ABC difference; 0: no change
        return (patched - clean_diff) / (clean_diff - abc_diff)

    with clock("residual patching by (layer, position)"):
        resid_index = [i for i in range(len(sub)) if sub.prompts[i].template == ex.TEMPLATES[0]][: settings["resid"]]
        resid_data = sub.subset(resid_index)
        resid_forward = ex.CachedForward(model, resid_data)
        resid_diff = ex.logit_diff(resid_forward.clean_logits, resid_data.io, resid_data.s).mean().item()
        layers = list(settings["resid_layers"] or range(cfg.n_layers))
        patched = _with_bar(ex.patch_residual, resid_forward, corrupt_resid[:, resid_index], resid_data, layers,
                            total=len(layers) * sub.tokens.shape[1], desc="patching the residual stream (layer, position)")
        found["resid patching"] = ((patched - resid_diff) / (resid_diff - abc_diff)).cpu()
        found["resid index"], found["resid diff"] = resid_index, resid_diff
        found["resid layers"] = layers
        found["resid positions"] = {name: int(resid_data.pos[name][0]) for name in ("IO", "S1", "S2", "END")}
        found["resid tokens"] = model.to_str_tokens(resid_data.tokens[0])

    heads = ex.all_heads(model)
    swept = heads if settings["sweep"] is None else _top(found["dla"].abs(), settings["sweep"])
    with clock("per-head patching at END"):
        single = torch.full((cfg.n_layers, cfg.n_heads), float("nan"))
        for (layer, head), value in zip(swept, _chunks(ex, forward, corrupt_z, swept, sub.end, sub, "patching each head's output at END")):
            single[layer, head] = effect(value)
        found["head patching"] = single

    # roles: name movers and negative name movers from DLA and attention to IO
    dla, attention = found["dla"], found["attention"]
    attends_io = (attention[0] > MIN_IO_ATTENTION) & (attention[0] > attention[1])
    found["name movers"] = _top(torch.where(attends_io & (dla > 0), dla, -torch.inf), N_NAME_MOVERS)
    found["negative name movers"] = _top(torch.where(attends_io & (dla < 0), -dla, -torch.inf), N_NEGATIVE)
    # not in the paper: heads that attend to S (S1 or S2) and push its logit down (so raise IO - S)
    to_s = attention[1] + attention[2]
    attends_s = (to_s > MIN_IO_ATTENTION) & (to_s > attention[0])
    for head in found["name movers"]:
        attends_s[head] = False
    found["S suppressors"] = _top(torch.where(attends_s & (dla > MIN_OTHER_DLA), dla, -torch.inf), N_S_SUPPRESSORS)
    named = set(found["name movers"] + found["negative name movers"] + found["S suppressors"])
    others = torch.tensor([[(layer, head) not in named for head in range(cfg.n_heads)] for layer in range(cfg.n_layers)])
    found["other direct writers"] = _top(torch.where(others & (dla > MIN_OTHER_DLA), dla, -torch.inf), N_OTHER)
    movers = found["name movers"]
    # the heads that read a name at END: path patching's receivers (the top DLA heads if no head passes the rules)
    readers = movers + found["S suppressors"] or _top(dla, N_NAME_MOVERS)
    first_reader_layer = min(layer for layer, _ in readers)

    with clock("path patching into the name readers' queries"):
        earlier = [h for h in heads if h[0] < first_reader_layer]
        ranked = torch.nan_to_num(single, nan=0.0)  # S-inhibition candidates: the heads whose patch at END hurts most
        candidates = sorted(earlier, key=lambda h: (ranked[h].item(), -found["attention"][2][h].item()))[: settings["senders"]]
        path = _with_bar(ex.path_patch_queries, forward, clean_z, corrupt_z, candidates, readers, sub,
                         total=2 * len(candidates), desc="path patching senders -> name readers' queries")
        found["path senders"], found["path effects"] = candidates, effect(path).cpu()
        order = found["path effects"].argsort()
        found["s-inhibition"] = [candidates[i] for i in order[:N_S_INHIBITION].tolist()]

    s_inhibition_layer = min(layer for layer, _ in found["s-inhibition"])
    below = torch.tensor([[layer < s_inhibition_layer for _ in range(cfg.n_heads)] for layer in range(cfg.n_layers)])
    found["induction heads"] = _top(torch.where(below, found["s2 attention"][1], -torch.inf), N_INDUCTION)
    found["duplicate-token heads"] = _top(torch.where(below, found["s2 attention"][0], -torch.inf), N_INDUCTION)

    with clock("backup name movers and group patching"):
        found["backup"], found["dla without movers"] = _backup(ex, model, sub, corrupt_z, movers)
        groups = {"name movers": movers, "S-inhibition": found["s-inhibition"],
                  "name movers + backup": movers + found["backup"],
                  "induction + duplicate-token (at S2)": found["induction heads"] + found["duplicate-token heads"]}
        group_effects, single_sums = {}, {}
        for label, group in groups.items():
            positions = sub.pos["S2"] if "S2" in label else sub.end
            together = ex.patch_head_outputs(forward, corrupt_z, [group], positions, sub)
            alone = ex.patch_head_outputs(forward, corrupt_z, [[h] for h in group], positions, sub)
            group_effects[label] = effect(together[0]).item()
            single_sums[label] = effect(alone).sum().item()
        found["group effects"], found["single sums"] = group_effects, single_sums

    with clock("DLA, attention, copy scores"):
        io_tokens = data.io
        found["copy"] = {h: ex.copy_score(model, name_resid, io_tokens, h) for h in movers + found["backup"]}
        found["negative copy"] = {h: ex.copy_score(model, name_resid, io_tokens, h, negative=True)
                                  for h in found["negative name movers"]}
        found["S negative copy"] = {h: ex.copy_score(model, subject_resid, data.s, h, negative=True)
                                    for h in found["S suppressors"]}
        generator = torch.Generator().manual_seed(1)
        random_heads = [heads[i] for i in torch.randperm(len(heads), generator=generator)[:10].tolist()]
        found["random copy"] = float(np.mean([ex.copy_score(model, name_resid, io_tokens, h) for h in random_heads]))

    roles = ("name movers", "negative name movers", "S suppressors", "other direct writers", "s-inhibition", "induction heads",
             "duplicate-token heads", "backup")
    circuit = sorted({h for role in roles for h in found[role]})
    found["circuit"] = circuit
    with clock("faithfulness (mean ablation)"):
        index = same_length[: settings["faithful"]]
        faithful, faithful_abc = data.subset(index), abc_data.subset(index)
        found["faithfulness"] = ex.circuit_logit_diffs(model, faithful, faithful_abc, circuit)
        random_circuit = [heads[i] for i in torch.randperm(len(heads), generator=generator)[: len(circuit)].tolist()]
        found["faithfulness"]["random heads, same number"] = ex.circuit_logit_diffs(model, faithful, faithful_abc, random_circuit)["circuit"]
    found["discovery"] = discovery.discover(ex, model, faithful, faithful_abc, found, settings, clock)
    return found


def _with_bar(fn, *args, total, desc):
    """Runs fn(*args) with a progress bar that advances on each call of the Forward (args[0])."""
    forward = args[0]
    with tqdm(total=total, desc=desc, leave=False) as bar:
        def counted(*a, **k):
            bar.update()
            return forward(*a, **k)

        return fn(counted, *args[1:])


def _chunks(ex, forward, corrupt_z, heads, positions, data, desc):
    """patch_head_outputs on one head at a time, with a progress bar."""
    return _with_bar(ex.patch_head_outputs, forward, corrupt_z, [[h] for h in heads], positions, data,
                     total=len(heads), desc=desc).tolist()


def _top(scores, k):
    """The (at most) k heads with the highest finite score (scores is [layer, head]; -inf rules a head out)."""
    n_heads = scores.shape[1]
    top = scores.flatten().topk(k)
    return [(i // n_heads, i % n_heads) for v, i in zip(top.values.tolist(), top.indices.tolist()) if v > -torch.inf]


def _s2_attention(cache, data, n_layers):
    """[2, layer, head]: attention from S2 to S1 (duplicate-token heads) and to the token after S1 (induction heads)."""
    batch, s2, s1 = torch.arange(len(data)), data.pos["S2"], data.pos["S1"]
    out = []
    for layer in range(n_layers):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]
        out.append(torch.stack([pattern[batch, :, s2, s1].mean(0), pattern[batch, :, s2, s1 + 1].mean(0)]))
    return torch.stack(out, dim=1)


def _backup(ex, model, sub, corrupt_z, movers):
    """Heads whose direct effect grows most when the name movers' outputs at END are replaced by ABC ones."""
    batch, end = torch.arange(len(sub)), sub.end

    def knock_out(z, hook):
        layer = int(hook.name.split(".")[1])
        z = z.clone()
        for mover_layer, head in movers:
            if mover_layer == layer:
                z[batch, end, head] = corrupt_z[layer][batch, end, head]
        return z

    hooks = [(f"blocks.{layer}.attn.hook_z", knock_out) for layer in sorted({l for l, _ in movers})]
    with model.hooks(fwd_hooks=hooks):
        _, cache = ex.run_cached(model, sub.tokens, ("attn.hook_z",), extra=("ln_final.hook_scale",))
    after = ex.head_dla(model, cache, sub).cpu()
    _, clean_cache = ex.run_cached(model, sub.tokens, ("attn.hook_z",), extra=("ln_final.hook_scale",))
    before = ex.head_dla(model, clean_cache, sub).cpu()
    gain = after - before
    candidates = gain.clone()
    for layer, head in movers:
        candidates[layer, head] = float("-inf")
    return _top(candidates, N_BACKUP), gain


def _numbers(found, times, seconds):
    diffs = found["logit diffs"]
    dla, attention, faith = found["dla"], found["attention"], found["faithfulness"]
    movers, negative = found["name movers"], found["negative name movers"]
    numbers = {
        "prompts": float(len(diffs)),
        "mean logit difference": diffs.mean().item(),
        "accuracy": (diffs > 0).float().mean().item(),
        "ABC logit difference (same IO and S tokens)": found["abc diff"],
        "name movers: mean DLA": float(np.mean([dla[h].item() for h in movers])),
        "name movers: attention END->IO": float(np.mean([attention[0][h].item() for h in movers])),
        "name movers: attention END->S1": float(np.mean([attention[1][h].item() for h in movers])),
        "name movers: copy score": float(np.mean([found["copy"][h] for h in movers])),
        "random heads: copy score": found["random copy"],
        "negative name movers: mean DLA": float(np.mean([dla[h].item() for h in negative] or [0.0])),
        "negative name movers: negative copy score": float(np.mean(list(found["negative copy"].values()) or [0.0])),
        "S suppressors: mean DLA": float(np.mean([dla[h].item() for h in found["S suppressors"]] or [0.0])),
        "S suppressors: negative copy score of S": float(np.mean(list(found["S negative copy"].values()) or [0.0])),
        "S-inhibition: mean path-patching effect": float(np.mean(sorted(found["path effects"].tolist())[:N_S_INHIBITION])),
        "model logit difference (faithfulness prompts)": faith["model"],
        "circuit logit difference": faith["circuit"],
        "faithfulness": faith["circuit"] / faith["model"],
        "knocked-out logit difference": faith["knocked out"],
        "random heads kept, same number: logit difference": faith["random heads, same number"],
        "circuit heads": float(len(found["circuit"])),
    }
    for label in found["group effects"]:
        numbers[f"group patching, {label}: together"] = found["group effects"][label]
        numbers[f"group patching, {label}: sum of single heads"] = found["single sums"][label]
    numbers |= discovery.numbers(found["discovery"])
    numbers |= {f"seconds: {step}": t for step, t in times.items()}
    numbers["seconds"] = seconds
    return numbers


def _print(numbers, found, cfg):
    n, dla, attention = numbers, found["dla"], found["attention"]
    print(f"\nPart 4: the IOI circuit ({cfg.n_layers} layers x {cfg.n_heads} heads)")
    print(f"  mean logit difference {n['mean logit difference']:.2f} over {n['prompts']:.0f} prompts, "
          f"{100 * n['accuracy']:.0f}% correct (paper, GPT-2 small: {PAPER['mean logit difference']}); "
          f"on the ABC prompts {n['ABC logit difference (same IO and S tokens)']:.2f}")

    def describe(role, heads, extra=lambda h: ""):
        cells = [f"{discovery.head_label(h)} (DLA {dla[h]:+.2f}, attn END->IO {attention[0][h]:.2f}, ->S1 {attention[1][h]:.2f}{extra(h)})"
                 for h in heads]
        print(f"  {role}: " + "; ".join(cells))

    columns = found["resid positions"]
    print("  residual stream patched from ABC at (layer, position), effect on the logit difference (-1: all removed):")
    print("    layer " + "".join(f"{name:>7}" for name in columns))
    for row, layer in enumerate(found["resid layers"]):
        if row % 3 == 0 or layer == found["resid layers"][-1]:
            print(f"    {layer:5d} " + "".join(f"{found['resid patching'][row, pos]:+7.2f}" for pos in columns.values()))
    describe("name movers", found["name movers"], lambda h: f", copy {found['copy'][h]:.2f}")
    describe("negative name movers", found["negative name movers"], lambda h: f", negative copy {found['negative copy'][h]:.2f}")
    describe("S suppressors (attend to S, lower its logit)", found["S suppressors"],
             lambda h: f", attn END->S2 {attention[2][h]:.2f}, negative copy of S {found['S negative copy'][h]:.2f}")
    describe("other direct writers (high DLA, not attending to the names)", found["other direct writers"])
    path = dict(zip(found["path senders"], found["path effects"].tolist()))
    describe("S-inhibition heads", found["s-inhibition"],
             lambda h: f", attn END->S2 {attention[2][h]:.2f}, path patching into the name readers' queries {path[h]:+.2f}")
    s2 = found["s2 attention"]
    print("  induction heads (attention S2 -> token after S1): " + ", ".join(f"{discovery.head_label(h)} {s2[1][h]:.2f}" for h in found["induction heads"]))
    print("  duplicate-token heads (attention S2 -> S1): " + ", ".join(f"{discovery.head_label(h)} {s2[0][h]:.2f}" for h in found["duplicate-token heads"]))
    gain = found["dla without movers"]
    print("  backup name movers (DLA gain when the name movers are patched at END): "
          + ", ".join(f"{discovery.head_label(h)} +{gain[h]:.2f}" for h in found["backup"]))
    print(f"  copy score: name movers {n['name movers: copy score']:.2f}, random heads {n['random heads: copy score']:.2f}; "
          f"negative name movers' negative copy score {n['negative name movers: negative copy score']:.2f}")
    print("  patching effect, -1 = all of the clean-vs-ABC difference removed (heads patched at END; "
          "induction + duplicate at S2):")
    for label in found["group effects"]:
        print(f"    {label}: together {found['group effects'][label]:+.2f}, sum of one at a time {found['single sums'][label]:+.2f}")
    print(f"  circuit ({len(found['circuit'])} heads): logit difference {n['circuit logit difference']:.2f} of the model's "
          f"{n['model logit difference (faithfulness prompts)']:.2f}: faithfulness {100 * n['faithfulness']:.0f}% "
          f"(paper: {PAPER['faithfulness']}); knocked out: {n['knocked-out logit difference']:.2f}; "
          f"the same number of random heads kept: {n['random heads kept, same number: logit difference']:.2f}")
    print("\n".join(discovery.describe(found["discovery"], found)))
    print("  paper (GPT-2 small): " + "; ".join(f"{k} {v}" for k, v in PAPER.items() if k not in ("mean logit difference", "faithfulness")))
    print("  time: " + ", ".join(f"{k.removeprefix('seconds: ')} {v:.0f} s" for k, v in n.items() if k.startswith("seconds: "))
          + f"; {n['seconds']:.0f} s in all")


def _heatmap(z, title, x=None, y=None, symmetric=True, text=True):
    z = np.asarray(z, dtype=float)
    scale = float(np.nanmax(np.abs(z))) or 1.0
    kwargs = dict(zmin=-scale, zmax=scale, colorscale="RdBu_r") if symmetric else dict(zmin=0, zmax=1, colorscale="Blues")
    trace = go.Heatmap(z=z, x=x, y=y, **kwargs, text=np.round(z, 2) if text else None, texttemplate="%{text}" if text else None)
    return go.Figure(trace, layout=dict(title=title, height=max(350, 24 * z.shape[0] + 120), yaxis_autorange="reversed"))


def _figures(found, model):
    cfg = model.cfg
    heads_x, layers_y = [f"H{h}" for h in range(cfg.n_heads)], [f"L{layer}" for layer in range(cfg.n_layers)]
    figures = [go.Figure(go.Histogram(x=found["logit diffs"].numpy(), nbinsx=30),
                         layout=dict(title="Logit difference (IO - S) per prompt", xaxis_title="logit difference"))]
    figures.append(_heatmap(found["dla"].numpy(), "Direct logit attribution of each head to IO - S at END (through the final norm)",
                            heads_x, layers_y))
    attention = make_subplots(rows=1, cols=3, subplot_titles=["END -> IO", "END -> S1", "END -> S2"])
    for i in range(3):
        attention.add_trace(go.Heatmap(z=found["attention"][i].numpy(), x=heads_x, y=layers_y, zmin=0, zmax=1,
                                       colorscale="Blues", showscale=i == 0), row=1, col=i + 1)
    attention.update_yaxes(autorange="reversed").update_layout(title="Attention from END to the names", height=750)
    figures.append(attention)
    tokens = [f"{i}: {t}" for i, t in enumerate(found["resid tokens"])]
    figures.append(_heatmap(found["resid patching"].numpy(), "Residual stream patched from the ABC run at (layer, position): "
                            "effect on the logit difference (-1 = all removed)", tokens,
                            [f"L{layer}" for layer in found["resid layers"]], text=False))
    figures.append(_heatmap(found["head patching"].numpy(), "Each head's output at END patched from the ABC run: effect on "
                            "the logit difference (-1 = all removed)", heads_x, layers_y))
    labels = [discovery.head_label(h) for h in found["path senders"]]
    figures.append(go.Figure(go.Bar(x=labels, y=found["path effects"].numpy()),
                             layout=dict(title="Path patching: each sender's effect through the queries at END of the heads "
                                         "that read names (name movers, S suppressors)",
                                         yaxis_title="effect on the logit difference")))
    figures.append(_heatmap(found["dla without movers"].numpy(), "Change in each head's DLA when the name movers are patched "
                            "at END (backup name movers light up)", heads_x, layers_y))
    groups = list(found["group effects"])
    figures.append(go.Figure([go.Bar(name="patched together", x=groups, y=[found["group effects"][g] for g in groups]),
                              go.Bar(name="sum of one at a time", x=groups, y=[found["single sums"][g] for g in groups])],
                             layout=dict(title="Heads compensate: a group patched together vs the sum of its heads alone",
                                         yaxis_title="effect on the logit difference", barmode="group")))
    copies = {**{f"{discovery.head_label(h)} copy": v for h, v in found["copy"].items()},
              **{f"{discovery.head_label(h)} negative copy": v for h, v in found["negative copy"].items()},
              **{f"{discovery.head_label(h)} negative copy of S": v for h, v in found["S negative copy"].items()}, "random heads": found["random copy"]}
    figures.append(go.Figure(go.Bar(x=list(copies), y=list(copies.values())),
                             layout=dict(title="Copy score: fraction of names in the top 5 logits of the head's OV circuit",
                                         yaxis_range=[0, 1])))
    faith = found["faithfulness"]
    figures.append(go.Figure(go.Bar(x=list(faith), y=list(faith.values())),
                             layout=dict(title="Mean logit difference: model, circuit alone, circuit knocked out, random heads kept")))
    return figures + discovery.figures(found["discovery"], found)


if __name__ == "__main__":
    from exercises.cli import main

    raise SystemExit(main(["replicate", "part4", *sys.argv[1:]]))
