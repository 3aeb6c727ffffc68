"""The harness itself: clear errors for bad input, and failure reports that teach."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from exercises import data
from exercises.cli import main as cli_main
from exercises.testing import call_graded, check_tensor
from exercises.parts import ROOT


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of data/ for tests that damage it."""
    for path in (ROOT / "data").rglob("*"):
        if path.is_file():
            target = tmp_path / path.relative_to(ROOT / "data")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    data._mnist.cache_clear()
    data._expected_checksums.cache_clear()
    yield tmp_path
    data._mnist.cache_clear()
    data._expected_checksums.cache_clear()


def test_mnist_loads_with_the_right_shapes():
    images, labels = data.load_mnist("test")
    assert images.shape == (10_000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (10_000,) and set(labels.unique().tolist()) == set(range(10))


def test_missing_mnist_file_names_the_file_and_the_fix(data_copy):
    (data_copy / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataFileError, match=r"t10k-labels-idx1-ubyte\.gz is missing.*git checkout -- data/"):
        data.load_mnist("test")


def test_corrupted_mnist_file_is_refused(data_copy):
    path = data_copy / "mnist" / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[5000] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataFileError, match=r"t10k-images-idx3-ubyte\.gz is damaged.*git checkout -- data/"):
        data.load_mnist("test")


def test_wrong_shape_names_the_function_and_both_shapes():
    with pytest.raises(pytest.fail.Exception, match=r"linear_forward\(x\) has the wrong shape: got \(10, 6\), expected \(6, 10\)"):
        check_tensor(torch.zeros(10, 6), torch.zeros(6, 10), what="linear_forward(x)")


def test_differing_values_show_the_first_entries():
    with pytest.raises(pytest.fail.Exception, match=r"(?s)differs from the reference in 1 of 4 entries.*at \(1, 0\): got 9, expected 0"):
        check_tensor(torch.tensor([[0.0, 0.0], [9.0, 0.0]]), torch.zeros(2, 2), what="f(x)")


def test_in_place_edit_of_an_input_is_reported():
    def scale(x):
        x *= 2
        return x

    with pytest.raises(pytest.fail.Exception, match=r"scale changed its input `x` in place"):
        call_graded(scale, torch.ones(3))


def test_cli_rejects_unknown_part(capsys):
    assert cli_main(["check", "part9"]) == 2
    assert "unknown part 'part9'. The parts are: part0 (part0_mnist)" in capsys.readouterr().err


def test_cli_explains_a_part_whose_files_are_missing(capsys, monkeypatch):
    """A learner's copy without part5_sae/exercises.py: the commands say which file and how to restore it."""
    from exercises.parts import Part

    real = Part.exercises_path.fget
    monkeypatch.setattr(Part, "exercises_path", property(
        lambda part: real(part).with_name("deleted.py") if part.number == 5 else real(part)))
    assert cli_main(["replicate", "part5"]) == 2
    err = capsys.readouterr().err
    assert "part5_sae is incomplete in this copy of the course: part5_sae/deleted.py missing" in err, err
    assert "git checkout -- part5_sae/deleted.py" in err and "part4" in err and "part5," not in err, err


