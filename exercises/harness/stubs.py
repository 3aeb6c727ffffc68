"""Generate each part's exercises.py from its reference solution: one source of truth.

Every function decorated with ``@exercise`` in ``solutions/partN_*.py`` keeps its signature and
docstring and gets the body ``raise NotImplementedError``; all other code is copied unchanged.
The file is also the part's notebook (jupytext's percent format): the lesson's text in markdown
cells, a check cell under each exercise (exercises/notebook.py). The same cells around the
solutions make solutions/notebooks/partN_*.py, the reference as a notebook.

    python -m exercises.maintain stubs          # rewrite every built part's exercises.py
    python -m exercises.maintain stubs --check  # exit 1 if any exercises.py is out of date
"""

import argparse
import ast
import re
import sys
from pathlib import Path

from exercises.parts import PARTS, Part, unregistered_parts

KERNEL = "learn-mech-interp"  # the course's Jupyter kernel (exercises/notebook.py installs it)
HEADER = (
    "# ---\n# jupyter:\n#   kernelspec:\n"  # jupytext's header: the notebook view opens with the course's kernel
    f"#     display_name: {KERNEL}\n#     language: python\n#     name: {KERNEL}\n# ---\n\n"
    "# %% [markdown]\n"
    "# Your exercises. Replace each `raise NotImplementedError` with your code, one function at a\n"
    "# time, and run `python -m exercises check {short}` (or pytest on one test file) for feedback;\n"
    "# opened as a notebook (`python -m exercises notebook {short}`), run the check cell under it.\n"
    "# Generated from solutions/{folder}.py by `python -m exercises.maintain stubs`: edit the solutions.\n\n"
)


def is_exercise_decorator(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "exercise") or (
        isinstance(node, ast.Attribute) and node.attr == "exercise"
    )


def exercise_functions(source: str) -> list[tuple[str, ast.FunctionDef]]:
    """(qualified name, node) of every @exercise function, in the order they appear."""
    found = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef) and any(
                is_exercise_decorator(d) for d in node.decorator_list
            ):
                found.append((prefix + node.name, node))

    visit(ast.parse(source).body, "")
    return found


def exercise_names(source: str) -> list[str]:
    return [name for name, _ in exercise_functions(source)]


def _has_docstring(node: ast.FunctionDef) -> bool:
    first = node.body[0]
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
        first.value.value, str
    )


# --- the notebook view: exercises.py in jupytext's percent format (`# %%` starts a cell) ---

NOTEBOOK_ONLY = '# %% active="ipynb"\n'  # a cell whose code is commented out in the file: importing never runs it


def _markdown(text: str) -> str:
    return "# %% [markdown]\n" + "".join(f"# {line}".rstrip() + "\n" for line in text.strip().splitlines()) + "\n"


def _notebook_only(code: str) -> str:
    return NOTEBOOK_ONLY + "".join(f"# {line}\n" for line in code.strip().splitlines()) + "\n"


def lesson_sections(part: Part) -> tuple[str, dict[str, str], str]:
    """From the part's lesson: its introduction (up to the exercises), each exercise's line of its
    table (name -> "what you learn"), and the replication's section."""
    lesson = (part.path / "README.md").read_text(encoding="utf-8")
    intro = lesson.split("\n## The exercises", 1)[0]
    rows = dict(re.findall(r"(?m)^\| *\d+ *\| *`([\w.]+)` *\| *(.*?) *\|$", lesson))
    replication = re.search(r"(?ms)^## The replication\n(.*?)(?=^## |\Z)", lesson)
    return intro, rows, replication.group(1) if replication else ""


def _start_line(node: ast.stmt, lines: list[str]) -> int:
    """0-based first line of a top-level node: its decorators, and the comment lines right above them."""
    start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno) - 1
    above = start
    while above > 0 and (lines[above - 1].lstrip().startswith("#") or not lines[above - 1].strip()):
        above -= 1
    while above < start and not lines[above].strip():  # the cell starts at the first comment, not a blank line
        above += 1
    return above


