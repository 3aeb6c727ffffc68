"""A plain-torch twin of your make_attn_only_model transformer, for long training runs on a CPU.

The TransformerBridge routes every activation through a hook point and builds each attention
pattern as a tensor, which is what makes it easy to study and slow to train: a step of 2 x 256
tokens (512 pieces, d_model 128) takes it about 1.8 times as long as this twin (23.2 against 12.9
ms on one thread, 15.4 against 8.9 on two, on a quiet 2-core CPU), which has the same
parameters under the same names (less the bridge's `._original_component`), computes the same
logits with PyTorch's fused attention, and copies its weights into a bridge whenever they are
measured (`copy_into`). natural_text.py trains the twin with your train_attn_only and scores the
bridge with your head_scores.

    python -m part3_induction.fast_attn_only [--target solutions] [--threads N]   # times a training step of each
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor, nn

BRIDGE_SUFFIX = "._original_component"


class Attention(nn.Module):
    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.q, self.k, self.v, self.o = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        batch, pos, d_model = x.shape

        def heads(projection: nn.Linear) -> Float[Tensor, "batch head pos d_head"]:
            return projection(x).view(batch, pos, self.n_heads, d_model // self.n_heads).transpose(1, 2)

        mixed = F.scaled_dot_product_attention(heads(self.q), heads(self.k), heads(self.v), is_causal=True)
        return self.o(mixed.transpose(1, 2).reshape(batch, pos, d_model))


class Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, eps: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model, eps=eps)
        self.attn = Attention(d_model, n_heads)

    def forward(self, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        return x + self.attn(self.ln1(x))


class AttnOnlyTwin(nn.Module):
    """Learned token and position embeddings, pre-LayerNorm attention layers, no MLPs, an unembedding
    without bias: the layout of make_attn_only_model's native bridge (layer_norm=True)."""

    def __init__(self, d_vocab: int, n_ctx: int, d_model: int, n_heads: int, n_layers: int = 2, eps: float = 1e-5):
        super().__init__()
        self.tok_embed = nn.Embedding(d_vocab, d_model)
        self.pos = nn.Embedding(n_ctx, d_model)
        self.layers = nn.ModuleList(Block(d_model, n_heads, eps) for _ in range(n_layers))
        self.ln_out = nn.LayerNorm(d_model, eps=eps)
        self.head = nn.Linear(d_model, d_vocab, bias=False)

    @classmethod
    def of(cls, bridge) -> "AttnOnlyTwin":
        """A twin with the bridge's shape and its current weights (so both start from your initialisation)."""
        cfg = bridge.cfg
        if getattr(cfg, "normalization_type", None) != "LN" or not getattr(cfg, "attn_only", False):
            raise ValueError("the fast twin copies an attention-only model with LayerNorm: build it with "
                             "make_attn_only_model(..., layer_norm=True)")
        twin = cls(cfg.d_vocab, cfg.n_ctx, cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.eps)
        twin.load_state_dict(bridge_weights(bridge))
        return twin

    def forward(self, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos d_vocab"]:
        x = self.tok_embed(tokens) + self.pos(torch.arange(tokens.shape[1], device=tokens.device))
        for block in self.layers:
            x = block(x)
        return self.head(self.ln_out(x))


def bridge_weights(bridge) -> dict[str, Tensor]:
    """The bridge's parameters, named as the twin names them."""
    return {name.replace(BRIDGE_SUFFIX, ""): parameter for name, parameter in bridge.named_parameters()}


@torch.no_grad()
def copy_into(bridge, twin: AttnOnlyTwin) -> None:
    """Overwrites the bridge's weights with the twin's; any difference in names or shapes is an error."""
    target, source = bridge_weights(bridge), dict(twin.named_parameters())
    if target.keys() != source.keys():
        raise ValueError(f"the bridge and the twin name their weights differently: only in the bridge "
                         f"{sorted(target.keys() - source.keys())}, only in the twin {sorted(source.keys() - target.keys())}")
    for name, parameter in source.items():
        if target[name].shape != parameter.shape:
            raise ValueError(f"{name}: the bridge's is {tuple(target[name].shape)}, the twin's {tuple(parameter.shape)}")
        target[name].copy_(parameter)


def ms_per_step(model: nn.Module, tokens: Int[Tensor, "batch pos"], steps: int = 100) -> float:
    """Milliseconds per AdamW step of next-token training on `tokens` (after 10 warm-up steps)."""
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for step in range(steps + 10):
        if step == 10:
            started = time.perf_counter()
        logits = model(tokens)[:, :-1]
        loss = F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - started) / steps * 1000


def main(argv: list[str] | None = None) -> None:
    """The benchmark behind the docstring: your model (or the reference's) against its twin, at natural_text's size."""
    from exercises.harness.targets import load_target

    parser = argparse.ArgumentParser(description="ms per training step: the bridge against its twin")
    parser.add_argument("--target", choices=("exercises", "solutions"), default="exercises")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100, help="timed steps per repeat")
    args = parser.parse_args(argv)
    try:
        bridge = load_target("part3", args.target).make_attn_only_model(d_vocab=512, n_ctx=256, d_model=128, n_heads=4)
    except NotImplementedError:
        raise SystemExit("make_attn_only_model is not implemented yet: finish it first, or add --target solutions")
    twin = AttnOnlyTwin.of(bridge)
    tokens = torch.randint(0, 512, (2, 256), generator=torch.Generator().manual_seed(0))
    times = {"bridge": [], "twin": []}
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        for _ in range(args.repeats):  # alternating, so both see the same load
            for name, model in (("bridge", bridge), ("twin", twin)):
                times[name].append(ms_per_step(model, tokens, args.steps))
    finally:
        torch.set_num_threads(previous_threads)
    bridge_ms, twin_ms = statistics.median(times["bridge"]), statistics.median(times["twin"])
    print(f"2 x 256 tokens, 512 pieces, d_model 128, {args.threads} thread(s): bridge {bridge_ms:.1f} ms, "
          f"twin {twin_ms:.1f} ms a step (medians of {args.repeats}); the twin is {bridge_ms / twin_ms:.2f} times faster")


if __name__ == "__main__":
    main()
