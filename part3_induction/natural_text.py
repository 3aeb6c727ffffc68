"""Going further: the induction-head phase change on natural text, as Olsson et al. (2022) saw it.

The replication trains on repeated random tokens, where copying is the only thing to learn. Here
the same 2-layer attention-only model (your make_attn_only_model, trained by your train_attn_only)
learns real text, where copying must beat every other use of the context: by default the source
of Python's standard library (8.9 M characters), or Moby Dick and the State of the Union
addresses (--corpus english, 12 M characters), cut into 512 word pieces by a byte-pair encoding
trained on them. Every `every` steps it measures, with your functions:

  - the in-context-learning score on held-out text (your in_context_learning_score: the loss at
    80% of the context minus at 8%, tokens 199-209 minus tokens 15-25 of 256: the paper's token
    500 - token 50 scaled to this context, each averaged over 11 positions);
  - every head's induction score on repeated random tokens and on repeated held-out text, and its
    previous-token score (your head_scores);
  - the loss at every position of the held-out windows (your per_token_loss).

    python -m part3_induction.natural_text [--target solutions] [--corpus python|english] [--quick] [--steps N]

On Python source (20,000 steps, 4 to 10 minutes on 2 cores) the ICL score falls and an induction
head forms, both half-way at step 13,000, the previous-token head 2,000 steps before; on English
no induction head forms (copy_statistics.py says why). It prints the step of each change and
writes figures/part3_natural_report.html. To be fast on a CPU, training runs on a plain-torch
twin of your model (fast_attn_only.py: the same weights, 1.6 to 1.8 times faster a step) that
your train_attn_only trains; at every measurement its weights are copied into your model, which
is what your functions score. The settings were chosen by measurement (part 3's lesson,
part3_induction/README.md, "Going further: on natural text").
"""

import argparse
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
from jaxtyping import Float, Int
from plotly.subplots import make_subplots
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from torch import Tensor
from tqdm.auto import tqdm

from exercises.data import load_moby_dick, load_python_stdlib, load_state_of_the_union
from exercises.harness.targets import load_target
from exercises.plotting import save_report
from exercises.threads import cpu_threads
from part3_induction.fast_attn_only import AttnOnlyTwin, copy_into
from part3_induction.replicate import crossing_step, per_head_figure

HERE = Path(__file__).parent
FULL = dict(vocab=512, n_ctx=256, d_model=128, n_heads=4, batch=2, lr=3e-3, steps=20_000, every=1000, probes=256,
            characters=None)
QUICK = dict(vocab=300, n_ctx=64, d_model=32, n_heads=2, batch=2, lr=1e-3, steps=20, every=10, probes=16,
             characters=200_000)
EARLY_FRACTION, LATE_FRACTION = 0.08, 0.8  # ICL score: loss at token 204 minus at token 20 of 256
BAND = 5  # ...each averaged with the BAND positions on either side: 11 positions instead of 1, less noise
PERIOD_FRACTION = 0.2  # the probes repeat a 51-token string (of a 256-token context) twice
CORPORA = {"python": "Python's standard library (477 modules, 8.9 M characters)",
           "english": "Moby Dick and the State of the Union addresses (12 M characters)"}
TITLES = {"python": "On Python source", "english": "On English text"}
REPORTS = {"python": "part3_natural_report.html", "english": "part3_natural_english_report.html"}
HELD_OUT = 0.05  # never trained on: every 20th module, or the last 5% of each book
CHANGE = 0.1  # a curve that moved less than this (nats, or attention) has no step of change
QUICK_EXPECTATIONS = {"final held-out loss": (0.5, 7.0)}
PAPER = "Olsson et al. 2022: the ICL score falls by about 0.4 nats at the phase change (token 500 - token 50)"


def split_texts(corpus: str = "python", characters: int | None = None) -> tuple[str, str]:
    """(training text, held-out text) of a corpus, never overlapping: for "python" every 20th module
    is held out, for "english" the last HELD_OUT of each book. `characters` keeps only the start of
    each book, or of each side of the modules (a quick run)."""
    if corpus == "python":
        modules = [source for _, source in sorted(load_python_stdlib().items())]
        every = round(1 / HELD_OUT)
        held_out = modules[every - 1 :: every]
        train = [source for i, source in enumerate(modules) if i % every != every - 1]
        return "\n\n".join(train)[:characters], "\n\n".join(held_out)[:characters]
    if corpus != "english":
        raise ValueError(f"unknown corpus {corpus!r}: choose one of {', '.join(CORPORA)}")
    train, held_out = [], []
    for text in (load_moby_dick(), load_state_of_the_union()):
        text = text[:characters]
        cut = int(len(text) * (1 - HELD_OUT))
        train.append(text[:cut])
        held_out.append(text[cut:])
    return "\n\n".join(train), "\n\n".join(held_out)