def test_reports_stub_in_one_line_and_learner_errors_at_their_line(tmp_path):
    """Runs pytest on a fake learner module: a stub, and a bug in the learner's own code."""
    (tmp_path / "exercises.py").write_text(textwrap.dedent('''
        def todo(x):
            """A stub."""
            raise NotImplementedError

        def buggy(x):
            """The learner's bug: a wrong reshape."""
            return x.reshape(3, 3)

        def endless(x):
            """The learner's bug: a loop that never ends."""
            while x > 0:
                x = x + 1
    '''))
    (tmp_path / "test_fake.py").write_text(textwrap.dedent('''
        import importlib.util, pathlib, pytest, torch
        spec = importlib.util.spec_from_file_location("learner", pathlib.Path(__file__).with_name("exercises.py"))
        learner = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(learner)

        def test_todo():
            learner.todo(torch.ones(4))

        def test_buggy():
            learner.buggy(torch.ones(4))

        @pytest.mark.timeout(1)
        def test_endless():
            learner.endless(1)
    '''))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-p", "conftest", "--rootdir", str(tmp_path), "--target=solutions", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert "\nnot implemented yet: todo\n" in result.stdout, result.stdout
    assert "buggy raised RuntimeError: shape '[3, 3]' is invalid" in result.stdout, result.stdout
    assert "exercises.py:8 in buggy\n    return x.reshape(3, 3)" in result.stdout, result.stdout
    assert "endless did not finish in time (Timeout (>1.0s) from pytest-timeout.)" in result.stdout, result.stdout
    assert "It was here:\n  exercises.py:1" in result.stdout, result.stdout


def test_plot_helpers_reject_wrong_shapes(tmp_path):
    from exercises.plotting import image_grid, save_png_grid

    with pytest.raises(ValueError, match=r"image_grid expects images of shape \[n, height, width\], got shape \(10, 784\)"):
        image_grid(torch.zeros(10, 784).numpy(), [str(i) for i in range(10)])
    with pytest.raises(ValueError, match=r"save_png_grid expects images of shape \[n, height, width\], got shape \(28, 28\)"):
        save_png_grid(tmp_path / "x.png", torch.zeros(28, 28).numpy())


def test_png_grid_is_a_valid_png(tmp_path):
    import struct
    import zlib

    path = save_png_grid_of_two(tmp_path)
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", raw[16:24])
    idat_length = struct.unpack(">I", raw[33:37])[0]
    pixels = zlib.decompress(raw[41 : 41 + idat_length])
    assert (width, height) == (2 * (3 + 1) + 1, 3 + 2)  # scale 1, pad 1: two 3x3 images side by side
    assert len(pixels) == height * (1 + 3 * width)


def save_png_grid_of_two(tmp_path):
    from exercises.plotting import save_png_grid

    images = torch.stack([torch.eye(3), -torch.eye(3)]).numpy()
    return save_png_grid(tmp_path / "two.png", images, cols=2, scale=1, pad=1)


# --- issue 10: arguments meant to change, in-place edits of models, NaN/inf, arity, devices ---


def test_changes_hands_over_the_argument_itself_and_still_guards_the_others():
    model, other = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)

    def train(model, other):
        with torch.no_grad():
            model.weight.add_(1.0)
        return other(torch.ones(2))

    before = model.weight.detach().clone()
    call_graded(train, model, other, changes=("model",))
    assert torch.equal(model.weight, before + 1.0), "the model named in changes= must be the one trained"

    def peek(model, other):
        with torch.no_grad():
            other.bias.zero_()

    with pytest.raises(pytest.fail.Exception, match=r"peek changed the weights of `other` in place"):
        call_graded(peek, model, torch.nn.Linear(2, 2), changes=("model",))
    with pytest.raises(pytest.UsageError, match=r"changes=\['modle'\] names no argument"):
        call_graded(train, model, other, changes=("modle",))


def test_a_wrong_return_arity_gets_its_own_message():
    def only_losses(params):
        return [1.0, 2.0, 3.0]

    with pytest.raises(pytest.fail.Exception, match=r"only_losses returned a list of 3 values; it should return a tuple of 2 "
                                                    r"values \(params, losses\), as in `return params, losses`"):
        call_graded(only_losses, torch.ones(2), returns=("params", "losses"))
    with pytest.raises(pytest.fail.Exception, match=r"returned None.*Did you forget `return`"):
        call_graded(lambda x: None, torch.ones(2), returns=("params", "losses"))


