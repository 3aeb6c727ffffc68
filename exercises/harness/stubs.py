"""Generate each part's exercises.py from its reference solution: one source of truth.

Every function decorated with ``@exercise`` in ``solutions/partN_*.py`` keeps its signature and
docstring and gets the body ``raise NotImplementedError``; all other code is copied unchanged.

    python -m exercises.maintain stubs          # rewrite every built part's exercises.py
    python -m exercises.maintain stubs --check  # exit 1 if any exercises.py is out of date
"""

import argparse
import ast
import sys

from exercises.parts import PARTS, Part, unregistered_parts

HEADER = (
    "# Your exercises. Replace each `raise NotImplementedError` with your code, one function at a\n"
    "# time, and run `python -m exercises check {short}` (or pytest on one test file) for feedback.\n"
    "# Generated from solutions/{folder}.py by `python -m exercises.maintain stubs`: edit the solutions.\n"
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


def stub_source(solution_source: str, part: Part) -> str:
    """The learner's exercises.py text for a solutions module's text."""
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
        text = expected_stub(part)
        current = part.exercises_path.read_text(encoding="utf-8") if part.exercises_path.exists() else None
        if current != text:
            stale.append(part)
            if not args.check:
                part.exercises_path.write_text(text, encoding="utf-8")
                print(f"wrote {part.exercises_path.relative_to(part.path.parent)}")
    if args.check and stale:
        print("out of date: " + ", ".join(str(p.exercises_path) for p in stale))
        print("run: python -m exercises.maintain stubs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
