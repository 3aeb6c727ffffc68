"""A part's exercises as exercises.ipynb (VS Code's notebook editor, Colab): made from exercises.py, it is
then the learner's file for every tool; its check and Colab cells are never graded; and two files that
both changed stop every tool with one message (exercises/ipynb.py)."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exercises.harness.stubs import solutions_notebook_path
from exercises.ipynb import (IPYNB, METADATA, PY, LearnerFileConflict, code_cells, learner_code, make_notebook,
                             sha256)
from exercises.parts import ROOT, built_parts, find_part

pytest.importorskip("jupytext", reason="the notebook extras are not installed (bash setup.sh installs them)")

PARTS = built_parts()
PART0 = find_part("0")


def _module_ast(text: str) -> str:
    return ast.dump(ast.parse(text))


def _as_code(notebook_json: str, tmp_path: Path) -> str:
    path = tmp_path / IPYNB
    path.write_text(notebook_json)
    return "".join(f"{code}\n" for _, code in code_cells(path, json.loads(notebook_json)))


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_the_notebooks_code_is_the_files_code(part, tmp_path):
    """Made from exercises.py (or the solutions' notebook), its code cells are that file's module, statement
    for statement: the check, set-up and Colab cells are not in it, whether or not the editor kept their
    `active` metadata (Colab may not)."""
    for source in (part.exercises_path, solutions_notebook_path(part)):
        text = source.read_text(encoding="utf-8")
        notebook = make_notebook(text, "https://example.org/course.git")
        assert _module_ast(_as_code(notebook, tmp_path)) == _module_ast(text), source
        stripped = json.loads(notebook)
        for cell in stripped["cells"]:
            cell["metadata"] = {}
        assert _module_ast(_as_code(json.dumps(stripped), tmp_path)) == _module_ast(text), f"{source}, no metadata"


def test_the_notebook_has_a_colab_cell_and_runs_its_checks_as_code(tmp_path):
    notebook = json.loads(make_notebook(PART0.exercises_path.read_text(), "https://example.org/course.git"))
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert 'COURSE = "https://example.org/course.git"' in sources[0] and '"google.colab" in sys.modules' in sources[0]
    assert any(s.endswith('check("linear_forward")') for s in sources), "a check cell is live code in the notebook"
    assert notebook["metadata"][METADATA]["made_from_sha256"] == sha256(PART0.exercises_path.read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "learn-mech-interp"


def test_magics_in_a_learners_cell_are_not_python(tmp_path):
    notebook = json.loads(make_notebook(PART0.exercises_path.read_text()))
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                              "source": "%timeit 1 + 1\n!ls\nx = 1\n"})
    code = _as_code(json.dumps(notebook), tmp_path)
    assert "# %timeit 1 + 1\n# !ls\nx = 1" in code
    compile(code, "exercises.ipynb", "exec")


def _part_folder(tmp_path: Path, text: str | None = None) -> Path:
    folder = tmp_path / PART0.folder
    folder.mkdir()
    stub = PART0.exercises_path.read_text()
    (folder / PY).write_text(stub)
    (folder / IPYNB).write_text(make_notebook(text or stub))
    return folder


def test_which_file_is_the_learners(tmp_path):
    folder = tmp_path / "only-py"
    folder.mkdir()
    (folder / PY).write_text("x = 1\n")
    assert learner_code(folder).path == folder / PY

    folder = _part_folder(tmp_path)
    assert learner_code(folder).path == folder / IPYNB, "made from exercises.py, the notebook is the learner's file"
    (folder / PY).write_text((folder / PY).read_text() + "\ny = 2\n")
    with pytest.raises(LearnerFileConflict, match=f"{PY} is not the file .*{IPYNB} was made from.*delete {IPYNB}"):
        learner_code(folder)
    (folder / PY).unlink()
    assert learner_code(folder).path == folder / IPYNB, "with exercises.py deleted, the notebook is the file"
    (folder / IPYNB).write_text('{"cells": [')
    with pytest.raises(ValueError, match=f"{IPYNB} is not a notebook .*delete it to work in {PY}"):
        learner_code(folder)


def _course_copy(tmp_path: Path) -> Path:
    """conftest, the toolkit, the solutions and part 0: enough for part 0's tests and the progress view."""
    course = tmp_path / "course"
    course.mkdir()
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, course / name)
    for folder in ("exercises", "solutions", PART0.folder):
        shutil.copytree(ROOT / folder, course / folder, ignore=shutil.ignore_patterns("__pycache__", "figures"))
    return course


