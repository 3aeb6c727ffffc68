"""The maintainers' commands (exercises/maintain/): a part written by the scaffold meets every rule,
and `check` names each rule a part breaks. Both run in a copy of the course, never in this one."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exercises.editions import course_files
from exercises.maintain.checks import RULES

pytestmark = pytest.mark.timeout(600)


def _maintain(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exercises.maintain", *args], cwd=course, capture_output=True, text=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """This course's files, copied, with part 6 added by the scaffold."""
    copy = tmp_path_factory.mktemp("course") / "course"
    for relative in course_files():
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(__file__).parents[1] / relative, copy / relative)
    done = _maintain(copy, "new-part", "6", "probing", "Linear probes (Alain and Bengio 2016)",
                     "--idea", "probes read what a layer knows", "--paper", "Alain and Bengio 2016")
    assert done.returncode == 0, done.stdout + done.stderr
    return copy


def test_a_new_part_meets_every_rule(course):
    assert 'Part(6, "part6_probing", "Linear probes (Alain and Bengio 2016)", draft=True)' in (
        course / "exercises" / "parts.py").read_text()
    assert '"part6_probing", "tests"]' in (course / "pyproject.toml").read_text()
    assert "| [part6_probing](part6_probing/README.md) | probes read what a layer knows |" in (course / "README.md").read_text()
    done = _maintain(course, "check", "6")
    assert done.returncode == 0 and f"part6_probing: {len(RULES)} of {len(RULES)} rules hold" in done.stdout, done.stdout


def test_the_scaffold_refuses_a_part_that_exists(course):
    done = _maintain(course, "new-part", "6", "other", "Another part 6")
    assert done.returncode == 2 and "part 6 exists already: part6_probing" in done.stderr


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} is not there to break"
    path.write_text(text.replace(old, new, 1))


def test_check_names_each_broken_rule(course, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(course, broken)
    test_file = broken / "part6_probing" / "tests" / "test_normalise_rows.py"
    _edit(broken / "exercises" / "parts.py", ", draft=True)", ")")  # size and placeholders, in a finished part
    _edit(broken / "solutions" / "part6_probing.py", "    Hint: x.norm", "    x.norm")  # hints, and stale stubs
    _edit(test_file, "manual_seed(grading_seed(seed))", "manual_seed(7)")  # grading-seeds
    _edit(test_file, '    norms = call_graded', '    assert _rows(1).shape == (6, 4)\n    norms = call_graded')  # no mutant fails it
    _edit(broken / "README.md", "| [part6_probing](part6_probing/README.md)", "| part6_probing")  # registered
    done = _maintain(broken, "check", "part6")
    assert done.returncode == 1, done.stdout
    states = {name: state for state, name in re.findall(r"(?m)^  (ok    |BROKEN) (\S+)$", done.stdout)}
    assert set(states) == set(RULES) - {"recordings-answer"} and "not checked: recordings-answer" in done.stdout, (
        done.stdout)  # graded against stale recordings, the verdicts would say nothing
    expected = {"size", "placeholders", "hints", "stubs-generated", "grading-seeds", "checks-reached", "registered",
                "recordings-current"}
    assert {name for name, state in states.items() if state == "BROKEN"} == expected, done.stdout
    line = test_file.read_text().splitlines().index("    assert _rows(1).shape == (6, 4)") + 1
    assert f"test_normalise_rows.py:{line}: assert _rows(1).shape == (6, 4) fails for no mutant" in done.stdout, done.stdout
