"""Part 2's fast trainer computes the same function as the transformer_lens model its weights load into.

The trainer (part2_grokking/model.py) computes only the last position, from per-token tables; the
analysis runs on a TransformerBridge.boot_native model holding the same weights (converted with
convert_tl_checkpoint). Checked on a tiny model with random weights and after a few training steps.
"""

import torch

from part2_grokking.model import Config, final_logits, init_params, to_bridge, train

TINY = Config(p=7, d_model=16, n_heads=2, d_head=8, d_mlp=24, max_steps=5, eval_every=1, checkpoint_every=1, seed=1, threads=1)


def _all_inputs(p):
    a, b = torch.arange(p).repeat_interleave(p), torch.arange(p).repeat(p)
    return a, b, torch.stack([a, b, torch.full_like(a, p)], dim=1)


def _check_same_logits(params, cfg):
    a, b, tokens = _all_inputs(cfg.p)
    bridge = to_bridge(params, cfg)
    with torch.no_grad():
        bridge_logits = bridge(tokens)[:, -1]
        fast_logits = final_logits(params, a, b)
    assert bridge_logits.shape == fast_logits.shape == (cfg.p**2, cfg.p)
    difference = (bridge_logits - fast_logits).abs().max().item()
    assert difference < 1e-4 * max(1.0, fast_logits.abs().max().item()), f"max |logit difference| {difference}"


def test_random_weights_give_the_same_logits():
    _check_same_logits(init_params(TINY), TINY)


def test_trained_weights_give_the_same_logits():
    n = TINY.p**2
    run = train(TINY, torch.arange(0, n, 2), torch.arange(1, n, 2), progress=False)
    assert len(run.checkpoints) == TINY.max_steps + 1 and run.history["train_loss"][-1] < run.history["train_loss"][0]
    _check_same_logits(run.params, TINY)


def test_bridge_caches_the_mlp_activations():
    params = init_params(TINY)
    a, b, tokens = _all_inputs(TINY.p)
    bridge = to_bridge(params, TINY)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(tokens)
    post = cache["blocks.0.mlp.hook_post"][:, -1]
    W_in, b_in = params["blocks.0.mlp.W_in"], params["blocks.0.mlp.b_in"]
    assert post.shape == (TINY.p**2, TINY.d_mlp)
    resid_mid = cache["blocks.0.hook_resid_mid"][:, -1]
    assert torch.allclose(post, torch.relu(resid_mid @ W_in + b_in), atol=1e-5)
