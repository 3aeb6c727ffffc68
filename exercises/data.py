"""Offline data shipped in data/, verified against data/SHA256SUMS before use."""

import gzip
import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import torch
from jaxtyping import Int, UInt8

from exercises.parts import ROOT

DATA_DIR = ROOT / "data"
RESTORE = "It ships with the course: restore it with `git checkout -- data/` (or re-clone the repo)."


class DataFileError(RuntimeError):
    """A data file is missing or damaged; the message names the file and the fix."""


@cache
def _expected_checksums() -> dict[str, str]:
    sums = DATA_DIR / "SHA256SUMS"
    if not sums.exists():
        raise DataFileError(f"{sums} is missing. {RESTORE}")
    pairs = (line.split() for line in sums.read_text().splitlines() if line.strip())
    return {name: digest for digest, name in pairs}


def verified_bytes(relative: str) -> bytes:
    """The bytes of data/<relative>, after checking they match the shipped checksum."""
    path = DATA_DIR / relative
    if not path.exists():
        raise DataFileError(f"data file {path} is missing. {RESTORE}")
    raw = path.read_bytes()
    expected = _expected_checksums().get(relative)
    if expected is None:
        raise DataFileError(f"data/SHA256SUMS has no checksum for {relative}. {RESTORE}")
    if hashlib.sha256(raw).hexdigest() != expected:
        raise DataFileError(f"data file {path} is damaged (its SHA-256 does not match data/SHA256SUMS). {RESTORE}")
    return raw


def _read_idx(relative: str, magic: int, dims: int) -> np.ndarray:
    """Parses a gzipped IDX file (the MNIST format: big-endian magic, sizes, then uint8 data)."""
    data = gzip.decompress(verified_bytes(relative))
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataFileError(f"data/{relative} is not an IDX file of the expected kind (magic {found:#x}). {RESTORE}")
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


@cache
def _mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(f"mnist/{prefix}-images-idx3-ubyte.gz", magic=0x803, dims=3)
    labels = _read_idx(f"mnist/{prefix}-labels-idx1-ubyte.gz", magic=0x801, dims=1)
    return images, labels


def load_mnist(split: str = "train") -> tuple[UInt8[torch.Tensor, "n 28 28"], Int[torch.Tensor, " n"]]:
    """MNIST images (uint8, 0-255) and labels (int64) for split "train" (60,000) or "test" (10,000)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels = _mnist(split)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def load_moby_dick() -> str:
    """The text of Moby Dick (chapters 1-135), about 1.2 million characters."""
    return gzip.decompress(verified_bytes("moby_dick.txt.gz")).decode("utf-8")


def load_state_of_the_union() -> str:
    """The 233 State of the Union addresses of 1790-2021, oldest first, about 10.8 million characters."""
    return gzip.decompress(verified_bytes("state_of_the_union.txt.gz")).decode("utf-8")


def load_python_stdlib() -> dict[str, str]:
    """The source of 477 modules of Python 3.11.7's standard library, by path ("asyncio/tasks.py"),
    about 8.9 million characters: every .py file but the tests, IDLE, lib2to3 and the generated
    tables (encodings, pydoc_data). Python's licence: data/python_stdlib_LICENSE.txt."""
    return json.loads(gzip.decompress(verified_bytes("python_stdlib.json.gz")).decode("utf-8"))