def train_tokenizer(text: str, vocab_size: int) -> Tokenizer:
    """A byte-level byte-pair encoding of `vocab_size` tokens learned from `text` (Hugging Face's
    `tokenizers`, a few seconds): the 256 bytes, then the most frequent merges. 512 tokens keep the
    unembedding cheap; repeated word pieces still predict the next one (what induction needs)."""
    if vocab_size < 257:
        raise ValueError(f"a byte-level encoding needs more than 256 tokens, got vocab_size={vocab_size}")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tokenizer.train_from_iterator([text], trainer)
    return tokenizer


def encode(tokenizer: Tokenizer, text: str) -> Int[Tensor, " n"]:
    """The text's token ids, encoded a paragraph at a time (in parallel, and in half the memory of
    one 12 M-character encoding; the ids are the same, as no merge crosses a blank line)."""
    blank_line = tokenizer.encode("\n\n").ids
    ids = []
    for paragraph in tokenizer.encode_batch(text.split("\n\n")):
        ids += paragraph.ids + blank_line
    return torch.tensor(ids[: len(ids) - len(blank_line)])


def text_windows(tokens: Int[Tensor, " n"], batch: int, length: int, generator: torch.Generator) -> Int[Tensor, "batch length"]:
    """`batch` windows of `length` consecutive tokens, each starting at a random place."""
    if len(tokens) <= length:
        raise ValueError(f"a text of {len(tokens)} tokens has no window of {length}")
    starts = torch.randint(0, len(tokens) - length, (batch,), generator=generator)
    return torch.stack([tokens[start : start + length] for start in starts.tolist()])


def probes(ex, train: Tensor, held_out: Tensor, settings: dict) -> dict[str, Tensor]:
    """Fixed held-out inputs, the same at every checkpoint: text windows for the loss, and two
    repeated-sequence probes for the head scores (random tokens, and held-out text). The random
    tokens are drawn from those the training text uses: many of the 256 byte tokens never occur in
    it, and a token never trained on has an embedding no head has learned to read."""
    generator = torch.Generator().manual_seed(1234)
    period = int(settings["n_ctx"] * PERIOD_FRACTION)
    text = text_windows(held_out, settings["probes"], settings["n_ctx"], generator)
    snippet = text_windows(held_out, 64, period, generator)
    used = torch.unique(train)
    return {"text": text, "random": used[ex.repeated_random_tokens(64, period, len(used), generator)],
            "repeated text": torch.cat([snippet, snippet], dim=1), "period": period}


def banded(losses: Float[Tensor, "batch pos"], early: int, late: int) -> Float[Tensor, "batch 2"]:
    """Each window's mean loss over the positions within BAND of `early`, and of `late`: your
    in_context_learning_score of these two columns is the paper's score, its noise about 3 times
    smaller (the mean of 11 positions instead of one)."""
    return torch.stack([losses[:, max(0, p - BAND) : p + BAND + 1].mean(1) for p in (early, late)], dim=1)


def band_label(position: int) -> str:
    return f"{max(0, position - BAND)}-{position + BAND}"


def icl_label(early: int, late: int) -> str:
    return f"loss at tokens {band_label(late)} minus at {band_label(early)}"


