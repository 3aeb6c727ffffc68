"""The GitHub Classroom workflow grades every exercise, one step each."""

import re

from exercises import classroom
from exercises.grading import exercise_file_stem
from exercises.parts import ROOT, built_parts
from exercises.stubgen import exercise_names


def test_workflow_is_up_to_date():
    assert classroom.WORKFLOW.read_text() == classroom.workflow_text(), (
        "the Classroom workflow is out of date: run python -m exercises.classroom"
    )


def test_workflow_runs_every_exercise_test_file_once():
    commands = re.findall(r"command: python -m pytest (\S+)", classroom.WORKFLOW.read_text())
    expected = [
        f"{part.folder}/tests/test_{exercise_file_stem(name)}.py"
        for part in built_parts()
        for name in exercise_names(part.solutions_path.read_text(encoding="utf-8"))
    ]
    assert commands == expected
    assert all((ROOT / path).exists() for path in commands)
    runners = re.search(r"runners: (\S+)", classroom.WORKFLOW.read_text()).group(1).split(",")
    assert len(runners) == len(set(runners)) == len(expected)