def test_nan_and_inf_are_named_and_hints_stay_with_their_failure():
    with pytest.raises(pytest.fail.Exception, match=r"f\(x\) has NaN at 1 of 3 entries \(first at \(1,\)\)") as nan:
        check_tensor(torch.tensor([0.0, float("nan"), 1.0]), torch.zeros(3), what="f(x)", hint="H")
    assert "inf" not in str(nan.value).split("\n")[0]
    with pytest.raises(pytest.fail.Exception, match=r"f\(x\) has inf at 1 of 3 entries"):
        check_tensor(torch.tensor([0.0, float("inf"), 1.0]), torch.zeros(3), what="f(x)")
    with pytest.raises(pytest.fail.Exception, match=r"differs from the closed form 0 in 1 of 3") as other:
        check_tensor(torch.tensor([0.0, 2.0, 0.0]), torch.zeros(3), what="f(x)", against="the closed form 0")
    for wrong in (torch.zeros(3, dtype=torch.float64), [0.0, 0.0, 0.0]):
        with pytest.raises(pytest.fail.Exception) as failure:
            check_tensor(wrong, torch.zeros(3), what="f(x)", hint="the hint about values")
        assert "Hint" not in str(failure.value), f"a hint about values shown for {type(wrong)}: {failure.value}"


def test_unknown_or_missing_devices_are_one_line_errors(capsys):
    from exercises.device import DeviceError, get_device

    with pytest.raises(DeviceError, match=r"--device tpu: unknown device.*--device cpu"):
        get_device("tpu")
    if not torch.cuda.is_available():
        assert cli_main(["replicate", "part1", "--device", "cuda", "--quick"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --device cuda:") and "--device cpu" in err and "\n" not in err, err


def test_an_exercises_file_that_does_not_import_is_reported_once(tmp_path):
    """A syntax error in part 2's exercises.py: one short message at the learner's line, not one per test."""
    import shutil

    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("exercises", "solutions", "part2_grokking"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "figures"))
    path = tmp_path / "part2_grokking" / "exercises.py"
    lines = path.read_text().splitlines()
    broken = next(i for i, line in enumerate(lines) if line.strip() == "raise NotImplementedError")
    lines[broken] = lines[broken] + "("
    path.write_text("\n".join(lines) + "\n")
    local = {name: value for name, value in os.environ.items() if name not in ("CI", "BUILD_NUMBER")}
    # On CI (the CI variable set) pytest's short summary repeats the whole message, not its first line.
    for where, env in (("a terminal", {**local, "COLUMNS": "80"}), ("CI", {**local, "CI": "true"})):
        result = subprocess.run([sys.executable, "-m", "pytest", "part2_grokking", "-p", "no:warnings"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
        output = result.stdout + result.stderr
        assert f"part2_grokking/exercises.py does not import: SyntaxError at line {broken + 1}" in output, output
        reports = [line for line in output.splitlines()
                   if line.startswith("part2_grokking/exercises.py does not import")]
        assert len(reports) == 1 and "24 skipped, 1 error" in output, output
        assert len(output.splitlines()) < 40, f"{len(output.splitlines())} lines on {where}:\n{output}"


def test_an_endless_loop_costs_one_time_limit_per_file(tmp_path):
    """Part 2's all_pairs never returns: its first test reports it, the file's other tests are skipped."""
    import shutil

    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("exercises", "solutions", "part2_grokking"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "figures", "checkpoints"))
    path = tmp_path / "part2_grokking" / "exercises.py"
    source = path.read_text()
    start = source.index("def all_pairs(")
    stub = source.index("raise NotImplementedError", start)
    path.write_text(source[:stub] + "while True:\n        pass" + source[stub + len("raise NotImplementedError"):])
    result = subprocess.run([sys.executable, "-m", "pytest", "part2_grokking/tests/test_all_pairs.py", "-p", "no:warnings",
                             "-o", "timeout=2", "-rs"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert "part2 all_pairs did not finish in time (Timeout (>2.0s)" in output and "while True:" in output, output
    assert "1 failed, 1 skipped" in output and "did not finish in an earlier test of this file" in output, output
