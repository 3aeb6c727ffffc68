"""Going further: which heads outside the replication's circuit would raise its faithfulness most?

The replication names its circuit's heads from attention, DLA and patching from the ABC prompts.
Patching from ABC cannot see a head whose input is the same in both runs (the object, the verb,
the sentence's shape), yet mean ablation removes what such a head writes. So this script adds
each other head to the circuit, one at a time, and measures the circuit alone (the rest
mean-ablated) with `circuit_logit_diffs`, yours or the reference:

    python -m exercises replicate part4 [--target solutions]     # writes figures/part4_circuit.json
    python -m part4_ioi.missing_heads [--target solutions] [--top 10]

For SmolLM2's 253 other heads it takes about 20 minutes on a 2-core CPU (each head: three forward
passes of 32 prompts on one thread).
"""

import argparse
import json
from pathlib import Path

import torch
from tqdm.auto import tqdm

from exercises.harness.targets import load_target
from exercises.models import load_model
from exercises.threads import cpu_threads
from part4_ioi.replicate import CIRCUIT_FILE, FULL, HERE, ioi_data

Head = tuple[int, int]


def read_circuit(path: Path) -> tuple[str, list[Head]]:
    """The model's name and the circuit's heads that the replication saved."""
    if not path.exists():
        raise SystemExit(f"{path} is missing: run python -m exercises replicate part4 first (not --quick)")
    saved = json.loads(path.read_text())
    if saved["quick"]:
        raise SystemExit(f"{path} comes from a --quick run: run python -m exercises replicate part4 without --quick")
    return saved["model"], [tuple(head) for head in saved["heads"]]


def faithfulness_with_each(ex, model, data, abc, circuit: list[Head], candidates: list[Head]) -> dict[Head, float]:
    """For each candidate, the circuit's faithfulness (circuit alone / model) with that head added."""
    faithfulness = {}
    for head in tqdm(candidates, desc="adding each other head to the circuit"):
        diffs = ex.circuit_logit_diffs(model, data, abc, circuit + [head])
        faithfulness[head] = diffs["circuit"] / diffs["model"]
    return faithfulness


def faithfulness_prompts(ex, model):
    """The replication's faithfulness prompts (its first prompts of one length) and their ABC."""
    data, abc = ioi_data(ex, model, FULL["prompts"], "cpu")
    index = ex.same_length_index(data)[: FULL["faithful"]]
    return data.subset(index), abc.subset(index)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("exercises", "solutions"), default="exercises")
    parser.add_argument("--top", type=int, default=10, help="how many heads to list")
    args = parser.parse_args(argv)
    ex = load_target("part4", args.target)
    name, circuit = read_circuit(HERE / "figures" / CIRCUIT_FILE)
    model = load_model(name)
    data, abc = faithfulness_prompts(ex, model)
    with cpu_threads("cpu"):
        base = ex.circuit_logit_diffs(model, data, abc, circuit)
        others = [head for head in ex.all_heads(model) if head not in circuit]
        faithfulness = faithfulness_with_each(ex, model, data, abc, circuit, others)
        ranked = sorted(others, key=faithfulness.get, reverse=True)
        together = {n: ex.circuit_logit_diffs(model, data, abc, circuit + ranked[:n]) for n in (1, 5, 10)}
    print(f"the circuit's {len(circuit)} heads alone: faithfulness {base['circuit'] / base['model']:.0%}")
    print(f"the {args.top} other heads that raise it most, each added alone:")
    for layer, head in ranked[: args.top]:
        print(f"  {layer}.{head}  {faithfulness[(layer, head)]:.0%}")
    for n, diffs in together.items():
        print(f"the first {n} added together: {diffs['circuit'] / diffs['model']:.0%}")


if __name__ == "__main__":
    main()
