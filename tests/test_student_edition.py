"""The learners' edition (no solutions/): no reference code in it, and the same feedback from pytest.

Its tests replay the reference's recorded outputs (partN_*/tests/golden.pt, written by
`python -m exercises.golden`). Here: the golden files match the current solutions and tests, and
pytest in a freshly written edition fails every test on the stubs and passes every test with the
solutions pasted into exercises.py, as the full course does, with `solutions` unimportable.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from exercises import classroom, golden
from exercises.parts import ROOT, built_parts
from exercises.stubgen import exercise_functions

pytestmark = pytest.mark.timeout(600)
# pytest inside the edition, with `solutions` unimportable (the editable install would find the full course's).
RUN_PYTEST = ("import sys; from exercises.grade import block_solutions; block_solutions(); "
              "import pytest; sys.exit(pytest.main(sys.argv[1:]))")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    return classroom.write_student_template(tmp_path_factory.mktemp("edition") / "course")


@pytest.mark.parametrize("part", built_parts(), ids=lambda p: p.short)
def test_golden_file_is_up_to_date(part):
    why = golden.staleness(part)
    assert why is None, f"{why}: run python -m exercises.golden {part.short}"


@pytest.mark.parametrize("part", built_parts(), ids=lambda p: p.short)
def test_golden_file_holds_only_data(part):
    recorded = torch.load(golden.golden_path(part), weights_only=True)  # refuses anything but tensors and plain values
    assert recorded["stub"] == part.exercises_path.read_text(encoding="utf-8")


def _normalised(text: str) -> str:
    return "".join(text.split())


def test_edition_has_no_reference_code(edition):
    assert not (edition / "solutions").exists() and not (edition / "tests").exists()
    sources = {path: _normalised(path.read_text(encoding="utf-8")) for path in edition.rglob("*.py")}
    for part in built_parts():
        solution = part.solutions_path.read_text(encoding="utf-8")
        lines = solution.splitlines(keepends=True)
        for name, node in exercise_functions(solution):
            body = _normalised("".join(lines[node.body[1].lineno - 1 : node.end_lineno]))
            leaks = [str(path.relative_to(edition)) for path, text in sources.items() if body in text]
            assert not leaks, f"{part.short} {name}'s reference body is in the learners' edition: {leaks}"
    config = (edition / "pyproject.toml").read_text()
    assert "solutions" not in config and '"tests"' not in config


def _start_pytest(edition: Path, report: Path) -> subprocess.Popen:
    paths = [part.folder for part in built_parts()]
    return subprocess.Popen([sys.executable, "-c", RUN_PYTEST, *paths, f"--report-json={report}", "-q", "-p", "no:cacheprovider"],
                            cwd=edition, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _full_course_tests() -> set[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *[part.folder for part in built_parts()]], cwd=ROOT, capture_output=True, text=True)
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_edition_gives_the_full_courses_results(tmp_path):
    """Full course: every test fails on the stubs and passes on the solutions (tests/test_tests_bite.py, the suite).

    Two editions, one as written (stubs) and one with the solutions pasted into every exercises.py,
    tested at the same time (the tests use one torch thread each).
    """
    stubs = classroom.write_student_template(tmp_path / "stubs")
    solved = classroom.write_student_template(tmp_path / "solved")
    for part in built_parts():
        (solved / part.folder / "exercises.py").write_text(part.solutions_path.read_text(encoding="utf-8"))
    runs = {label: (_start_pytest(edition, tmp_path / f"{label}.json"), tmp_path / f"{label}.json")
            for label, edition in (("stubs", stubs), ("solutions", solved))}
    expected = _full_course_tests()
    outcomes = {}
    for label, (process, report) in runs.items():
        process.wait()
        outcomes[label] = {nodeid: entry["outcome"] for nodeid, entry in json.loads(report.read_text()).items()}
    assert set(outcomes["stubs"]) == expected and set(outcomes["solutions"]) == expected
    assert [t for t, outcome in outcomes["stubs"].items() if outcome != "failed"] == []
    assert [t for t, outcome in outcomes["solutions"].items() if outcome != "passed"] == []
