"""One device switch for replications (tests always run on the CPU, for determinism)."""

import os

import torch

DEVICE_ENV = "MECH_INTERP_DEVICE"


class DeviceError(ValueError):
    """A device that does not exist, or that this machine's torch cannot use."""


def available_devices() -> list[str]:
    """The device types this machine's torch can run on, CPU first."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found


def get_device(requested: str | None = None) -> torch.device:
    """`requested` or $MECH_INTERP_DEVICE if set, else CUDA when present, else the CPU.

    Apple's MPS is never picked automatically: transformer_lens has given silently wrong results
    on it (TransformerLens issue 1178). Ask for it explicitly with --device mps if you want it.
    A device that is unknown or not usable here raises DeviceError saying what is available.
    """
    choice = requested or os.environ.get(DEVICE_ENV)
    if not choice:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    source = f"--device {choice}" if requested else f"{DEVICE_ENV}={choice}"
    usable = ", ".join(available_devices())
    try:
        device = torch.device(choice)
    except RuntimeError:
        raise DeviceError(f"{source}: unknown device. Use one of cpu, cuda, mps (usable on this machine: {usable}); "
                          f"for example --device cpu.") from None
    if device.type not in available_devices():
        why = {"cuda": f"this torch ({torch.__version__}) has no CUDA, or no NVIDIA GPU is visible",
               "mps": "Apple's MPS is not available on this machine"}.get(device.type, "torch cannot use it here")
        raise DeviceError(f"{source}: {why}. Usable on this machine: {usable}; for example --device cpu.")
    return device
