"""One registry of parts: exercises/parts.py PARTS. Everything else that lists the parts
(pytest's testpaths, the README's table) is checked against it, and the generators refuse a part
that is not registered."""

import tomllib

import pytest

from exercises import parts
from exercises.harness import stubs
from exercises.harness.stubs import exercise_names
from exercises.parts import PARTS, ROOT, unregistered_parts


def test_every_part_on_disk_is_registered():
    assert unregistered_parts() == [], (
        f"{unregistered_parts()} exist on disk but not in PARTS: add a Part(...) to exercises/parts.py")


def test_pytest_collects_every_registered_part():
    testpaths = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    missing = [p.folder for p in PARTS if p.folder not in testpaths]
    unknown = [t for t in testpaths if t != "tests" and t not in {p.folder for p in PARTS}]
    assert not missing and "tests" in testpaths, f"pyproject.toml testpaths lacks {missing + ['tests'] * ('tests' not in testpaths)}: CI never grades them"
    assert not unknown, f"pyproject.toml testpaths names {unknown}, which PARTS does not know"


def test_readme_table_lists_every_registered_part():
    readme = (ROOT / "README.md").read_text()
    missing = [p.folder for p in PARTS if f"[{p.folder}]({p.folder}/README.md)" not in readme]
    assert not missing, f"README.md's table of parts lacks a row for {missing}"


@pytest.mark.parametrize("part", [p for p in PARTS if p.solutions_path.exists()], ids=lambda p: p.short)
def test_seven_to_ten_exercises(part):
    count = len(exercise_names(part.solutions_path.read_text()))
    assert 7 <= count <= 10, f"{part.folder} has {count} exercises; a part has 7-10 (README, 'Adding a part')"


def test_generators_refuse_an_unregistered_part(tmp_path, monkeypatch, capsys):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "part9_new.py").write_text("")
    (tmp_path / "part8_other").mkdir()
    (tmp_path / "part8_notes.md").write_text("")  # not a lesson folder
    assert unregistered_parts(tmp_path) == ["part8_other", "part9_new"]
    monkeypatch.setattr(parts, "ROOT", tmp_path)
    assert stubs.main(["--check"]) == 2
    assert "part8_other, part9_new not in PARTS" in capsys.readouterr().err
