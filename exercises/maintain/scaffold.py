"""A new part's skeleton, registered and generated: python -m exercises.maintain new-part N TOPIC "TITLE".

It writes the lesson, the solutions with one example exercise, its mutants and test file,
replicate.py and both __init__.py files; registers the part as a draft (PARTS, pyproject.toml's
testpaths, the README's table); then generates its exercises.py and records its golden file.
The new part meets every rule (python -m exercises.maintain check N) until you change it.
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from exercises.parts import PARTS, ROOT

SOLUTIONS = '''\
"""{title}: TODO(scaffold) what these exercises build, in a sentence or two.

(Learners read this docstring at the top of their exercises.py, which `python -m exercises.maintain
stubs` generates from this file: each @exercise keeps its signature and docstring and gets the body
`raise NotImplementedError`; all other code is given to them as it is.)
"""

import torch
from jaxtyping import Float
from torch import Tensor

from exercises import exercise


@exercise
def normalise_rows(x: Float[Tensor, "n d"]) -> Float[Tensor, "n d"]:
    """Each row of `x` divided by its Euclidean norm, so that every row has length 1.

    TODO(scaffold): the example exercise; replace it with the part's first one.

    Hint: x.norm(dim=-1, keepdim=True) keeps the last dimension, so the division broadcasts.
    """
    return x / x.norm(dim=-1, keepdim=True)
'''

MUTANTS = '''\
"""Known-wrong versions of {folder}'s exercises: each must fail a test of its exercise, and
every check in the tests must be where some mutant fails (rules mutants-caught, checks-reached)."""

from exercises.testing import mutant


@mutant("normalise_rows", "divides by the row's sum, not its norm")
def normalise_rows_by_sum(x):
    return x / x.sum(dim=-1, keepdim=True)


@mutant("normalise_rows", "unit rows pointing the wrong way")
def normalise_rows_flipped(x):
    return -x / x.norm(dim=-1, keepdim=True)
'''

TEST = '''\
import torch

from exercises.testing import call_graded, check_tensor, grading_seed


def _rows(seed: int) -> torch.Tensor:
    return torch.randn(6, 4, generator=torch.Generator().manual_seed(grading_seed(seed))) * 10


def test_matches_reference(graded, reference):
    x = _rows(0)
    check_tensor(call_graded(graded.normalise_rows, x), reference.normalise_rows(x), what="normalise_rows(x)")


def test_rows_have_unit_length(graded):
    norms = call_graded(graded.normalise_rows, _rows(1)).norm(dim=-1)
    check_tensor(norms, torch.ones(6), what="the row norms of normalise_rows(x)", against="1, a unit row",
                 hint="divide each row by its norm, x.norm(dim=-1, keepdim=True), not by its sum")
'''

REPLICATE = '''\
"""{short}'s replication: {title}.

    python -m exercises replicate {short} [--target solutions] [--quick]

TODO(scaffold): the example; replace it with the paper's experiment, run on the learner's code.
"""

import time
from pathlib import Path

import plotly.graph_objects as go
import torch

from exercises.harness.targets import load_target
from exercises.plotting import save_report
from exercises.threads import cpu_threads

HERE = Path(__file__).parent
QUICK_EXPECTATIONS = {{"mean row norm": (0.999, 1.001)}}


def run(target: str = "exercises", quick: bool = False, device: str | None = None, out_dir: Path | None = None) -> dict[str, float]:
    """Normalises random rows with `target`'s code; returns the headline numbers and writes the report."""
    started = time.perf_counter()
    ex = load_target("{short}", target)
    with cpu_threads(device):
        x = torch.randn(200 if quick else 20_000, 16, generator=torch.Generator().manual_seed(0))
        norms = ex.normalise_rows(x).norm(dim=-1)
    figure = go.Figure(go.Histogram(x=norms.tolist()), layout=dict(title="Row norms after normalise_rows"))
    numbers = {{"mean row norm": float(norms.mean()), "seconds": time.perf_counter() - started}}
    path = save_report((out_dir or HERE / "figures") / "{short}_report.html", {title_literal}, [figure],
                       {{name: f"{{value:.4g}}" for name, value in numbers.items()}})
    print(f"mean row norm {{numbers['mean row norm']:.4f}}; report: {{path}}")
    return numbers
'''

LESSON = '''\
# {folder}: {title}

**The big idea.** TODO(scaffold): one paragraph: what this part teaches, and why it matters.

**The paper.** TODO(scaffold): authors, year, title, link; the experiment this part replicates.

## Exercises

Fill them in, in order, in `exercises.py`; check each with `python -m exercises check {short}` or
`pytest {folder}/tests/test_<exercise>.py`.

