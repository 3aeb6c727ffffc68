"""Does a feature do what its name says? Two interventions with the learner's steering_effect.

A feature's top contexts name it; its decoder direction says what it writes into the residual
stream. A name is earned when intervening on the feature does what it predicts:

- steering: add the feature's decoder direction, at the strength the feature reaches in its top
  contexts, to every position of held-out text, and measure the shift in the log-probability of
  the tokens the direction promotes (through the final norm and the unembedding), beside the same
  push along random directions of the same length (a push of that size moves any logit a little);
- ablation: where the feature fires, subtract what it wrote (its activation times its decoder
  direction) and measure the same shift, which should now be negative, and how much the whole
  next-token distribution moves (KL) beside removing the same amounts along random directions.
"""

import plotly.graph_objects as go
import torch

RANDOM_DIRECTIONS = 4  # pushes along random directions of the same norm: the control for the steering shift


def direct_logits(model, direction, norm_weight) -> torch.Tensor:
    """The [vocab] logits a residual-stream direction writes straight through the final norm's weight and the unembedding."""
    with torch.no_grad():
        return ((direction * norm_weight).to(model.W_U.device) @ model.W_U).cpu()


def promoted_ids(model, direction, norm_weight, k: int = 8) -> torch.Tensor:
    """The ids of the k tokens whose logits the direction raises most (the direct path)."""
    return direct_logits(model, direction, norm_weight).topk(k).indices


def intervene(ex, model, sae, data, layer, features: list[int], acts, norm_weight, settings, device) -> list[dict]:
    """Steering and ablation results for each feature; acts [n_seq, pos, len(features)] are their corpus activations."""
    scale, tokens = data["scale"], data["tokens"]
    held_tokens = data["held_tokens"][: settings["steer_seqs"]].to(device)
    ordinary = ~data["held_massive"][: settings["steer_seqs"]]
    generator = torch.Generator().manual_seed(0)
    results = []
    for i, feature in enumerate(features):
        direction = sae.W_dec[feature].detach().cpu() / scale  # what one unit of the feature adds to the raw residual stream
        ids = promoted_ids(model, direction, norm_weight)
        strength = acts[..., i].max().item()  # the feature at its strongest in the corpus
        steered = ex.steering_effect(model, held_tokens, layer, direction, strength, ids)
        random_shifts = []
        for _ in range(RANDOM_DIRECTIONS):
            other = _random_like(direction, generator)
            random_shifts.append(ex.steering_effect(model, held_tokens, layer, other, strength, ids)["log_prob_shift"][ordinary].mean().item())
        top_seqs = acts[..., i].amax(dim=1).topk(settings["ablation_seqs"]).indices
        firing, fires = acts[top_seqs, :, i], acts[top_seqs, :, i] > 0  # [seqs, pos]
        fired_tokens = tokens[top_seqs].to(device)
        ablated = ex.steering_effect(model, fired_tokens, layer, direction, -firing, ids)
        random_kls = []
        for _ in range(RANDOM_DIRECTIONS):  # the same amounts removed along random directions of the same norm
            other = _random_like(direction, generator)
            random_kls.append(ex.steering_effect(model, fired_tokens, layer, other, -firing, ids)["kl"][fires].mean().item())
        results.append({
            "feature": feature, "strength": strength, "promoted_ids": ids.tolist(),
            "steering_shift": steered["log_prob_shift"][ordinary].mean().item(),
            "steering_kl": steered["kl"][ordinary].mean().item(),
            "random_shift_mean": float(torch.tensor(random_shifts).mean()),
            "ablation_shift": ablated["log_prob_shift"][fires].mean().item() if fires.any() else float("nan"),
            "ablation_kl": ablated["kl"][fires].mean().item() if fires.any() else float("nan"),
            "random_ablation_kl": float(torch.tensor(random_kls).mean()),
            "ablation_positions": int(fires.sum()),
        })
    return results


def _random_like(direction, generator):
    """A random direction with the norm of `direction`."""
    other = torch.randn(direction.shape, generator=generator)
    return other * direction.norm() / other.norm()


def table(results: list[dict], tokenizer) -> str:
    lines = [f"  {'':18s}{'steering':^30s}{'ablation where it fires':^40s}",
             f"  {'feature':>8s}{'strength':>10s}{'shift':>10s}{'random':>9s}{'KL':>9s}{'shift':>10s}{'KL':>9s}"
             f"{'random KL':>11s}{'positions':>10s}   promoted tokens"]
    for r in results:
        promoted = ", ".join(repr(tokenizer.decode([t])) for t in r["promoted_ids"][:5])
        lines.append(f"  {r['feature']:8d}{r['strength']:10.2f}{r['steering_shift']:+10.3f}{r['random_shift_mean']:+9.3f}"
                     f"{r['steering_kl']:9.3f}{r['ablation_shift']:+10.3f}{r['ablation_kl']:9.3f}{r['random_ablation_kl']:11.3f}"
                     f"{r['ablation_positions']:10d}   {promoted}")
    return "\n".join(lines)


def figure(results: list[dict]) -> go.Figure:
    names = [f"feature {r['feature']}" for r in results]
    bars = [("steering along the feature", "steering_shift", "#00cc96"),
            (f"the same push along random directions (mean of {RANDOM_DIRECTIONS})", "random_shift_mean", "#b0b0b0"),
            ("ablating the feature where it fires", "ablation_shift", "#ef553b")]
    return go.Figure([go.Bar(x=names, y=[r[key] for r in results], name=name, marker_color=colour) for name, key, colour in bars],
                     layout=dict(title="Causal test: change in the log-probability of the 8 tokens each feature promotes (nats)",
                                 barmode="group", yaxis_title="log P steered - log P clean", height=420))
