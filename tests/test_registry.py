"""The registry's generators refuse a part it does not list (the rules themselves: tests/test_part_rules.py)."""

from exercises import parts
from exercises.harness import stubs
from exercises.parts import unregistered_parts


def test_generators_refuse_an_unregistered_part(tmp_path, monkeypatch, capsys):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "part9_new.py").write_text("")
    (tmp_path / "part8_other").mkdir()
    (tmp_path / "part8_notes.md").write_text("")  # not a lesson folder
    assert unregistered_parts(tmp_path) == ["part8_other", "part9_new"]
    monkeypatch.setattr(parts, "ROOT", tmp_path)
    assert stubs.main(["--check"]) == 2
    assert "part8_other, part9_new not in PARTS" in capsys.readouterr().err