| # | function | what you learn |
|---|---|---|
| 1 | `normalise_rows` | TODO(scaffold) the example exercise (replace it; the notebook shows this line above it) |

## The replication

`python -m exercises replicate {short}` runs the experiment on your code and writes
`figures/{short}_report.html`.

| number | the paper | ours (reference solutions) |
|---|---|---|
| mean row norm | 1 | TODO(scaffold) measured |
'''


def add_part(number: int, topic: str, title: str, idea: str, paper: str) -> str:
    """Writes and registers part `number`; returns its folder name. Refuses a name or number in use."""
    folder = f"part{number}_{topic}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", topic):
        raise ValueError(f"topic {topic!r}: use lower-case letters, digits and _, starting with a letter")
    if any(p.number == number for p in PARTS) or any(p.folder == folder for p in PARTS):
        raise ValueError(f"part {number} exists already: {', '.join(p.folder for p in PARTS if p.number == number)}")
    if (ROOT / folder).exists() or (ROOT / "solutions" / f"{folder}.py").exists():
        raise ValueError(f"{folder}/ or solutions/{folder}.py exists already: remove it or choose another topic")
    short = f"part{number}"
    values = dict(folder=folder, short=short, title=title, title_literal=json.dumps(title))
    files = {
        f"solutions/{folder}.py": SOLUTIONS, f"solutions/mutants/{folder}.py": MUTANTS,
        f"{folder}/__init__.py": "", f"{folder}/tests/__init__.py": "", f"{folder}/README.md": LESSON,
        f"{folder}/tests/test_normalise_rows.py": TEST, f"{folder}/replicate.py": REPLICATE,
    }
    for relative, template in files.items():
        path = ROOT / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values), encoding="utf-8")
    _register(number, folder, title, idea, paper)
    return folder


def _register(number: int, folder: str, title: str, idea: str, paper: str) -> None:
    """The part's entry in PARTS (as a draft), in pyproject.toml's testpaths and in the README's table."""
    _insert(ROOT / "exercises" / "parts.py", r"(?ms)^PARTS = \(\n.*?(?=^\)$)",
            f'    Part({number}, "{folder}", {json.dumps(title)}, draft=True),\n')
    _insert(ROOT / "pyproject.toml", r'(?s)testpaths = \[.*?(?="tests"\])', f'"{folder}", ')
    _insert(ROOT / "README.md", r"(?m)(?:^\| \[part\d+_\w+\]\(part\d+_\w+/README\.md\) .*\n)+",
            f"| [{folder}]({folder}/README.md) | {idea} | {paper} |\n")


def _insert(path: Path, after: str, text: str) -> None:
    """Puts `text` right after the first match of the regular expression `after` in `path`."""
    source = path.read_text(encoding="utf-8")
    match = re.search(after, source)
    if match is None:
        raise RuntimeError(f"{path.relative_to(ROOT)}: cannot find where the new part goes (pattern {after!r}); "
                           "register it by hand (README, 'Adding a part')")
    path.write_text(source[:match.end()] + text + source[match.end():], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.maintain new-part", description=__doc__.splitlines()[0])
    parser.add_argument("number", type=int, help="the part's number, e.g. 6")
    parser.add_argument("topic", help="the folder's suffix, e.g. probing (the part is then part6_probing)")
    parser.add_argument("title", help='e.g. "Linear probes (Alain and Bengio 2016)"')
    parser.add_argument("--idea", default="TODO(scaffold) the big idea", help="the README table's 'idea' column")
    parser.add_argument("--paper", default="TODO(scaffold) the paper", help="the README table's 'paper' column")
    args = parser.parse_args(argv)
    try:
        folder = add_part(args.number, args.topic, args.title, args.idea, args.paper)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for command in (["stubs"], ["record", f"part{args.number}"]):  # fresh processes: they read the new PARTS
        done = subprocess.run([sys.executable, "-m", "exercises.maintain", *command], cwd=ROOT)
        if done.returncode != 0:
            print(f"error: python -m exercises.maintain {' '.join(command)} failed (above)", file=sys.stderr)
            return 1
    print(f"\n{folder} is registered as a draft, with one example exercise. Next (README, 'Adding a part'):\n"
          f"  write solutions/{folder}.py, solutions/mutants/{folder}.py, {folder}/tests/ and replicate.py\n"
          f"  (replace every TODO(scaffold)), then\n"
          f"  python -m exercises.maintain stubs && python -m exercises.maintain record part{args.number} && "
          f"python -m exercises.maintain check part{args.number}\n"
          f"  with 7-12 exercises, remove draft=True from its Part(...) in exercises/parts.py.")
    return 0
