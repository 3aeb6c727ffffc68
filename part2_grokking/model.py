"""The course's grokking transformer: a fast trainer in plain torch, and its transformer_lens twin.

The model is the paper's: one layer, learned token and position embeddings, 4 attention heads,
a ReLU MLP, no LayerNorm, an unembedding to the p answers. The input is three tokens, `a b =`
(token p is '='), and only the logits at the last position are trained.

Why not train a transformer_lens model directly? Its forward pass computes all three positions,
every head on every token, and a [d_model x d_mlp] matrix product per example. Most of that does
not depend on the batch: the residual stream at the '=' position before attention is one fixed
vector, so its query is one vector per head; the keys and values of token a at position 0 (and b
at position 1) are tables with p rows. `final_logits` computes those tables once per step, looks
each example's rows up with a one-hot matrix product (cheap to differentiate, unlike an index
whose backward pass scatters), runs the MLP on the last position only, and multiplies W_out by
W_U before the [n, d_mlp] activations meet them. The weights are kept
under transformer_lens names and shapes (`embed.W_E`, `blocks.0.attn.W_Q` as [heads, d_model,
d_head], ...), so `to_bridge` loads them into a `TransformerBridge` for the analysis.
"""

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor
from tqdm.auto import tqdm


@dataclass
class Config:
    """The paper's setup (Nanda et al. 2023, section 4) and the optimiser's settings."""

    p: int = 113
    d_model: int = 128
    n_heads: int = 4
    d_head: int = 32
    d_mlp: int = 512
    train_fraction: float = 0.3
    lr: float = 2.5e-3  # the paper used 1e-3 (slow here); 1e-2 groks through a loss spike. See the README
    weight_decay: float = 1.0
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_steps: int = 10
    max_steps: int = 5000
    eval_every: int = 20
    checkpoint_every: int = 50
    stop_after_grok: int = 1200  # keep training this many steps once test accuracy passes 99%: through clean-up
    seed: int = 0
    threads: int = 1  # one thread: the same trajectory on any load (float sums in one order; see the README)


PAPER_SCHEDULE = {"lr": 1e-3, "max_steps": 15000, "eval_every": 100, "checkpoint_every": 100}


def init_params(cfg: Config) -> dict[str, Tensor]:
    """Gaussian weights with std 1/sqrt(fan-in), zero MLP biases; transformer_lens names and shapes.

    The attention and unembedding biases are fixed at zero (as in the paper's model): they are
    added back as zeros by `to_tl_state_dict`."""
    g = torch.Generator().manual_seed(cfg.seed)
    d, h, e, m, p = cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_mlp, cfg.p

    def normal(*shape: int, fan_in: int) -> Tensor:
        return torch.randn(*shape, generator=g) / math.sqrt(fan_in)

    return {
        "embed.W_E": normal(p + 1, d, fan_in=d),
        "pos_embed.W_pos": normal(3, d, fan_in=d),
        "blocks.0.attn.W_Q": normal(h, d, e, fan_in=d),
        "blocks.0.attn.W_K": normal(h, d, e, fan_in=d),
        "blocks.0.attn.W_V": normal(h, d, e, fan_in=d),
        "blocks.0.attn.W_O": normal(h, e, d, fan_in=h * e),
        "blocks.0.mlp.W_in": normal(d, m, fan_in=d),
        "blocks.0.mlp.b_in": torch.zeros(m),
        "blocks.0.mlp.W_out": normal(m, d, fan_in=m),
        "blocks.0.mlp.b_out": torch.zeros(d),
        "unembed.W_U": normal(d, p, fan_in=d),
    }


