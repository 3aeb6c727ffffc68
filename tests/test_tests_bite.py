"""Every exercise has a test file and mutants; every test fails on the stubs; every mutant is caught;
every check in a part's test files is reached by a mutant (a check no wrong code can fail is a defect).

One pytest run with --target=mutants grades each test against the generated stubs and each
known-wrong version of its exercise (solutions/mutants/), and records the outcomes and the line of
the test file that failed (conftest.py's report).
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from exercises.harness.stubs import exercise_names
from exercises.harness.targets import mutants_of
from exercises.parts import ROOT, built_parts, exercise_file_stem

PARTS = built_parts()
pytestmark = pytest.mark.timeout(1800)  # one pytest run over every part, stubs and mutants


def _exercises(part):
    return exercise_names(part.solutions_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_every_exercise_has_a_test_file_and_a_mutant(part):
    names = _exercises(part)
    expected = {f"test_{exercise_file_stem(n)}.py" for n in names}
    present = {p.name for p in part.tests_path.glob("test_*.py")}
    assert expected - present == set(), f"{part.short}: exercises without a test file: {sorted(expected - present)}"
    assert present - expected == set(), f"{part.short}: test files matching no exercise: {sorted(present - expected)}"
    without = [n for n in names if not mutants_of(part).get(n)]
    assert without == [], f"{part.short}: exercises without a mutant in solutions/mutants/{part.folder}.py: {without}"
    unknown = set(mutants_of(part)) - set(names)
    assert unknown == set(), f"{part.short}: mutants of exercises that do not exist: {unknown}"


@pytest.fixture(scope="module")
def mutant_run(tmp_path_factory) -> dict:
    report = tmp_path_factory.mktemp("mutants") / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", *[str(p.tests_path) for p in PARTS], "--target=mutants",
         f"--report-json={report}", "-q", "-p", "no:warnings"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800,
    )
    return json.loads(report.read_text())


def test_every_test_uses_the_graded_fixture(mutant_run):
    ungraded = [nodeid for nodeid, result in mutant_run.items() if result["variant"] is None]
    assert ungraded == [], f"tests that grade nothing (they do not use the `graded` fixture): {ungraded}"


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_every_test_fails_on_the_stubs_in_one_line(part, mutant_run):
    stub_runs = {k: v for k, v in mutant_run.items() if v["variant"] == "stub" and Path(v["path"]).is_relative_to(part.path)}
    assert stub_runs, f"{part.short}: no test ran against the stubs"
    for nodeid, result in stub_runs.items():
        assert result["outcome"] == "failed", f"{nodeid} passes on the stubs: it grades nothing"
        exercise = _exercise_of(part, result["path"])
        assert result["message"].startswith(f"not implemented yet: {part.short} "), (
            f"{nodeid} on the stubs should report 'not implemented yet: {part.short} {exercise}', got:\n{result['message']}"
        )


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_every_mutant_is_caught(part, mutant_run):
    for name, mutants in mutants_of(part).items():
        stem = f"test_{exercise_file_stem(name)}.py"
        for why in mutants:
            outcomes = [r["outcome"] for r in mutant_run.values() if Path(r["path"]).name == stem
                        and Path(r["path"]).is_relative_to(part.path) and r["variant"] == why]
            assert outcomes, f"{part.short} {name}: mutant {why!r} was not run"
            assert "failed" in outcomes, f"{part.short} {name}: no test catches the mutant {why!r}"


def _exercise_of(part, path: str) -> str:
    stem = Path(path).stem.removeprefix("test_")
    return next(n for n in _exercises(part) if exercise_file_stem(n) == stem)


def check_sites(test_file: Path) -> list[ast.AST]:
    """Every check in a test file: asserts and calls of check*/fail, nested in helpers too."""
    sites = []
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assert):
            sites.append(node)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name.startswith("check") or name == "fail":
                sites.append(node)
    return sites


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_every_check_is_reached_by_a_mutant(part, mutant_run):
    failed_lines: dict[str, set[int]] = {}
    for result in mutant_run.values():
        if result.get("failed_at"):
            failed_lines.setdefault(result["path"], set()).add(result["failed_at"])
    unreached = []
    for test_file in sorted(part.tests_path.glob("test_*.py")):
        lines = failed_lines.get(str(test_file), set())
        for site in check_sites(test_file):
            if not any(site.lineno <= line <= site.end_lineno for line in lines):
                source = ast.get_source_segment(test_file.read_text(encoding="utf-8"), site).splitlines()[0]
                unreached.append(f"{test_file.relative_to(ROOT)}:{site.lineno}: {source}")
    assert unreached == [], (
        f"{part.short}: checks that no mutant fails (add a mutant in solutions/mutants/{part.folder}.py that "
        f"fails there, or drop the check if another one always fails first):\n" + "\n".join(unreached)
    )
