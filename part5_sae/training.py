"""One SAE recipe trained and scored on the cached activations: what the replication, the frontier
and the causal test share.

A Recipe names an architecture and its sparsity knob: ReLU + L1 (the L1 coefficient), TopK (k per
input) or BatchTopK (k per input on average over a batch). Every SAE here has the same size, steps,
batches and learning rate (the replication's settings), so two recipes differ only in that knob.
"""

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from exercises.threads import cpu_threads


@dataclass(frozen=True)
class Recipe:
    architecture: str  # "L1", "TopK" or "BatchTopK"
    sparsity: float  # the L1 coefficient, or k

    def __post_init__(self):
        if self.architecture not in ("L1", "TopK", "BatchTopK"):
            raise ValueError(f"architecture {self.architecture!r}: use 'L1', 'TopK' or 'BatchTopK'")

    @property
    def k(self) -> int | None:
        return None if self.architecture == "L1" else int(self.sparsity)

    @property
    def l1_coeff(self) -> float:
        return self.sparsity if self.architecture == "L1" else 0.0

    @property
    def label(self) -> str:
        return f"L1 SAE (coefficient {self.sparsity:g})" if self.architecture == "L1" else f"{self.architecture} SAE (k={self.k})"

    def make(self, ex, d_in: int, d_sae: int, seed: int = 0):
        return ex.SparseAutoencoder(d_in, d_sae, k=self.k, batch_topk=self.architecture == "BatchTopK", seed=seed)


def train(ex, data, settings, device, recipe: Recipe) -> dict:
    """Trains one SAE on data["train"] with the learner's train_sae; returns it (in eval mode) with its held-out metrics."""
    d_model = data["d_model"]
    d_sae = settings["expansion"] * d_model
    sae = recipe.make(ex, d_model, d_sae).to(device)
    rows = data["train"].to(device)
    bar = tqdm(total=settings["steps"], desc=recipe.label, leave=False)

    def progress(step, info):
        bar.update(1)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{info['loss']:.1f}", l0=f"{info['l0']:.0f}")

    def one_step():
        ex.train_sae(recipe.make(ex, d_model, d_sae).to(device), rows, steps=1, batch_size=settings["batch_size"],
                     lr=settings["lr"], l1_coeff=recipe.l1_coeff)

    with cpu_threads(device, step=one_step) as threads:
        losses = ex.train_sae(sae, rows, steps=settings["steps"], batch_size=settings["batch_size"], lr=settings["lr"],
                              l1_coeff=recipe.l1_coeff, resample_every=settings["resample_every"], progress=progress)
    bar.close()
    sae.eval()  # BatchTopK infers with its threshold from here on; the others do not care
    return {"sae": sae, "losses": losses, "threads": threads, "label": recipe.label, "recipe": recipe,
            **held_out_metrics(ex, sae, data, device)}


def held_out_metrics(ex, sae, data, device) -> dict:
    """L0, dead fraction and variance explained on the held-out ordinary tokens, and on all of them."""
    held, massive, scale = data["held"].flatten(0, 1), data["held_massive"].flatten(), data["scale"]
    with torch.no_grad():
        reconstruction, latents = sae(held.to(device) * scale)
    reconstruction, latents = reconstruction.cpu() / scale, latents.cpu()
    ordinary = ~massive
    return {
        "metrics": ex.reconstruction_metrics(held[ordinary], reconstruction[ordinary], latents[ordinary]),
        "metrics_all": ex.reconstruction_metrics(held, reconstruction, latents),
        "frequency": (latents[ordinary] > 0).float().mean(dim=0),
    }


def forward_threads(model, tokens, device):
    """A block whose forward passes of `model` run on the faster thread count for `tokens` (one or all cores):
    with another process busy, two threads that wait for each other can be many times slower than one."""
    def forward():
        with torch.no_grad():
            model(tokens)

    return cpu_threads(device, step=forward)


def splice(sae, scale: float):
    """reconstruct(activation) for loss_recovered: the SAE on normalised activations, scaled back."""

    def reconstruct(activation):
        return sae(activation * scale)[0] / scale

    return reconstruct
