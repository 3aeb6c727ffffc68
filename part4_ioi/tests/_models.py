"""Tiny seeded models and inputs for part 4's tests, one model of each shape the course meets (no real language model here).

"gpt2": GPT-2's architecture (LayerNorm, learned positions, a key and value per head), in
HookedTransformer's coordinates as load_model("gpt2") gives it, except that its heads' output
weights W_O and its unembedding W_U are then moved off-centre (compatibility mode centres both
over d_model; on centred weights LayerNorm's centring changes no attribution, and a direct logit
attribution that skipped it would pass). "llama": SmolLM2's architecture (RMSNorm, rotary
positions, 4 query heads sharing 2 key/value heads). Both use the toy tokenizer: words "t0" ...
"t39", split on spaces, so a "name" is a word like "t7".

The prompts mix three templates of different lengths (so a batch is right-padded, and END and S2
sit at different positions in different prompts), and alternate ABBA and BABA (so IO moves too):
code that reads position -1 for END, or one position for every prompt, gives other numbers.
"""

import traceback
from functools import cache

import torch

from exercises.harness.recordings import reference_module
from exercises.testing import check, grading_seed
from exercises.models import bridge_from_hf, copy_model, hub_offline, toy_tokenizer

VOCAB = 40
SHAPES = ("gpt2", "llama")
# 10, 9 and 11 tokens with the bos; S2 at 7, 7 and 5; IO at 2 or 4, 3 or 5, 2 or 4 (ABBA or BABA)
TEMPLATES = ["t1 {A} t2 {B} t3 t4 {S} t5 t6", "t7 t8 {A} t9 {B} t10 {S} t11", "t12 {A} t13 {B} {S} t14 t15 t16 t17 t18"]
ONE_LENGTH = TEMPLATES[:1]  # prompts of one length, as CachedForward needs
NAMES = [f"t{i}" for i in range(20, 32)]


@cache
def _tiny(shape: str):
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    transformers.logging.set_verbosity_error()
    torch.manual_seed(grading_seed(11))
    with hub_offline():
        if shape == "gpt2":
            config = GPT2Config(n_layer=3, n_head=4, n_embd=32, n_positions=24, vocab_size=VOCAB, bos_token_id=0, eos_token_id=0)
            model = bridge_from_hf("gpt2", GPT2LMHeadModel(config), toy_tokenizer(VOCAB), compatibility_mode=True)
        else:
            config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                                 num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=24, bos_token_id=0,
                                 eos_token_id=0, pad_token_id=0)
            model = bridge_from_hf("llama", LlamaForCausalLM(config), toy_tokenizer(VOCAB))
    generator = torch.Generator().manual_seed(grading_seed(12))
    with torch.no_grad():  # larger weights than the default init, so heads attend and logits differ
        for p in model.parameters():
            if p.ndim > 1:
                p.mul_(6.0)
            elif shape == "llama":  # the norms' weights (all 1 at init) as uneven as a trained model's
                p.copy_(0.5 + torch.rand(p.shape, generator=generator))
        if shape == "gpt2":  # off-centre: each head's output and each token's unembedding get a mean over d_model
            for block in model.blocks:
                w_o = block.attn.o.original_component.weight  # [d_model, head * d_head]
                w_o.add_(0.1 * torch.randn(1, w_o.shape[1], generator=generator))
            w_u = model.unembed.original_component.weight  # [vocab, d_model]
            w_u.add_(0.3 * torch.randn(w_u.shape[0], 1, generator=generator))
    return model


def tiny_model(shape: str):
    """A seeded 3-layer, 4-head model of `shape` ("gpt2" or "llama"), d_model 32, vocab 40, context 24."""
    return copy_model(_tiny(shape))


for _shape in SHAPES:  # built while pytest collects: the first models take seconds (transformers and transformer_lens
    _tiny(_shape)      # imports), longer on a busy machine, which inside the first test would eat into its 15 s limit



def prompts(n: int = 6, templates=None, seed: int = grading_seed(0)):
    """(clean, abc) prompt lists from the reference builder, on the toy names (all three templates by default)."""
    ioi_prompts = reference_module("part4").ioi_prompts

    return ioi_prompts(templates or TEMPLATES, NAMES, n, torch.Generator().manual_seed(seed))


def batches(model, n: int = 6, templates=None, seed: int = grading_seed(0)):
    """(clean, abc) IOIBatches of n prompts for `model`: mixed lengths by default; templates=ONE_LENGTH for one."""
    tokenize_ioi = reference_module("part4").tokenize_ioi

    clean, abc = prompts(n, templates, seed)
    return tokenize_ioi(model.tokenizer, clean, model.cfg.n_ctx), tokenize_ioi(model.tokenizer, abc, model.cfg.n_ctx)


def clean_cache(model, data):
    """The activation cache of one clean run of `data` (no gradients)."""
    with torch.no_grad():
        return model.run_with_cache(data.tokens)[1]


