"""The learner's command line: cached progress view, import problems, filtered checks, watch.

pytest itself is replaced by a fake here, so these run in a fraction of a second.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from exercises import cli
from exercises.parts import ROOT, find_part


class FakePytest:
    """Stands in for cli._run_pytest: every test file passes unless `failing` names its stem."""

    def __init__(self, failing: set[str] = frozenset()) -> None:
        self.failing, self.calls = set(failing), []

    def __call__(self, paths, target, extra=(), quiet=True) -> dict:
        self.calls.append([Path(p) for p in paths])
        files = [f for p in map(Path, paths) for f in (sorted(p.glob("test_*.py")) if p.is_dir() else [p])]
        return {
            f"{f.relative_to(ROOT)}::test_it": {
                "path": str(f),
                "outcome": "failed" if f.stem.removeprefix("test_") in self.failing else "passed",
                "message": "",
            }
            for f in files
        }


@pytest.fixture
def fake_pytest(monkeypatch, tmp_path) -> FakePytest:
    monkeypatch.setattr(cli, "CACHE_DIR", tmp_path / "cache")
    fake = FakePytest()
    monkeypatch.setattr(cli, "_run_pytest", fake)
    return fake


def test_progress_view_imports_no_torch():
    """The cached view must answer at once; importing torch alone takes seconds on a busy machine."""
    code = "import sys, exercises.cli; print(sorted({'torch', 'pytest'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"exercises.cli imports {out.stdout.strip()}: import them lazily"


def test_unchanged_parts_come_from_the_cache(fake_pytest, monkeypatch):
    part = find_part("part0")
    cli.collect_results([part], "exercises")
    cli.collect_results([part], "exercises")
    assert len(fake_pytest.calls) == 1, "the second view ran the tests again although nothing changed"
    monkeypatch.setattr(cli, "results_key", lambda part, target: "a file changed")
    cli.collect_results([part], "exercises")
    assert len(fake_pytest.calls) == 2, "a changed file must invalidate the cached results"


def test_results_key_covers_what_the_results_depend_on():
    part = find_part("part0")
    files = cli.files_results_depend_on(part)
    for needed in (part.exercises_path, part.solutions_path, part.tests_path / "test_linear_forward.py", *cli.HARNESS):
        assert needed in files, f"{needed} is not in the progress cache's key"
    assert cli.results_key(part, "solutions") != cli.results_key(part, "exercises")


def test_syntax_error_is_named_with_its_line(tmp_path):
    broken = tmp_path / "exercises.py"
    broken.write_text("import torch\n\ndef f(x:\n    return x\n")
    assert cli.syntax_problem(broken).startswith("SyntaxError at line 3")
    broken.write_text("def f():\nreturn 1\n")
    assert cli.syntax_problem(broken).startswith("IndentationError at line 2")
    broken.write_text("def f():\n    return 1\n")
    assert cli.syntax_problem(broken) is None


def test_progress_view_says_which_part_does_not_import(fake_pytest, monkeypatch, capsys):
    part2 = find_part("part2")
    monkeypatch.setattr(cli, "syntax_problem", lambda path: "SyntaxError at line 7: invalid syntax"
                        if path == part2.exercises_path else None)
    parts = [find_part(name) for name in ("part0", "part2")]
    cli.show_progress(parts, cli.collect_results(parts, "exercises"), "exercises")
    out = capsys.readouterr().out
    assert "part2: exercises.py does not import: SyntaxError at line 7" in out
    assert all(part2.tests_path not in call for call in fake_pytest.calls), "no test of a part that cannot compile can pass"


def test_filtered_check_remembers_the_other_exercises(fake_pytest, capsys):
    fake_pytest.failing = {"fourier_basis"}
    assert cli.main(["check", "part2", "fourier_basis"]) == 1
    out = capsys.readouterr().out
    assert "next: fourier_basis" in out and "next: all_pairs" not in out
    assert "9/10" in out


def test_watch_moves_on_when_the_exercise_passes(fake_pytest, capsys):
    part = find_part("part0")
    fake_pytest.failing = {"linear_forward", "cross_entropy"}
    saves = []

    def save(path, stamp):  # the learner fixes the current exercise and saves
        saves.append(path)
        fake_pytest.failing.discard(fake_pytest.calls[-1][0].stem.removeprefix("test_"))

    assert cli.watch_part(part, "exercises", cli.collect_results([part], "exercises"), save) == 0
    out = capsys.readouterr().out
    assert saves == [part.exercises_path, part.exercises_path]
    assert out.index("==> part0 linear_forward") < out.index("linear_forward passes") < out.index("==> part0 cross_entropy")
    assert "every exercise passes" in out


def test_watch_stops_cleanly_on_ctrl_c(fake_pytest, monkeypatch, capsys):
    fake_pytest.failing = {"linear_forward"}

    def interrupted(path, stamp, poll=0.3):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "wait_for_save", interrupted)
    assert cli.main(["watch", "part0"]) == 0
    assert "stopped watching" in capsys.readouterr().out


def test_wait_for_save_notices_a_save(tmp_path):
    path = tmp_path / "exercises.py"
    path.write_text("x = 1\n")
    stamp = cli.file_stamp(path)
    path.write_text("x = 22\n")  # saved while the tests ran: seen at once
    cli.wait_for_save(path, stamp, poll=0.01)


def test_replicate_natural_runs_part_3s_natural_text_after_its_replication(monkeypatch, tmp_path, capsys):
    from part3_induction import natural_text, replicate

    calls = []
    monkeypatch.setattr(replicate, "run", lambda **kwargs: calls.append(("replicate", kwargs["quick"], kwargs["target"])))
    monkeypatch.setattr(natural_text, "run", lambda **kwargs: calls.append(("natural", kwargs["quick"], kwargs["target"])))
    assert cli.main(["replicate", "part3", "--natural", "--quick", "--target", "solutions", "--out", str(tmp_path)]) == 0
    assert calls == [("replicate", True, "solutions"), ("natural", True, "solutions")]
    calls.clear()
    assert cli.main(["replicate", "part3", "--quick", "--target", "solutions", "--out", str(tmp_path)]) == 0
    assert calls == [("replicate", True, "solutions")]  # without --natural, the replication alone
    assert cli.main(["replicate", "part0", "--natural"]) == 2
    assert "--natural is part 3's (the induction-head phase change on natural text), not part0's" in capsys.readouterr().err
