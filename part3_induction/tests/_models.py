"""Tiny seeded models for part 3's tests (no test here touches a real language model)."""

from functools import cache

import torch

from exercises.harness.recordings import reference_module
from exercises.models import copy_model
from exercises.testing import grading_seed


@cache
def _tiny(layer_norm: bool):
    model = reference_module("part3").make_attn_only_model(d_vocab=12, n_ctx=16, d_model=16, n_heads=2, n_layers=2, seed=grading_seed(3), layer_norm=layer_norm)
    with torch.no_grad():  # larger weights than the default init, so attention is far from uniform
        for p in model.parameters():
            if p.ndim > 1:
                p.mul_(4.0)
    return model


def tiny_model(layer_norm: bool = True):
    """A seeded 2-layer, 2-head attention-only model (vocab 12, context 16, d_model 16)."""
    return copy_model(_tiny(layer_norm))


_tiny(True)  # built while pytest collects: transformer_lens's first model takes 4-10 s (imports), longer on a busy
# machine, which inside the first test would eat into its 15 s limit and make the verdict depend on the load
