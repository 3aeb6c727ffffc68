"""exercises.py and the solutions agree: same exercises, signatures, docstrings and given code."""

import ast

import pytest

from exercises.parts import built_parts
from exercises.harness.stubs import exercise_functions, expected_stub, is_exercise_decorator

PARTS = built_parts()


@pytest.fixture(params=PARTS, ids=[p.short for p in PARTS])
def part(request):
    return request.param


def test_exercises_file_is_generated_from_solutions(part):
    assert part.exercises_path.read_text(encoding="utf-8") == expected_stub(part), (
        f"{part.exercises_path} is out of date with solutions/{part.folder}.py: run python -m exercises.maintain stubs"
    )


def test_every_stub_only_raises(part):
    for name, node in exercise_functions(part.exercises_path.read_text(encoding="utf-8")):
        body = node.body[1:]  # after the docstring
        assert len(body) == 1 and isinstance(body[0], ast.Raise), f"{part.short} {name}: the stub must only raise"
        assert ast.unparse(body[0].exc) == "NotImplementedError", f"{part.short} {name}: raise NotImplementedError"


def _without_exercise_bodies(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(map(is_exercise_decorator, node.decorator_list)):
            node.body = node.body[:1]  # keep the docstring: it must match too
    return ast.dump(tree)


def test_same_signatures_docstrings_and_given_code(part):
    exercises = part.exercises_path.read_text(encoding="utf-8")
    solutions = part.solutions_path.read_text(encoding="utf-8")
    assert [n for n, _ in exercise_functions(exercises)] == [n for n, _ in exercise_functions(solutions)]
    assert _without_exercise_bodies(exercises) == _without_exercise_bodies(solutions), (
        f"{part.short}: exercises.py and the solutions differ outside the exercise bodies"
    )


def test_exercises_do_not_import_solutions(part):
    for node in ast.walk(ast.parse(part.exercises_path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        assert not any(n == "solutions" or n.startswith("solutions.") for n in names), (
            f"{part.exercises_path} imports the solutions"
        )


def test_part_has_seven_to_ten_exercises(part):
    count = len(exercise_functions(part.solutions_path.read_text(encoding="utf-8")))
    assert 7 <= count <= 10, f"{part.short} has {count} exercises; the course design asks for 7-10"