def with_cells(source: str, part: Part, reference: bool = False) -> str:
    """`source` (the solutions or the stubs) as a notebook: the lesson's text in markdown cells, each
    given function in a cell, each exercise under its table line, with a check cell after it."""
    intro, rows, replication = lesson_sections(part)
    lines = source.splitlines(keepends=True)
    exercises = exercise_names(source)
    before: dict[int, str] = {0: _markdown(intro) + "# %%\n"}
    after: dict[int, str] = {}
    body = ast.parse(source).body
    first_def = next((i for i, n in enumerate(body) if isinstance(n, (ast.FunctionDef, ast.ClassDef))), len(body))
    if first_def < len(body):
        setup = (f'from exercises.notebook import checker, replicate_in_notebook\n'
                 f'check = checker("{part.short}", globals(){", reference=True" if reference else ""})'
                 '  # check("name") tests that exercise as this notebook has it')
        before[_start_line(body[first_def], lines)] = _notebook_only(setup)
    for node in body[first_def:]:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        start = _start_line(node, lines)
        own = [n for n in exercises if n == node.name or n.startswith(node.name + ".")]
        if not own:
            before[start] = before.get(start, "") + "# %%\n"
            continue
        heading = "\n".join(f"### Exercise {exercises.index(n) + 1}: `{n}`\n\n{rows.get(n, '')}" for n in own)
        before[start] = before.get(start, "") + _markdown(heading) + "# %%\n"
        after[node.end_lineno] = "\n" + "".join(_notebook_only(f'check("{n}")') for n in own)
    out, after_check = [], False
    for number, line in enumerate(lines):
        if after_check and not line.strip() and number not in before:
            continue  # one blank line after a check cell, not the file's two: they would join the cell
        after_check = False
        out.append(before.get(number, ""))
        out.append(line)
        if number + 1 in after:
            out.append(after[number + 1])
            after_check = True
    ending = _markdown(f"## The replication\n\n{replication}") + _notebook_only(
        f'numbers = replicate_in_notebook("{part.short}", globals())  # on your code, at the quick size; figures below')
    return "".join(out).rstrip("\n") + "\n\n\n" + ending.rstrip("\n") + "\n"


def stub_source(solution_source: str, part: Part) -> str:
    """The learner's exercises.py text for a solutions module's text (its notebook view included)."""
    solution_source = with_cells(solution_source, part)
    lines = solution_source.splitlines(keepends=True)
    for name, node in reversed(exercise_functions(solution_source)):
        if not _has_docstring(node):
            raise ValueError(f"{part.folder}: exercise {name} needs a docstring (what, shapes, hint)")
        docstring_end = node.body[0].end_lineno  # 1-based: the body starts on the next line
        indent = " " * node.body[0].col_offset
        lines[docstring_end : node.end_lineno] = [f"{indent}raise NotImplementedError\n"]
    return HEADER.format(short=part.short, folder=part.folder) + "".join(lines)


def expected_stub(part: Part) -> str:
    return stub_source(part.solutions_path.read_text(encoding="utf-8"), part)


def solutions_notebook_path(part: Part) -> Path:
    return part.solutions_path.parent / "notebooks" / f"{part.folder}.py"


def expected_solutions_notebook(part: Part) -> str:
    """The reference as a notebook, for maintainers and stuck learners: the stubs' cells, with the bodies."""
    header = HEADER.split("# %% [markdown]")[0] + (
        f"# %% [markdown]\n# The reference solutions of {part.folder}, as a notebook (spoilers). Generated from "
        f"solutions/{part.folder}.py\n# by `python -m exercises.maintain stubs`: edit that file.\n\n")
    return header + with_cells(part.solutions_path.read_text(encoding="utf-8"), part, reference=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.maintain stubs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report parts out of date")
    args = parser.parse_args(argv)
    unknown = unregistered_parts()
    if unknown:
        print(f"error: {', '.join(unknown)} not in PARTS: register each part in exercises/parts.py "
              "(README, 'Adding a part'), then run this again", file=sys.stderr)
        return 2
    stale = []
    for part in (p for p in PARTS if p.solutions_path.exists()):
        for path, text in ((part.exercises_path, expected_stub(part)),
                           (solutions_notebook_path(part), expected_solutions_notebook(part))):
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                stale.append(path)
                if not args.check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
                    print(f"wrote {path.relative_to(part.path.parent)}")
    if args.check and stale:
        print("out of date: " + ", ".join(str(path) for path in stale))
        print("run: python -m exercises.maintain stubs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