def _with_cell_changed(notebook_json: str, function: str, old: str, new: str) -> str:
    notebook = json.loads(notebook_json)
    (cell,) = [c for c in notebook["cells"] if c["cell_type"] == "code" and f"def {function}(" in "".join(c["source"])]
    cell["source"] = "".join(cell["source"]).replace(old, new, 1)
    return json.dumps(notebook)


def test_pytest_and_the_progress_view_read_the_notebook(tmp_path):
    """The learner's code lives in the notebook's cells: pytest grades it, a failure names the cell, and the
    progress view counts it; once exercises.py changed too, both say which file to keep."""
    course = _course_copy(tmp_path)
    folder = course / PART0.folder
    solved = json.loads(make_notebook(solutions_notebook_path(PART0).read_text()))
    solved["metadata"][METADATA]["made_from_sha256"] = sha256((folder / PY).read_text())  # the learner's work
    broken = _with_cell_changed(json.dumps(solved), "class_mean_images", "return ", "return sums @ counts + 0 * ")
    (folder / IPYNB).write_text(broken)

    def run(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("CI", "MECH_INTERP_TARGET")}
        done = subprocess.run([sys.executable, *args], cwd=course, capture_output=True, text=True, timeout=300, env=env)
        return done.stdout + done.stderr

    said = run("-m", "pytest", PART0.folder, "-q", "-p", "no:warnings")
    assert "part0 class_mean_images raised RuntimeError" in said and "exercises.ipynb [cell " in said, said
    assert "return sums @ counts + 0 * " in said, "the failure shows the learner's line of the cell"
    failed = [line for line in said.splitlines() if line.startswith("FAILED ")]
    assert failed and all("test_class_mean_images.py" in line for line in failed), said
    assert " passed" in said and "error" not in said.splitlines()[-1], said
    assert "part0  Weights are interpretable: MNIST templates: 8/9" in run("-m", "exercises"), "progress counts the notebook"

    (folder / PY).write_text((folder / PY).read_text() + "\n# typed here too\n")
    said = run("-m", "pytest", PART0.folder, "-q", "-p", "no:warnings")
    assert "exercises.py is not the file part0_mnist/exercises.ipynb was made from" in said, said
    assert "exercises.py is not the file" in run("-m", "exercises")


def test_making_the_notebook_from_the_command_line(tmp_path):
    course = _course_copy(tmp_path)
    command = [sys.executable, "-m", "exercises", "notebook", "part0", "--ipynb", "--course-url", "https://e.org/c.git"]
    done = subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "wrote part0_mnist/exercises.ipynb" in done.stdout, done.stdout + done.stderr
    assert "https://e.org/c.git" in (course / PART0.folder / IPYNB).read_text()
    again = subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "exists already" in again.stderr, "never overwrites the learner's notebook"


def test_the_grader_takes_no_more_code_from_a_notebook_than_from_a_file(tmp_path):
    """A notebook may be large (its outputs); the code graded from it has exercises.py's limit, and a link
    beside it is refused as it is on its own."""
    from exercises.grader.grade import MAX_FILE_BYTES, submitted_code

    folder = _part_folder(tmp_path)
    assert submitted_code(PART0, folder / IPYNB, tmp_path).is_notebook
    notebook = json.loads((folder / IPYNB).read_text())
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                              "source": f"TABLE = '{'a' * MAX_FILE_BYTES[PY]}'\n"})
    (folder / IPYNB).write_text(json.dumps(notebook))
    with pytest.raises(ValueError, match="code of exercises.ipynb is over 2 MB"):
        submitted_code(PART0, folder / IPYNB, tmp_path)
    (folder / IPYNB).write_text(make_notebook(PART0.exercises_path.read_text()))
    (folder / PY).unlink()
    (folder / PY).symlink_to(PART0.solutions_path)
    with pytest.raises(ValueError, match="symbolic link"):
        submitted_code(PART0, folder / IPYNB, tmp_path)