def final_logits(params: dict[str, Tensor], a: Int[Tensor, " n"], b: Int[Tensor, " n"]) -> Float[Tensor, "n p"]:
    """The logits at the '=' position for the inputs `a b =`, computed without the other positions."""
    W_E, W_pos, W_U = params["embed.W_E"], params["pos_embed.W_pos"], params["unembed.W_U"]
    W_Q, W_K, W_V, W_O = (params[f"blocks.0.attn.W_{x}"] for x in "QKVO")
    W_in, b_in = params["blocks.0.mlp.W_in"], params["blocks.0.mlp.b_in"]
    W_out, b_out = params["blocks.0.mlp.W_out"], params["blocks.0.mlp.b_out"]
    n_heads, _, d_head = W_Q.shape
    p = W_U.shape[1]

    equals = W_E[p] + W_pos[2]  # the residual stream at the last position: the same for every input
    tokens = torch.stack([W_E[:p] + W_pos[0], W_E[:p] + W_pos[1]])  # [2 positions, p tokens, d_model]
    query = torch.einsum("d,hde->he", equals, W_Q) / math.sqrt(d_head)
    token_scores = torch.einsum("spd,hde,he->sph", tokens, W_K, query)  # [2, p, heads]
    token_values = torch.einsum("spd,hde->sphe", tokens, W_V).flatten(2)  # [2, p, heads * d_head]
    equals_score = torch.einsum("d,hde,he->h", equals, W_K, query)
    equals_value = torch.einsum("d,hde->he", equals, W_V)

    # Each example's rows of the per-token tables, [n, heads + heads * d_head], by one-hot products.
    rows_a = F.one_hot(a, p).to(W_E.dtype) @ torch.cat([token_scores[0], token_values[0]], dim=1)
    rows_b = F.one_hot(b, p).to(W_E.dtype) @ torch.cat([token_scores[1], token_values[1]], dim=1)
    scores = torch.stack([rows_a[:, :n_heads], rows_b[:, :n_heads], equals_score.expand(len(a), -1)], dim=-1)
    pattern = scores.softmax(dim=-1)  # [n, heads, 3 source positions]
    mixed = (
        pattern[..., 0, None] * rows_a[:, n_heads:].view(-1, n_heads, d_head)
        + pattern[..., 1, None] * rows_b[:, n_heads:].view(-1, n_heads, d_head)
        + pattern[..., 2, None] * equals_value
    )
    resid_mid = equals + mixed.flatten(1) @ W_O.flatten(0, 1)
    neurons = torch.relu(resid_mid @ W_in + b_in)
    # (resid_mid + neurons @ W_out + b_out) @ W_U, with W_out @ W_U [d_mlp, p] multiplied first: cheaper.
    return neurons @ (W_out @ W_U) + (resid_mid + b_out) @ W_U


def to_tl_state_dict(params: dict[str, Tensor]) -> dict[str, Tensor]:
    """The weights in transformer_lens's legacy format, with the zero biases the model does not train."""
    n_heads, _, d_head = params["blocks.0.attn.W_Q"].shape
    d_model, p = params["unembed.W_U"].shape
    zeros = {
        **{f"blocks.0.attn.b_{x}": torch.zeros(n_heads, d_head) for x in "QKV"},
        "blocks.0.attn.b_O": torch.zeros(d_model),
        "unembed.b_U": torch.zeros(p),
    }
    return {**{k: v.detach().clone() for k, v in params.items()}, **zeros}


def bridge_config(cfg: Config):
    """The TransformerBridgeConfig of the paper's model (imports transformer_lens)."""
    from transformer_lens.config import TransformerBridgeConfig

    return TransformerBridgeConfig(
        n_layers=1, d_model=cfg.d_model, n_heads=cfg.n_heads, d_head=cfg.d_head, d_mlp=cfg.d_mlp,
        d_vocab=cfg.p + 1, d_vocab_out=cfg.p, n_ctx=3, act_fn="relu", normalization_type=None,
        seed=cfg.seed,
    )


def to_bridge(params: dict[str, Tensor], cfg: Config):
    """A transformer_lens TransformerBridge (boot_native) holding `params`: hooks, caches and all."""
    from transformer_lens.model_bridge import TransformerBridge
    from transformer_lens.utilities.tl_checkpoint_conversion import convert_tl_checkpoint

    tl_cfg = bridge_config(cfg)
    bridge = TransformerBridge.boot_native(tl_cfg)
    result = bridge.load_state_dict(convert_tl_checkpoint(to_tl_state_dict(params), tl_cfg), strict=True)
    assert not result.missing_keys and not result.unexpected_keys, result
    bridge.eval()
    return bridge


def load_into(bridge, params: dict[str, Tensor], cfg: Config):
    """Loads another checkpoint into an existing bridge (cheaper than booting a new one)."""
    from transformer_lens.utilities.tl_checkpoint_conversion import convert_tl_checkpoint

    bridge.load_state_dict(convert_tl_checkpoint(to_tl_state_dict(params), bridge_config(cfg)), strict=True)
    return bridge


