"""Tiny seeded models, SAEs and data for part 5's tests (no test touches a real language model)."""

from functools import cache

import torch
from exercises.models import copy_model
from exercises.testing import grading_seed


@cache
def _model():
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge import TransformerBridge

    config = TransformerBridgeConfig(
        d_model=16, d_head=8, n_heads=2, n_layers=3, n_ctx=16, d_vocab=20, d_mlp=32, act_fn="gelu",
        normalization_type="LN", positional_embedding_type="standard", seed=grading_seed(0),
    )
    return TransformerBridge.boot_native(config).eval()


def tiny_model():
    """A seeded 3-layer transformer with MLPs (vocab 20, context 16, d_model 16)."""
    return copy_model(_model())


_model()  # built while pytest collects: transformer_lens's first model takes 4-10 s (imports), longer on a busy
# machine, which inside the first test would eat into its 15 s limit and make the verdict depend on the load


def tiny_tokens(n_seq: int = 5, pos: int = 7, seed: int = grading_seed(0)) -> torch.Tensor:
    return torch.randint(0, 20, (n_seq, pos), generator=torch.Generator().manual_seed(seed))


def tiny_sae(module, d_in: int = 5, d_sae: int = 8, seed: int = grading_seed(1), **kwargs):
    """module.SparseAutoencoder with non-zero biases (so a missing bias shows), seeded."""
    sae = module.SparseAutoencoder(d_in, d_sae, seed=seed, **kwargs)
    generator = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        sae.b_enc.copy_(0.3 * torch.randn(d_sae, generator=generator))
        sae.b_dec.copy_(torch.randn(d_in, generator=generator))
        if sae.W_enc is not None:
            sae.W_enc.add_(0.3 * torch.randn(d_in, d_sae, generator=generator))
    return sae
