"""One device switch for replications (tests always run on the CPU, for determinism)."""

import os

import torch

DEVICE_ENV = "MECH_INTERP_DEVICE"


def get_device(requested: str | None = None) -> torch.device:
    """`requested` or $MECH_INTERP_DEVICE if set, else CUDA when present, else the CPU.

    Apple's MPS is never picked automatically: transformer_lens has given silently wrong results
    on it (TransformerLens issue 1178). Ask for it explicitly with --device mps if you want it.
    """
    choice = requested or os.environ.get(DEVICE_ENV)
    if choice:
        return torch.device(choice)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