class PromiseCheckingForward:
    """A Forward (see the exercises' docstrings) that runs the whole model, as plain_forward does,
    and notes every call whose promises the replication's CachedForward would rely on and not get.

    forward(hooks, layer=l, pos=p) promises that no hook is in a layer before l and that no hook
    changes a position before p, in any prompt. CachedForward re-runs only layers >= l at positions
    >= p, so a broken promise there gives a wrong map or an error. Hooks must also be on the hook
    points the exercise's docstring names (`points`, such as "attn.hook_z"). A hook on another point
    is not run; the test then fails with `check_promises()`, which names the first broken promise.
    """

    def __init__(self, model, data, exercise: str, points: tuple[str, ...]):
        self.plain = reference_module("part4").plain_forward(model, data)
        self.data, self.exercise, self.points = data, exercise, points
        self.problems: list[str] = []

    def __deepcopy__(self, memo):  # call_graded snapshots its arguments: this one is a tool, shared
        return self

    def __call__(self, fwd_hooks, layer: int = 0, pos: int = 0):
        call = f"{self.exercise} called forward(hooks, layer={layer}, pos={pos})"
        run = []
        for name, fn in fwd_hooks:
            parts = name.split(".", 2) if isinstance(name, str) else []
            if len(parts) != 3 or parts[0] != "blocks" or not parts[1].isdigit() or parts[2] not in self.points:
                wanted = " or ".join(f"'blocks.{{l}}.{point}'" for point in self.points)
                self.problems.append(
                    f"{call} with a hook on {name!r}, which is not a hook point this exercise patches: the docstring "
                    f"names {wanted} (the replication's CachedForward runs only blocks.{{l}}.hook_resid_pre, "
                    f"attn.hook_q and attn.hook_z). Check the hook's name.")
                continue
            if int(parts[1]) < int(layer):
                self.problems.append(
                    f"{call} with a hook on {name!r}, in layer {parts[1]}, before the promised layer {layer}. "
                    f"The replication's CachedForward starts at the promised layer and cannot run that hook. "
                    f"Pass layer= the first layer any of your hooks is on.")
            run.append((name, self._watched(call, name, fn, int(pos))))
        return self.plain(run)

    def _watched(self, call: str, name: str, fn, pos: int):
        def watched(activation, hook):
            before = activation.detach().clone()
            result = fn(activation, hook)
            after = activation if result is None else result
            if pos > 0 and torch.is_tensor(after) and after.shape == before.shape:
                moved = (after[:, :pos].detach() - before[:, :pos]).abs() > 1e-6 + 1e-5 * float(before.abs().max())
                if moved.any():
                    prompt, position = moved.nonzero()[0, :2].tolist()
                    text = " ".join(str(t) for t in self.data.tokens[prompt].tolist())
                    self.problems.append(
                        f"{call}, promising that no hook changes a position before {pos}, but its hook on {name!r} "
                        f"changed position {position} of prompt {prompt} (tokens {text}). The replication's "
                        f"CachedForward recomputes only positions >= pos and would lose that change. Pass pos= the "
                        f"earliest position any hook changes in any prompt (the positions differ between prompts).")
            return result

        return watched

    def check_promises(self) -> None:
        more = f"\n({len(self.problems) - 1} more calls broke a promise)" if len(self.problems) > 1 else ""
        check(not self.problems, (self.problems or [""])[0] + more)


def expect_value_error(fn, *args, mentions: str, why: str, **kwargs) -> None:
    """Fails unless fn(*args) raises a ValueError whose message contains `mentions`.

    `why` names the bad input ("a template without {S}"); the message says what came instead.
    """
    import pytest

    name = getattr(fn, "__name__", "the function")
    raised = None
    try:
        fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # reported below, outside this block: no "during handling of the above exception"
        raised = error
    if isinstance(raised, ValueError):
        if mentions.lower() not in str(raised).lower():
            pytest.fail(f"{name} given {why}: the ValueError should name {mentions!r}, so the caller sees what to fix, "
                        f"but it says: {raised}{_raised_at(raised)}\nCheck that input at the start of {name} and raise "
                        f"ValueError with a message that names {mentions!r}.", pytrace=False)
        return
    if raised is not None:
        pytest.fail(f"{name} given {why}: expected a ValueError that names {mentions!r}, but it raised "
                    f"{type(raised).__name__}: {raised}{_raised_at(raised)}\nCheck that input at the start of {name} "
                    f"and raise ValueError with a message that says what is wrong with it.", pytrace=False)
    pytest.fail(f"{name} given {why}: expected a ValueError that names {mentions!r}, but nothing was raised. "
                f"Check that input at the start of {name}.", pytrace=False)


def _raised_at(error: Exception) -> str:
    """'(at exercises.py:LINE: code)': where the graded code raised it (its innermost frame of exercises.py, if any)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)[1:] if "site-packages" not in f.filename]
    frames = [f for f in frames if f.filename.endswith("exercises.py")] or frames
    return f"\n  (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}: {frames[-1].line})" if frames else ""
