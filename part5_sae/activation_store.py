"""Part 5's on-disk activation cache: a language model's residual stream over Moby Dick, computed once.

One safetensors file holds the tokens [n_seq, seq_len] (int32) and the activations
[n_seq, seq_len, d_model] (float16, half the disk of float32 and plenty for an SAE), with
metadata saying which model, layer and tokens produced them and a SHA-256 of the activations.
Loading checks all of it: a cache from another model or layer, of other tokens, or damaged on
disk is refused with an error that says what to do.
"""

import hashlib
import json
from pathlib import Path

import torch
from jaxtyping import Float, Int
from torch import Tensor
from tqdm.auto import tqdm

from exercises.threads import ThreadChooser

FORMAT = "learn-mech-interp part5 activations v1"


class ActivationCacheError(RuntimeError):
    """An activation cache cannot be used; the message names the file and the fix."""


def corpus_tokens(tokenizer, text: str, n_seq: int, seq_len: int, bos: int) -> Int[Tensor, "n_seq seq_len"]:
    """The first n_seq * (seq_len - 1) tokens of `text`, cut into rows, each starting with `bos`."""
    ids = tokenizer(text)["input_ids"]
    needed = n_seq * (seq_len - 1)
    if len(ids) < needed:
        raise ValueError(f"the text has {len(ids):,} tokens; {n_seq} sequences of {seq_len} need {needed:,}: ask for fewer")
    body = torch.tensor(ids[:needed]).reshape(n_seq, seq_len - 1)
    return torch.cat([torch.full((n_seq, 1), bos), body], dim=1)


def _digest(tensor: Tensor) -> str:
    return hashlib.sha256(tensor.contiguous().view(torch.uint8).numpy().tobytes()).hexdigest()


def cache_path(folder: Path, model_name: str, layer: int, tokens: Tensor) -> Path:
    n_seq, seq_len = tokens.shape
    return Path(folder) / f"activations_{model_name}_layer{layer}_{n_seq}x{seq_len}.safetensors"


def build_cache(collect, model, tokens: Int[Tensor, "n_seq seq_len"], layer: int, path: Path, model_name: str,
                chunk: int = 32, batch_size: int = 16, progress: bool = True) -> Float[Tensor, "n_seq seq_len d_model"]:
    """Runs `collect(model, tokens, layer, batch_size)` (collect_activations) over `tokens` in chunks,
    with a progress bar (unless `progress` is False), and writes the cache file; returns the activations (float16)."""
    from safetensors.torch import save_file

    parts, threads = [], ThreadChooser()
    with tqdm(total=tokens.numel(), desc=f"{model_name}: residual stream after block {layer}", unit="tok", leave=False,
              disable=not progress) as bar:
        for index, start in enumerate(range(0, len(tokens), chunk)):
            rows = tokens[start : start + chunk]
            with threads.for_chunk(index):
                parts.append(collect(model, rows.to(_device(model)), layer, batch_size).to(torch.float16))
            bar.update(rows.numel())
    activations = torch.cat(parts)
    metadata = {"format": FORMAT, "model": model_name, "layer": str(layer), "hook": f"blocks.{layer}.hook_resid_post",
                "tokens_sha256": _digest(tokens.to(torch.int32)), "activations_sha256": _digest(activations)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    save_file({"tokens": tokens.to(torch.int32).contiguous(), "activations": activations.contiguous()}, str(partial),
              metadata=metadata)
    partial.replace(path)  # a run stopped while writing leaves no half-written cache behind
    return activations


def load_cache(path: Path, model_name: str, layer: int, tokens: Tensor) -> Float[Tensor, "n_seq seq_len d_model"]:
    """The cached activations, after checking they are what this run asks for."""
    from safetensors import safe_open

    path = Path(path)
    delete = f"Delete it (rm {path}) and run again: the cache is rebuilt."
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            stored_tokens, activations = handle.get_tensor("tokens"), handle.get_tensor("activations")
    except Exception as error:  # safetensors raises several kinds on a truncated or garbled file
        raise ActivationCacheError(f"the activation cache {path} is corrupt ({error}). {delete}") from None
    if metadata.get("format") != FORMAT:
        raise ActivationCacheError(f"{path} is not a part-5 activation cache (metadata {json.dumps(metadata)[:200]}). {delete}")
    found = (metadata.get("model"), metadata.get("layer"))
    if found != (model_name, str(layer)):
        raise ActivationCacheError(
            f"the activation cache {path} holds {found[0]}'s residual stream after block {found[1]}, but this run "
            f"asks for {model_name}'s after block {layer}. Run with PART5_LAYER={found[1]} to use it, or delete it "
            f"(rm {path}) to collect layer {layer}.")
    if stored_tokens.shape != tokens.shape or metadata.get("tokens_sha256") != _digest(tokens.to(torch.int32)):
        raise ActivationCacheError(f"the activation cache {path} was computed on other tokens than this run's. {delete}")
    if metadata.get("activations_sha256") != _digest(activations):
        raise ActivationCacheError(f"the activation cache {path} is corrupt (its checksum does not match). {delete}")
    return activations


def activations_for(collect, model, tokens: Tensor, layer: int, folder: Path, model_name: str) -> tuple[Tensor, Path, bool]:
    """(activations, cache file, whether it was read from disk): loads the cache, or builds it once."""
    path = cache_path(folder, model_name, layer, tokens)
    if path.exists():
        return load_cache(path, model_name, layer, tokens), path, True
    return build_cache(collect, model, tokens, layer, path, model_name), path, False


def _device(model) -> torch.device:
    return next(model.parameters()).device
