"""The learners' edition (no solutions/): no reference code in it, and the same feedback from pytest.

Its tests replay the reference's recorded outputs (partN_*/tests/golden.pt, written by
`python -m exercises.maintain record`; that they match the current solutions and tests is the rule
recordings-current, tests/test_part_rules.py). Here: recording works, and pytest in a freshly written edition fails every test on the stubs and passes every test with the
solutions pasted into exercises.py, as the full course does, with `solutions` unimportable, under
every CPU kernel setting this machine can simulate (exercises/harness/kernels.py): the same verdict on a
learner's CPU as on the one that recorded the golden files.
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from exercises import editions
from exercises.harness import kernels, recordings
from exercises.harness.stubs import exercise_functions
from exercises.parts import ROOT, built_parts, find_part

pytestmark = pytest.mark.timeout(600)
# pytest inside the edition, with `solutions` unimportable (the editable install would find the full course's).
RUN_PYTEST = """
import importlib.abc, sys
class NoSolutions(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "solutions":
            raise ImportError(f"no {name} in the learners' edition", name=name)
sys.meta_path.insert(0, NoSolutions())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    return editions.write_student_template(tmp_path_factory.mktemp("edition") / "course")


def test_recording_works(tmp_path):
    """Recording is not part of the suite's runs otherwise (the committed golden files are replayed):
    record part 0 afresh, as python -m exercises.maintain record does."""
    path = recordings.record(find_part("part0"), tmp_path)
    recorded = torch.load(path, weights_only=True)  # refuses anything but tensors and plain values
    assert recorded["stub"] == find_part("part0").exercises_path.read_text(encoding="utf-8") and recorded["calls"]


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


def _run_pytest(edition: Path, report: Path, setting: str) -> None:
    paths = [part.folder for part in built_parts()]
    subprocess.run([sys.executable, "-c", RUN_PYTEST, *paths, f"--report-json={report}", "-q", "-p", "no:cacheprovider"],
                   cwd=edition, env=kernels.environment(setting), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _full_course_tests() -> set[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *[part.folder for part in built_parts()]], cwd=ROOT, capture_output=True, text=True)
    return {line for line in done.stdout.splitlines() if "::" in line}


def _recorded_on() -> str:
    machines = {str(torch.load(recordings.golden_path(p), weights_only=True).get("recorded_on")) for p in built_parts()}
    return "; ".join(sorted(machines))


def test_edition_gives_the_full_courses_results(tmp_path):
    """Full course: every test fails on the stubs and passes on the solutions (tests/test_tests_bite.py, the suite).

    Here, the same in the learners' edition, whose reference is the golden files: the stubs once, and
    the solutions pasted into every exercises.py under each kernel setting this CPU can run
    (exercises/harness/kernels.py: other CPUs' vector kernels and BLAS code paths), so a learner whose CPU is
    not the recording one gets the same verdict. Two runs at a time (the tests use one torch thread each).
    """
    stubs = editions.write_student_template(tmp_path / "stubs")
    solved = editions.write_student_template(tmp_path / "solved")
    for part in built_parts():
        (solved / part.folder / "exercises.py").write_text(part.solutions_path.read_text(encoding="utf-8"))
    settings = kernels.available()
    runs = [("stubs", stubs, settings[-1]), *[(f"solutions under {s}", solved, s) for s in settings]]
    expected = _full_course_tests()

    def outcomes_of(run: tuple[str, Path, str]) -> dict[str, str]:
        label, edition, setting = run
        report = tmp_path / f"{label.replace(' ', '-')}.json"
        _run_pytest(edition, report, setting)
        return {nodeid: entry["outcome"] for nodeid, entry in json.loads(report.read_text()).items()}

    with ThreadPoolExecutor(2) as pool:
        outcomes = dict(zip([label for label, _, _ in runs], pool.map(outcomes_of, runs)))
    for label, results in outcomes.items():
        assert set(results) == expected, f"{label}: tests missing from the edition's run: {sorted(expected - set(results))}"
    assert [t for t, outcome in outcomes["stubs"].items() if outcome != "failed"] == []
    for setting in settings:
        failing = [t for t, outcome in outcomes[f"solutions under {setting}"].items() if outcome != "passed"]
        assert failing == [], (f"correct code fails in the learners' edition under kernel setting {setting} (golden files "
                               f"recorded on {_recorded_on()}): {failing}. Compare only what rounding does not decide, "
                               f"with tolerances from the spread that python -m exercises.maintain kernels --matrix measures.")
