"""Tiny seeded models for part 4's tests, one of each shape the course meets (no real language model here).

"gpt2": GPT-2's architecture (LayerNorm, learned positions, a key and value per head), in
HookedTransformer's coordinates as load_model("gpt2") gives it. "llama": SmolLM2's architecture
(RMSNorm, rotary positions, 4 query heads sharing 2 key/value heads). Both use the toy
tokenizer: words "t0" ... "t39", split on spaces, so a "name" is a word like "t7".
"""

import copy
from functools import cache

import torch

from exercises.golden import reference_module
from exercises.models import bridge_from_hf, hub_offline, toy_tokenizer

VOCAB = 40
SHAPES = ("gpt2", "llama")
TEMPLATES = ["t1 {A} t2 {B} t3 t4 {S} t5 t6", "t7 t8 {A} t9 {B} t10 {S} t11"]  # 10 and 9 tokens with the bos
NAMES = [f"t{i}" for i in range(20, 32)]


@cache
def _tiny(shape: str):
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    transformers.logging.set_verbosity_error()
    torch.manual_seed(11)
    with hub_offline():
        if shape == "gpt2":
            config = GPT2Config(n_layer=3, n_head=4, n_embd=32, n_positions=24, vocab_size=VOCAB, bos_token_id=0, eos_token_id=0)
            model = bridge_from_hf("gpt2", GPT2LMHeadModel(config), toy_tokenizer(VOCAB), compatibility_mode=True)
        else:
            config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                                 num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=24, bos_token_id=0,
                                 eos_token_id=0, pad_token_id=0)
            model = bridge_from_hf("llama", LlamaForCausalLM(config), toy_tokenizer(VOCAB))
    generator = torch.Generator().manual_seed(12)
    with torch.no_grad():  # larger weights than the default init, so heads attend and logits differ
        for p in model.parameters():
            if p.ndim > 1:
                p.mul_(6.0)
            elif shape == "llama":  # the norms' weights (all 1 at init) as uneven as a trained model's
                p.copy_(0.5 + torch.rand(p.shape, generator=generator))
    return model


def tiny_model(shape: str):
    """A seeded 3-layer, 4-head model of `shape` ("gpt2" or "llama"), d_model 32, vocab 40, context 24."""
    return copy.deepcopy(_tiny(shape))


def prompts(n: int = 6, templates=None, seed: int = 0):
    """(clean, abc) prompt lists from the reference builder, on the toy names."""
    ioi_prompts = reference_module("part4").ioi_prompts

    return ioi_prompts(templates or TEMPLATES[:1], NAMES, n, torch.Generator().manual_seed(seed))


def batches(model, n: int = 6, templates=None, seed: int = 0):
    """(clean, abc) IOIBatches of n prompts for `model` (one template by default: no padding)."""
    tokenize_ioi = reference_module("part4").tokenize_ioi

    clean, abc = prompts(n, templates, seed)
    return tokenize_ioi(model.tokenizer, clean, model.cfg.n_ctx), tokenize_ioi(model.tokenizer, abc, model.cfg.n_ctx)


def clean_cache(model, data):
    """The activation cache of one clean run of `data` (no gradients)."""
    with torch.no_grad():
        return model.run_with_cache(data.tokens)[1]


def expect_value_error(fn, *args, mentions: str, why: str, **kwargs) -> None:
    """Fails unless fn(*args) raises a ValueError whose message contains `mentions`."""
    import pytest

    try:
        fn(*args, **kwargs)
    except ValueError as error:
        if mentions.lower() not in str(error).lower():
            pytest.fail(f"{why}: the ValueError should name {mentions!r}, but says: {error}", pytrace=False)
        return
    pytest.fail(f"{why}: expected a ValueError that names {mentions!r}, but nothing was raised", pytrace=False)
