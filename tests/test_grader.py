"""The teachers' grader: stubs score 0, the solutions full marks, and the known cheats gain nothing.

Each case grades a made-up submission with `python -m exercises grade`, as a teacher would, on
parts 0 and 1 only (a few seconds each); the README gives the full timing of parts 0-3.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exercises.grader import grade
from exercises.parts import ROOT, find_part

PARTS = [find_part("0"), find_part("1")]
pytestmark = pytest.mark.timeout(300)


def _submission(root: Path, files: dict) -> Path:
    """A learner's copy: {part: "stubs" | "solutions" | text} for each graded part's exercises.py."""
    for part in PARTS:
        kind = files.get(part.short, "stubs")
        text = {"stubs": part.exercises_path, "solutions": part.solutions_path}.get(kind)
        target = root / part.folder / "exercises.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.read_text() if text else kind)
    return root


def _grade(submission: Path, tmp: Path, env: dict | None = None, parts: list = PARTS) -> dict:
    out, summary = tmp / "result.json", tmp / "summary.md"
    done = subprocess.run(
        [sys.executable, "-m", "exercises", "grade", str(submission), "--out", str(out), "--summary", str(summary),
         "--parts", *[p.short for p in parts]],
        cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return {**json.loads(out.read_text()), "summary": summary.read_text()}


def _by_part(result: dict) -> dict[str, int]:
    scores: dict[str, int] = {}
    for test in result["tests"]:
        part = test["test-name"].split()[0]
        scores[part] = scores.get(part, 0) + test["score"]
    return scores


def test_stubs_score_zero_whatever_the_submission_configures(tmp_path):
    """Cheats 3 and 4: pytest configuration, a conftest that skips, the target switch in the environment."""
    root = _submission(tmp_path / "submission", {})
    (root / "pytest.ini").write_text("[pytest]\naddopts = --target=solutions\n")
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--co --target=solutions"\n')
    skip_all = "import pytest\n\ndef pytest_collection_modifyitems(items):\n    for item in items:\n        item.add_marker(pytest.mark.skip)\n"
    for part in PARTS:
        (root / part.folder / "conftest.py").write_text(skip_all)
        (root / part.folder / "tests").mkdir()
        (root / part.folder / "tests" / "test_free.py").write_text("def test_free():\n    pass\n")
    result = _grade(root, tmp_path, env={"MECH_INTERP_TARGET": "solutions", "PYTEST_ADDOPTS": "--target=solutions"})
    assert result["schema"] == grade.RESULT_SCHEMA
    assert result["score"] == 0 and result["max-score"] == 10 * len(result["tests"]) > 0
    assert sum(t["max-score"] for t in result["tests"]) == result["max-score"]
    assert result["summary"].count("not implemented yet") == len(result["tests"]), result["summary"]


def test_solutions_score_full_marks(tmp_path):
    root = _submission(tmp_path / "submission", {p.short: "solutions" for p in PARTS})
    start = time.perf_counter()
    result = _grade(root, tmp_path)
    assert result["score"] == result["max-score"], [t for t in result["tests"] if not t["passed"]]
    print(f"graded {len(result['tests'])} exercises in {time.perf_counter() - start:.1f} s")


def test_escapes_at_import_score_zero_for_their_part_only(tmp_path):
    """Cheats 1 and 2: os._exit(0) at import; importing the solutions. Also: nothing is left running."""
    part0, part1 = PARTS
    exits = "import os\nos._exit(0)\n" + part0.solutions_path.read_text()
    marker = "31.4159"  # a sleep this long is ours
    imports = (f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'])\n" + part1.exercises_path.read_text()
               + f"\nfrom solutions.{part1.folder} import *\n")
    root = _submission(tmp_path / "submission", {part0.short: exits, part1.short: imports})
    part2 = find_part("2")  # graded normally beside them
    (root / part2.folder).mkdir()
    shutil.copy(part2.solutions_path, root / part2.folder / "exercises.py")
    result = _grade(root, tmp_path, parts=[*PARTS, part2])
    assert _by_part(result) == {part0.short: 0, part1.short: 0, part2.short: 100}
    assert "os._exit" in result["summary"] and "imports 'solutions" in result["summary"], result["summary"]
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout.split()
    assert not left, f"the grader left a process running: {left}"


def test_import_escape_messages():
    events = [{"event": "importing"}]
    results = grade._score(PARTS[0], ["linear_forward"], events, None)
    assert not results[0].passed and "before the worker had imported it" in results[0].message
    import_failed = [*events, {"event": "import-failed", "why": "it imports 'solutions'"}]
    assert "imports 'solutions'" in grade._score(PARTS[0], ["linear_forward"], import_failed, None)[0].message


def test_every_test_of_an_exercise_must_pass():
    """A grading process that ends before all of an exercise's tests ran earns nothing for it."""
    first, second = (f"part0_mnist/tests/test_linear_forward.py::{name}" for name in ("test_a", "test_b"))
    ran_one = [{"event": "importing"}, {"event": "imported"}, {"event": "collected", "nodeids": [first, second]},
               {"event": "start", "nodeid": first}, {"event": "test", "nodeid": first, "when": "call",
                                                     "outcome": "passed", "message": ""}]
    (result,) = grade._score(PARTS[0], ["linear_forward"], ran_one, None)
    assert not result.passed and "test_b did not run" in result.message
    (result,) = grade._score(PARTS[0], ["linear_forward"], [*ran_one, {"event": "start", "nodeid": second}], None)
    assert not result.passed and "test_b: the grading process ended early" in result.message
    passed_both = [*ran_one, {"event": "test", "nodeid": second, "when": "call", "outcome": "passed", "message": ""}]
    assert grade._score(PARTS[0], ["linear_forward"], passed_both, None)[0].passed


