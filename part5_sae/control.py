"""The random-weights control: the same SAE recipe on SmolLM2's architecture with random weights.

Heap et al. (2025, arXiv 2501.17727) found that SAEs trained on a transformer with random weights
give latents that automated interpretability scores about as well as a trained model's: a latent
that fires on one token reads as "interpretable" whatever the model. So "SAEs find features" needs a
control. Both SAEs here see the same sequences of Moby Dick and have the same recipe (TopK at the
matched k); what we measure on each, over the same tokens:

- variance explained and dead fraction (how well the recipe fits either stream);
- token identity: the share of a latent's activation variance that the current token alone
  explains (between-token variance over total, the correlation ratio eta^2), averaged over the live
  latents; 1 means the latent is a function of the token in front of it, whatever the context;
- position and context identity: the same share for the position in the sequence, and for the
  sequence itself (a latent that tracks what the passage is about, not the token in front of it);
- the spread of its top contexts: how many distinct tokens its 20 largest activations sit on;
- loss recovered, which means little on a random model: its clean loss is near log(vocabulary), as
  bad as a uniform guess, so there is little to recover.
"""

import copy
import time

import plotly.graph_objects as go
import torch

from exercises.models import bridge_from_hf
from part5_sae import training
from part5_sae.training import Recipe

TOP_CONTEXTS = 20
MIN_FIRINGS = 20  # a latent's eta^2 is only measured where it fired this often