def run(target: str = "exercises", quick: bool = False, out_dir: Path | None = None, steps: int | None = None,
        corpus: str = "python") -> dict[str, float]:
    ex = load_target("part3", target)
    settings = (QUICK if quick else FULL) | ({"steps": steps, "every": max(1, steps // 20)} if steps else {})
    train_text, held_out_text = split_texts(corpus, settings["characters"])
    tokenizer = train_tokenizer(train_text, settings["vocab"])
    train, held_out = encode(tokenizer, train_text), encode(tokenizer, held_out_text)
    inputs = probes(ex, train, held_out, settings)
    early, late = int(settings["n_ctx"] * EARLY_FRACTION), int(settings["n_ctx"] * LATE_FRACTION)
    model = ex.make_attn_only_model(d_vocab=settings["vocab"], n_ctx=settings["n_ctx"], d_model=settings["d_model"],
                                    n_heads=settings["n_heads"], seed=0)
    twin = AttnOnlyTwin.of(model)  # trains fast; your model gets its weights at every measurement
    history = {"step": [], "icl": [], "held-out loss": [], "loss by position": [], "previous": [],
               "induction (random)": [], "induction (text)": []}
    bar = tqdm(total=settings["steps"], desc=f"training on {CORPORA[corpus]}", leave=False)

    def track(step: int) -> None:
        copy_into(model, twin)
        with torch.no_grad():
            losses = torch.cat([ex.per_token_loss(model(chunk), chunk) for chunk in inputs["text"].split(64)])
            random_scores = ex.head_scores(model, inputs["random"], inputs["period"])
            text_scores = ex.head_scores(model, inputs["repeated text"], inputs["period"])
        history["step"].append(step)
        history["icl"].append(ex.in_context_learning_score(banded(losses, early, late), 0, 1))
        history["held-out loss"].append(losses.mean().item())
        history["loss by position"].append(losses.mean(0))
        history["previous"].append(text_scores["previous"])
        history["induction (random)"].append(random_scores["induction"])
        history["induction (text)"].append(text_scores["induction"])
        bar.update(step - bar.n)

    def make_batch(generator: torch.Generator) -> Tensor:
        return text_windows(train, settings["batch"], settings["n_ctx"], generator)

    timing_batch = make_batch(torch.Generator().manual_seed(99))

    def one_step() -> None:  # forward and backward without an update: times a step, leaves the weights alone
        ex.per_token_loss(twin(timing_batch), timing_batch).mean().backward()

    with cpu_threads("cpu", step=one_step):  # one thread or two, whichever is faster now (measured)
        twin.zero_grad(set_to_none=True)
        started = time.perf_counter()
        training_losses = ex.train_attn_only(twin, make_batch, steps=settings["steps"], lr=settings["lr"], seed=0,
                                             every=settings["every"], track=track)
        seconds = time.perf_counter() - started
    bar.close()
    for key in ("loss by position", "previous", "induction (random)", "induction (text)"):
        history[key] = torch.stack(history[key])
    numbers = summarise(history, training_losses, seconds, settings)
    print_summary(numbers, settings, early, late, corpus)
    out_dir = Path(out_dir) if out_dir else HERE / "figures"
    report = save_report(out_dir / REPORTS[corpus], f"Part 3 on {CORPORA[corpus]}: the induction-head phase change",
                         figures(history, training_losses, numbers, early, late, TITLES[corpus]), {k: shown(v) for k, v in numbers.items()})
    print(f"\nfigures: {report}")
    return numbers


def shown(value: float) -> str:
    """A number as the report's table shows it: steps and token counts whole, with thousands
    separators (10,000, not 1e+04), the rest to 4 significant digits, NaN as "never"."""
    if np.isnan(value):
        return "never"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.4g}"


def smoothed(values: list[float], window: int) -> np.ndarray:
    """The running mean over `window` steps (shorter at the start)."""
    cumulative = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(0, ends - window)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def summarise(history: dict, training_losses: list[float], seconds: float, settings: dict) -> dict[str, float]:
    steps = history["step"]
    previous = history["previous"][:, 0].max(-1).values
    induction_random = history["induction (random)"][:, 1].max(-1).values
    induction_text = history["induction (text)"][:, 1].max(-1).values
    phase = crossing_step(steps, history["icl"], rising=False, least=CHANGE)
    return {
        "training seconds": seconds,
        "seconds per step": seconds / settings["steps"],
        "phase change step (ICL score half-way)": phase,
        "layer-1 induction score half-way (repeated text)": crossing_step(steps, induction_text, least=CHANGE),
        "layer-1 induction score half-way (random tokens)": crossing_step(steps, induction_random, least=CHANGE),
        "layer-0 previous-token score half-way": crossing_step(steps, previous, least=CHANGE),
        "ICL score, start": history["icl"][0],
        "ICL score, end": history["icl"][-1],
        "best layer-1 induction score, end (repeated text)": induction_text[-1].item(),
        "best layer-1 induction score, end (random tokens)": induction_random[-1].item(),
        "best layer-0 previous-token score, end": previous[-1].item(),
        "final held-out loss": history["held-out loss"][-1],
        "training tokens": settings["steps"] * settings["batch"] * settings["n_ctx"],
    }


def print_summary(numbers: dict[str, float], settings: dict, early: int, late: int, corpus: str) -> None:
    n = {k: (f"never (moved less than {CHANGE})" if np.isnan(v) else f"at step {v:.0f}") if "half-way" in k else v
         for k, v in numbers.items()}
    print(f"\nPart 3 on {CORPORA[corpus]}: {settings['steps']} steps of {settings['batch']} x {settings['n_ctx']} tokens "
          f"({n['training seconds']:.0f} s, {n['seconds per step']:.3f} s per step)")
    print(f"  ICL score ({icl_label(early, late)}): {n['ICL score, start']:+.2f} -> {n['ICL score, end']:+.2f} "
          f"nats; half-way {n['phase change step (ICL score half-way)']}  [{PAPER}]")
    print(f"  best layer-0 previous-token score {n['best layer-0 previous-token score, end']:.2f}, half-way "
          f"{n['layer-0 previous-token score half-way']}")
    print(f"  best layer-1 induction score {n['best layer-1 induction score, end (repeated text)']:.2f} on repeated text "
          f"(half-way {n['layer-1 induction score half-way (repeated text)']}), "
          f"{n['best layer-1 induction score, end (random tokens)']:.2f} on repeated random tokens "
          f"(half-way {n['layer-1 induction score half-way (random tokens)']})")
    print(f"  held-out loss {n['final held-out loss']:.3f} nats per token")


def outcome(numbers: dict[str, float], steps: int) -> str:
    """What the run showed, in words: a fall of the ICL score only counts as the phase change if
    an induction head formed too (a tiny run's ICL score can fall by chance)."""
    if np.isnan(numbers["phase change step (ICL score half-way)"]):
        return f"no phase change in {steps} steps"
    if np.isnan(numbers["layer-1 induction score half-way (repeated text)"]):
        return "the ICL score falls, but no induction head forms"
    return "the ICL score falls as the induction heads form"


def figures(history: dict, training_losses: list[float], numbers: dict[str, float], early: int, late: int,
            title: str) -> list[go.Figure]:
    steps = history["step"]
    phase = numbers["phase change step (ICL score half-way)"]
    changed = not np.isnan(phase) and not np.isnan(numbers["layer-1 induction score half-way (repeated text)"])
    curves = make_subplots(specs=[[{"secondary_y": True}]])
    curves.add_trace(go.Scatter(x=steps, y=history["icl"], name=f"ICL score: {icl_label(early, late)}"),
                     secondary_y=False)
    for key, layer, name in (("induction (text)", 1, "best layer-1 induction score, repeated text"),
                             ("induction (random)", 1, "best layer-1 induction score, random tokens"),
                             ("previous", 0, "best layer-0 previous-token score")):
        curves.add_trace(go.Scatter(x=steps, y=history[key][:, layer].max(-1).values.tolist(), name=name), secondary_y=True)
    curves.update_layout(title=f"{title}: {outcome(numbers, steps[-1])}", xaxis_title="training step")
    curves.update_yaxes(title_text="nats", secondary_y=False)
    curves.update_yaxes(title_text="attention score", range=[0, 1], dtick=0.2, secondary_y=True)

    window = max(1, len(training_losses) // 60)
    loss = go.Figure(go.Scatter(y=smoothed(training_losses, window).tolist(), name=f"training loss (running mean over {window} steps)"),
                     layout=dict(title="Loss through training: late in the context it falls away from early at the phase change",
                                 xaxis_title="step", yaxis_title="nats per token"))
    for position in (early, late):  # the two ends of the ICL score
        band = history["loss by position"][:, max(0, position - BAND) : position + BAND + 1].mean(1)
        loss.add_trace(go.Scatter(x=steps, y=band.tolist(), mode="lines+markers",
                                  name=f"held-out loss at tokens {band_label(position)}"))
    checkpoints = {0, len(steps) // 4, len(steps) - 1}
    if changed:
        curves.add_vline(x=phase, line_dash="dash", annotation_text=f"phase change (step {phase:.0f})")
        loss.add_vline(x=phase, line_dash="dash", annotation_text="phase change")
        checkpoints.add(max(0, int(np.searchsorted(steps, phase)) - 1))  # the last checkpoint before it

    by_position = go.Figure(layout=dict(title="Held-out loss at each token of the context"
                                        + (", before and after the phase change" if changed else ", through training"),
                                        xaxis_title="position in the context", yaxis_title="nats"))
    for index in sorted(checkpoints):
        by_position.add_trace(go.Scatter(y=history["loss by position"][index].tolist(), name=f"step {steps[index]}"))

    per_head = per_head_figure(steps, history["induction (text)"], history["previous"],
                               "Every head through training (solid: induction on repeated text; dotted: previous-token)")
    return [curves, loss, by_position, per_head]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("exercises", "solutions"), default="exercises")
    parser.add_argument("--corpus", choices=tuple(CORPORA), default="python",
                        help="what to train on: " + "; ".join(f"{k}: {v}" for k, v in CORPORA.items()))
    parser.add_argument("--quick", action="store_true", help="a tiny model for a few seconds (checks that it runs)")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"training steps (default {FULL['steps']}, 4 to 10 minutes); measured 20 times along the way")
    parser.add_argument("--out", default=None, help="folder for the report (default: part3_induction/figures)")
    args = parser.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    try:
        run(args.target, args.quick, args.out, args.steps, args.corpus)
    except NotImplementedError:
        raise SystemExit("this run uses your part-3 functions, and one is not implemented yet: finish them first "
                         "(python -m exercises check part3), or run the reference: add --target solutions")


if __name__ == "__main__":
    main()