def _sample() -> grade.Grade:
    return grade.Grade([grade.ExerciseResult("part0", "linear_forward", True),
                        grade.ExerciseResult("part0", "cross_entropy", False, "not implemented yet")], seconds=3.2)


def test_classroom50_result_has_the_runners_metadata():
    env = {"CLASSROOM": "mi-2026", "ASSIGNMENT": "course", "SUBMISSION_TAG": "submit/x", "COMMIT_URL": "https://c",
           "RELEASE_URL": "https://r"}
    result = grade.classroom50_result(_sample(), env)
    assert result["schema"] == "classroom50/result/v1"
    assert (result["classroom"], result["assignment"], result["submission"]) == ("mi-2026", "course", "submit/x")
    assert result["review"] == "https://c" and result["datetime"].endswith("Z")
    assert (result["score"], result["max-score"]) == (10, 20)
    assert result["tests"][1] == {"test-name": "part0 cross_entropy", "passed": False, "score": 0, "max-score": 10}


def test_gradescope_result():
    result = grade.gradescope_result(_sample())
    assert result["score"] == 10 and result["tests"][0]["max_score"] == 10
    assert [t["status"] for t in result["tests"]] == ["passed", "failed"]
    assert result["tests"][1]["output"] == "not implemented yet" and result["tests"][1]["number"] == "0.2"


def test_a_link_to_the_reference_is_not_the_learners_file(tmp_path):
    """A submission whose exercises.py is a symbolic link (to the teacher's solutions, say) scores 0."""
    part0, part1 = PARTS
    root = _submission(tmp_path / "submission", {part1.short: "solutions"})
    (root / part0.folder / "exercises.py").unlink()
    (root / part0.folder / "exercises.py").symlink_to(part0.solutions_path)
    result = _grade(root, tmp_path)
    assert _by_part(result) == {part0.short: 0, part1.short: 90}
    assert "symbolic link" in result["summary"]


def test_work_done_in_the_notebook_grades_as_work_done_in_the_file(tmp_path):
    """The notebook is exercises.py itself (jupytext's percent format): JupyterLab saves the learner's cells
    there. A file saved from the notebook view, check cells and lesson cells included, earns what the same
    code typed into the plain file earns."""
    from exercises.harness.stubs import solutions_notebook_path

    from_notebook = {p.short: solutions_notebook_path(p).read_text() for p in PARTS}
    typed = _grade(_submission(tmp_path / "typed", {p.short: "solutions" for p in PARTS}), tmp_path)
    saved = _grade(_submission(tmp_path / "notebook", from_notebook), tmp_path)
    assert _by_part(saved) == _by_part(typed) == {p.short: 10 * len(grade.exercises_of(p)) for p in PARTS}


def _solved_ipynb(part, made_from: str) -> str:
    """exercises.ipynb as a learner hands it in from VS Code or Colab: every exercise's cell filled in."""
    from exercises.harness.stubs import solutions_notebook_path
    from exercises.ipynb import METADATA, make_notebook, sha256

    notebook = json.loads(make_notebook(solutions_notebook_path(part).read_text()))
    notebook["metadata"][METADATA]["made_from_sha256"] = sha256(made_from)
    return json.dumps(notebook)


def test_a_notebook_handed_in_grades_as_the_same_code_in_exercises_py(tmp_path):
    """exercises.ipynb (VS Code, Colab) earns what its code earns typed into exercises.py, beside the
    exercises.py it was made from or alone."""
    part0, part1 = PARTS
    root = _submission(tmp_path / "notebooks", {})
    (root / part0.folder / "exercises.ipynb").write_text(_solved_ipynb(part0, part0.exercises_path.read_text()))
    (root / part1.folder / "exercises.ipynb").write_text(_solved_ipynb(part1, part1.exercises_path.read_text()))
    (root / part1.folder / "exercises.py").unlink()
    typed = _grade(_submission(tmp_path / "typed", {p.short: "solutions" for p in PARTS}), tmp_path)
    assert _by_part(_grade(root, tmp_path)) == _by_part(typed) == {p.short: 10 * len(grade.exercises_of(p)) for p in PARTS}


def test_a_notebook_beside_a_changed_exercises_py_is_not_guessed_at(tmp_path):
    """Both files changed: the grade says which to keep and gives the part 0. A notebook of stubs scores 0."""
    from exercises.ipynb import make_notebook

    part0, part1 = PARTS
    root = _submission(tmp_path / "submission", {part0.short: "solutions"})
    (root / part0.folder / "exercises.ipynb").write_text(_solved_ipynb(part0, part0.exercises_path.read_text()))
    (root / part1.folder / "exercises.ipynb").write_text(make_notebook(part1.exercises_path.read_text()))
    result = _grade(root, tmp_path)
    assert _by_part(result) == {part0.short: 0, part1.short: 0}
    assert "exercises.py is not the file part0_mnist/exercises.ipynb was made from" in result["summary"], result["summary"]