@dataclass
class TrainingRun:
    cfg: Config
    params: dict[str, Tensor]
    history: dict[str, list[float]] = field(default_factory=dict)  # step, train/test loss and accuracy
    checkpoints: dict[int, dict[str, Tensor]] = field(default_factory=dict)
    grok_step: int | None = None
    grok_seconds: float | None = None
    ms_per_step: float = float("nan")
    threads: int = 1
    seconds: float = float("nan")


def train(
    cfg: Config,
    train_idx: Int[Tensor, " n_train"],
    test_idx: Int[Tensor, " n_test"],
    *,
    progress: bool = True,
    on_eval: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainingRun:
    """Full-batch AdamW on the training pairs (pair index i is a = i // p, b = i % p); evaluates on
    the test pairs every `eval_every` steps and keeps a copy of the weights every `checkpoint_every`.
    Stops `stop_after_grok` steps after test accuracy first passes 99%, or at `max_steps`."""
    torch.manual_seed(cfg.seed)
    p = cfg.p
    a_all, b_all = torch.arange(p * p) // p, torch.arange(p * p) % p
    labels = (a_all + b_all) % p
    a_train, b_train, y_train = a_all[train_idx], b_all[train_idx], labels[train_idx]
    a_test, b_test, y_test = a_all[test_idx], b_all[test_idx], labels[test_idx]
    params = {k: v.requires_grad_(True) for k, v in init_params(cfg).items()}
    optimizer = torch.optim.AdamW(params.values(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=cfg.betas)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / cfg.warmup_steps, 1.0))

    # Once memorised, the train loss is ~1e-7 and many gradients and Adam moments are denormal
    # floats, which a CPU computes with up to 10x slower: steps 1,000-1,400 took 200 ms instead of 29.
    torch.set_flush_denormal(True)
    start, previous_threads = time.perf_counter(), torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    run = TrainingRun(cfg, params, {k: [] for k in ("step", "train_loss", "test_loss", "train_acc", "test_acc", "weight_norm")})
    stop_at = cfg.max_steps
    bar = tqdm(range(cfg.max_steps + 1), desc=f"training p={p}", disable=not progress, mininterval=1.0)
    for step in bar:
        if step % cfg.checkpoint_every == 0 or step == stop_at:
            run.checkpoints[step] = {k: v.detach().clone() for k, v in params.items()}
        logits = final_logits(params, a_train, b_train)
        # The loss in float64. Once memorised, the train loss is ~1e-7: in float32 the correct
        # class's probability is within a step or two (6e-8) of 1, so its gradient is rounding
        # noise as large as the signal, which Adam turns into full-size steps, and each CPU's
        # kernels send the run elsewhere (float32: train accuracy dipped to 97.7-99.2% and the
        # loss rose by up to 0.093 nats, depending on the CPU; float64: 100% and 0.004 on each).
        loss = F.cross_entropy(logits.double(), y_train)
        if step % cfg.eval_every == 0 or step == stop_at:
            with torch.no_grad():
                test_logits = final_logits(params, a_test, b_test)
            row = {
                "step": step,
                "train_loss": loss.item(),
                "test_loss": F.cross_entropy(test_logits, y_test).item(),
                "train_acc": (logits.argmax(-1) == y_train).float().mean().item(),
                "test_acc": (test_logits.argmax(-1) == y_test).float().mean().item(),
                "weight_norm": torch.cat([v.detach().flatten() for v in params.values()]).norm().item(),
            }
            for k, v in row.items():
                run.history[k].append(v)
            bar.set_postfix(train=f"{row['train_loss']:.2g}", test=f"{row['test_loss']:.2g}", acc=f"{row['test_acc']:.3f}", refresh=False)
            if on_eval:
                on_eval(step, row)
            if run.grok_step is None and row["test_acc"] > 0.99:
                run.grok_step, run.grok_seconds = step, time.perf_counter() - start
                stop_at = min(cfg.max_steps, step + cfg.stop_after_grok)
        if step == stop_at:
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    run.seconds = time.perf_counter() - start
    run.threads = cfg.threads
    torch.set_num_threads(previous_threads)
    torch.set_flush_denormal(False)
    run.ms_per_step = 1000 * run.seconds / max(step, 1)
    run.params = {k: v.detach() for k, v in params.items()}
    return run


def config_dict(cfg: Config) -> dict:
    return asdict(cfg)
