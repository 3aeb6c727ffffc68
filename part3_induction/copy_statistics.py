"""How much could an induction head gain on a corpus? Why natural_text.py trains on Python source.

An induction head pays only where the current token occurred earlier in the context *and* the
token that followed it then follows it again. Aoyama et al. (2025, arXiv 2511.16893) call these
the bigram's repetition frequency and its reliability, and find that they decide whether
induction heads form. This measures both in windows of the training text, and what copying
could save at best: the loss of a bigram model (the next token from the current one, counted
over the whole training text) against a mixture of it with copying, which predicts each token
that followed an earlier occurrence of the current token in proportion to how often it did.

    python -m part3_induction.copy_statistics [--corpus python english] [--windows 2000]

Measured (2026-12-03, 512 word pieces, 256-token windows): in English prose copying saves about
a tenth of what it saves in Python source; the lesson (part3_induction/README.md, "Going
further: on natural text") has the numbers.
"""

import argparse

import torch
from jaxtyping import Int
from torch import Tensor

from part3_induction.natural_text import CORPORA, FULL, encode, split_texts, text_windows, train_tokenizer

MIXTURES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # the copying weights tried (0: none); the best is kept
SMOOTHING = 0.01  # added to every bigram count, so an unseen pair has a small probability


def bigram_probabilities(tokens: Int[Tensor, " n"], d_vocab: int) -> Tensor:
    """p(next | current) for every pair (d_vocab x d_vocab), from the pair counts of `tokens`."""
    counts = torch.bincount(tokens[:-1] * d_vocab + tokens[1:], minlength=d_vocab * d_vocab).reshape(d_vocab, d_vocab)
    counts = counts.double() + SMOOTHING
    return counts / counts.sum(-1, keepdim=True)


def copy_terms(windows: Int[Tensor, "batch pos"], bigram: Tensor) -> dict[str, Tensor]:
    """At every position of every window that has a next token: whether the current token occurred
    earlier in the window, whether the token after its last occurrence is the next one, and the
    probability of the next token under the bigram model and under copying."""
    current, following = windows[:, :-1], windows[:, 1:]
    pos = current.shape[1]
    earlier = torch.ones(pos, pos, dtype=torch.bool).tril(-1)  # [t, s]: s < t
    occurred = (current[:, :, None] == current[:, None, :]) & earlier  # [w, t, s]: t's token occurred at s
    same_next = following[:, :, None] == following[:, None, :]  # [w, t, s]: and was followed by t's next token
    occurrences = occurred.sum(-1)
    last = (occurred * torch.arange(1, pos + 1)).argmax(-1)  # the most recent earlier occurrence
    return {"repeated": (occurrences > 0).flatten(),
            "reliable": (same_next.gather(-1, last[..., None])[..., 0] & (occurrences > 0)).flatten(),
            "bigram": bigram[current, following].flatten(),
            "copy": ((occurred & same_next).sum(-1) / occurrences.clamp(min=1)).flatten()}


def copy_statistics(terms: dict[str, Tensor]) -> dict[str, float]:
    """How often the current token occurred earlier (frequency), how often the token after its last
    occurrence comes next (reliability), and the mean loss (nats) of the bigram model and of its
    best mixture with copying (copying weighs in only where the token occurred earlier)."""
    repeated, p_bigram = terms["repeated"], terms["bigram"]
    bigram_loss = -p_bigram.log().mean().item()
    mixture_loss = min(-((1 - w) * p_bigram + w * terms["copy"]).where(repeated, p_bigram).log().mean().item()
                       for w in MIXTURES)
    return {"frequency": repeated.double().mean().item(), "reliability": (terms["reliable"].sum() / repeated.sum()).item(),
            "bigram loss": bigram_loss, "copying mixture loss": mixture_loss, "gain": bigram_loss - mixture_loss}


def measure(corpus: str, n_windows: int, d_vocab: int = FULL["vocab"], n_ctx: int = FULL["n_ctx"],
            characters: int | None = None) -> dict[str, float]:
    """copy_statistics over `n_windows` random windows of the corpus's training text, in its own word pieces."""
    text, _ = split_texts(corpus, characters)
    tokens = encode(train_tokenizer(text, d_vocab), text)
    bigram = bigram_probabilities(tokens, d_vocab)
    windows = text_windows(tokens, n_windows, n_ctx, torch.Generator().manual_seed(0))
    chunks = [copy_terms(chunk, bigram) for chunk in windows.split(100)]  # 100 windows at a time: under 1 GB
    return copy_statistics({key: torch.cat([chunk[key] for chunk in chunks]) for key in chunks[0]})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs="+", choices=tuple(CORPORA), default=list(CORPORA))
    parser.add_argument("--windows", type=int, default=2000, help="random 256-token windows per corpus (default 2000)")
    args = parser.parse_args(argv)
    if args.windows < 1:
        parser.error(f"--windows must be at least 1, got {args.windows}")
    print(f"{FULL['vocab']} word pieces, windows of {FULL['n_ctx']} tokens; losses in nats per token")
    for corpus in args.corpus:
        n = measure(corpus, args.windows)
        print(f"{corpus:8s} current token seen earlier {n['frequency']:.1%}, then the same next token "
              f"{n['reliability']:.1%}; bigram loss {n['bigram loss']:.3f}, with copying {n['copying mixture loss']:.3f}: "
              f"copying saves {n['gain']:.3f}")


if __name__ == "__main__":
    main()