def random_like(model, seed: int = 0):
    """A TransformerBridge of the model's architecture and tokenizer with freshly initialised weights (Hugging Face's init)."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    config = copy.deepcopy(model.original_model.config)
    hf_model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.float32)
    return bridge_from_hf("smollm2-random-weights", hf_model, model.tokenizer)


def run(ex, model, data, settings, device, layer, trained_run, split) -> dict:
    """Trains the control SAE and compares it with `trained_run` (the trained model's SAE of the same recipe)."""
    timings = {}
    begun = time.perf_counter()
    random_model = random_like(model).to(device)
    n_seq = settings["control_seqs"]
    tokens = torch.cat([data["tokens"][:n_seq], data["held_tokens"]])
    with training.forward_threads(random_model, tokens[:1].to(device), device):
        activations = ex.collect_activations(random_model, tokens.to(device), layer).float()
    timings["activations"] = time.perf_counter() - begun
    control_data = split(ex, activations, tokens, len(data["held_tokens"]))
    begun = time.perf_counter()
    recipe = trained_run["recipe"]
    control_run = training.train(ex, control_data, settings, device, Recipe(recipe.architecture, recipe.sparsity))
    timings["training"] = time.perf_counter() - begun
    begun = time.perf_counter()
    loss_tokens = control_data["held_tokens"][: settings["loss_seqs"]].to(device)
    ordinary = ~control_data["held_massive"][: settings["loss_seqs"]].to(device)
    with training.forward_threads(random_model, loss_tokens[:1], device):
        control_run["loss"] = ex.loss_recovered(random_model, loss_tokens, layer,
                                                training.splice(control_run["sae"], control_data["scale"]), ordinary)
    same_tokens = tokens[:n_seq]
    trained = _latent_statistics(trained_run["sae"], data["activations"][:n_seq], data["massive"][:n_seq], data["scale"],
                                 same_tokens, device)
    control = _latent_statistics(control_run["sae"], control_data["activations"][:n_seq], control_data["massive"][:n_seq],
                                 control_data["scale"], same_tokens, device)
    timings["scoring"] = time.perf_counter() - begun
    return {"trained": trained | _summary(trained_run), "control": control | _summary(control_run), "timings": timings,
            "recipe": recipe, "tokens": int((~data["massive"][:n_seq]).sum())}


def _summary(run) -> dict:
    m = run["metrics"]
    return {"l0": m["l0"], "dead_fraction": m["dead_fraction"], "variance_explained": m["variance_explained"],
            "loss_clean": run["loss"]["clean"], "loss_zero_ablated": run["loss"]["zero_ablated"],
            "loss_recovered": run["loss"]["recovered"]}


def _latent_statistics(sae, activations, massive, scale, tokens, device, chunk: int = 16384) -> dict:
    """Token identity (eta^2) and top-context spread of every latent, over the ordinary tokens given."""
    rows, ids = activations[~massive], tokens[~massive]
    positions = torch.arange(tokens.shape[1]).expand(tokens.shape)[~massive]
    sequences = torch.arange(tokens.shape[0])[:, None].expand(tokens.shape)[~massive]
    latents = []
    with torch.no_grad():
        for start in range(0, len(rows), chunk):
            latents.append(sae.encode(rows[start : start + chunk].to(device) * scale).cpu())
    latents = torch.cat(latents)
    eta, by_position, by_sequence = (token_identity(latents, groups) for groups in (ids, positions, sequences))
    firings = (latents > 0).sum(dim=0)
    measured = firings >= MIN_FIRINGS
    top = latents.topk(TOP_CONTEXTS, dim=0).indices  # [TOP_CONTEXTS, d_sae]
    distinct = torch.tensor([len(set(ids[top[:, j]].tolist())) for j in range(latents.shape[1])])
    return {"eta_squared": eta[measured], "eta_squared_mean": eta[measured].mean().item(),
            "position_eta_squared_mean": by_position[measured].mean().item(),
            "sequence_eta_squared_mean": by_sequence[measured].mean().item(),
            "top_context_tokens": distinct[measured].float().mean().item(), "measured_latents": int(measured.sum())}


def token_identity(latents: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Per latent, the share of its variance between groups of equal id (the correlation ratio eta^2): the current
    token's id, or the position's."""
    latents = latents.double()
    groups, inverse = ids.unique(return_inverse=True)
    sums = torch.zeros(len(groups), latents.shape[1], dtype=torch.float64).index_add_(0, inverse, latents)
    counts = torch.bincount(inverse, minlength=len(groups)).double()[:, None]
    n, total = len(latents), latents.sum(dim=0)
    between = (sums**2 / counts).sum(dim=0) - total**2 / n
    overall = (latents**2).sum(dim=0) - total**2 / n
    return torch.where(overall > 0, between / overall.clamp_min(1e-12), torch.nan).float()


def table(result) -> str:
    rows = [("L0", "l0", ".1f"), ("dead fraction", "dead_fraction", ".1%"), ("variance explained", "variance_explained", ".3f"),
            ("clean next-token loss", "loss_clean", ".3f"), ("zero-ablated loss", "loss_zero_ablated", ".3f"),
            ("loss recovered", "loss_recovered", ".3f"),
            ("token identity (mean eta^2 of live latents)", "eta_squared_mean", ".3f"),
            ("position identity (mean eta^2 by position)", "position_eta_squared_mean", ".3f"),
            ("context identity (mean eta^2 by sequence)", "sequence_eta_squared_mean", ".3f"),
            (f"distinct tokens among a latent's top {TOP_CONTEXTS}", "top_context_tokens", ".1f"),
            (f"latents that fired {MIN_FIRINGS}+ times", "measured_latents", "d")]
    lines = [f"  {'':46s}{'trained SmolLM2':>17s}{'random weights':>16s}"]
    for name, key, form in rows:
        lines.append(f"  {name:46s}{result['trained'][key]:>17{form}}{result['control'][key]:>16{form}}")
    return "\n".join(lines)


def figure(result) -> go.Figure:
    return go.Figure([go.Histogram(x=result[side]["eta_squared"].numpy(), name=name, opacity=0.6, nbinsx=40,
                                   histnorm="probability")
                      for side, name in [("trained", "trained SmolLM2"), ("control", "random weights")]],
                     layout=dict(title="Random-weights control: how much of each latent the current token alone explains "
                                       "(eta^2; 1 = a token detector)", barmode="overlay",
                                 xaxis_title="eta^2 of a live latent", yaxis_title="share of latents"))
