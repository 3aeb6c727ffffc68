"""The teachers' adapters: the GitHub Actions workflow, the Classroom 50 bundle, the Gradescope zip."""

import stat
import tarfile
import zipfile

import pytest

from exercises import classroom
from exercises.parts import ROOT, built_parts


def test_workflow_is_up_to_date():
    assert classroom.WORKFLOW.read_text() == classroom.workflow_text(), (
        "the grading workflow is out of date: run python -m exercises.classroom workflow"
    )


def test_github_classroom_workflow_is_gone():
    assert not (ROOT / ".github" / "workflows" / "classroom.yml").exists(), (
        "GitHub Classroom was retired: its workflow graded by exit code in files the learner controls"
    )


def test_workflow_is_one_job_with_one_grading_run_from_a_pristine_course():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(classroom.WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    grading = [run for run in runs if "-m exercises grade" in run]
    assert len(grading) == 1 and "--summary \"$GITHUB_STEP_SUMMARY\"" in grading[0]
    assert not any("pytest" in run or "MECH_INTERP_TARGET" in run for run in runs)
    course = next(step for step in job["steps"] if step.get("with", {}).get("path") == "course")
    assert "vars.COURSE_REPOSITORY" in course["with"]["repository"]


def _has_no_reference(names: list[str]) -> None:
    assert not any(n.startswith(("course/solutions/", "course/tests/", "course/.ci/")) for n in names), (
        "a grading bundle must not carry the reference, the mutants or the maintainers' checks"
    )
    for part in built_parts():
        assert f"course/{part.folder}/tests/golden.pt" in names, f"{part.folder}'s recorded reference outputs"
        assert f"course/{part.folder}/exercises.py" in names


def test_classroom50_bundle(tmp_path):
    script, archive = classroom.write_classroom50_bundle(tmp_path)
    assert script.name == "autograder.py" and script.stat().st_mode & stat.S_IXUSR
    text = script.read_text()
    compile(text, str(script), "exec")
    assert '"result.json", "release-body.md"' in text and "unlink" in text, "a committed result.json must not count"
    with tarfile.open(archive) as tar:
        _has_no_reference(tar.getnames())


def test_gradescope_zip(tmp_path):
    path = classroom.write_gradescope_zip(tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        for script in ("setup.sh", "run_autograder"):
            assert script in names, f"Gradescope needs {script} at the root of the zip"
            assert (archive.getinfo(script).external_attr >> 16) & stat.S_IXUSR
        run = archive.read("run_autograder").decode()
        _has_no_reference(names)
    assert "--format gradescope" in run and "/autograder/results/results.json" in run
    assert "/autograder/submission" in run
