"""Grading helpers: which implementation is graded, and comparisons whose failures teach.

Part tests use the ``graded`` and ``reference`` fixtures (conftest.py) and these helpers:

    out = call_graded(graded.linear_forward, x, W, b)        # inputs copied; in-place edits caught
    check_tensor(out, reference.linear_forward(x, W, b), what="linear_forward(x, W, b)")
"""

import copy
import importlib
import os
import re
import types
from pathlib import Path
from typing import Any, Callable

import pytest
import torch

from exercises.parts import Part, built_part, part_of_path
from exercises.stubgen import exercise_names, expected_stub

TARGET_ENV = "MECH_INTERP_TARGET"
TARGETS = ("exercises", "solutions")
STUB = "stub"  # the variant id of the generated stubs in --target=mutants runs


def exercise(fn: Callable) -> Callable:
    """Marks a function as an exercise: the learner writes its body. Changes nothing at run time."""
    fn.__exercise__ = True
    return fn


def mutant(of: str, why: str) -> Callable[[Callable], Callable]:
    """Marks a known-wrong version of exercise `of`; the course checks its tests catch it."""

    def mark(fn: Callable) -> Callable:
        fn.mutant_of, fn.mutant_why = of, why
        return fn

    return mark


def default_target() -> str:
    target = os.environ.get(TARGET_ENV, "exercises")
    if target not in TARGETS:
        raise ValueError(f"{TARGET_ENV}={target!r}: use one of {', '.join(TARGETS)}")
    return target


def load_target(part: Part | str, target: str | None = None) -> types.ModuleType:
    """The module graded for `part`: the learner's exercises.py or the reference solutions."""
    part = built_part(part) if isinstance(part, str) else part
    target = target or default_target()
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")
    name = f"{part.folder}.exercises" if target == "exercises" else f"solutions.{part.folder}"
    return importlib.import_module(name)


def load_reference(part: Part) -> types.ModuleType:
    return importlib.import_module(f"solutions.{part.folder}")


def exercise_file_stem(qualname: str) -> str:
    """ToyModel.forward -> toy_model_forward; linear_forward -> linear_forward."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", qualname.replace(".", "_"))
    return re.sub(r"_+", "_", snake).lower()


def exercise_of_test_file(path: Path) -> str:
    """test_toy_model_forward.py -> the exercise whose snake-case name matches (ToyModel.forward)."""
    part = part_of_path(path)
    stem = path.stem.removeprefix("test_")
    for name in exercise_names(part.solutions_path.read_text(encoding="utf-8")):
        if exercise_file_stem(name) == stem:
            return name
    raise pytest.UsageError(f"{path}: no exercise of {part.folder} matches this test file name")


# --- variants graded in --target=mutants runs (maintainers: proves the tests bite) ---


def mutants_of(part: Part) -> dict[str, dict[str, Callable]]:
    """{exercise qualname: {why: mutant function}} from solutions/mutants/<part>.py."""
    module = importlib.import_module(f"solutions.mutants.{part.folder}")
    found: dict[str, dict[str, Callable]] = {}
    for obj in vars(module).values():
        if callable(obj) and hasattr(obj, "mutant_of"):
            found.setdefault(obj.mutant_of, {})[obj.mutant_why] = obj
    return found


def stub_module(part: Part) -> types.ModuleType:
    """The exercises.py a learner starts from, generated fresh from the solutions."""
    module = types.ModuleType(f"{part.folder}.exercises", f"stubs of {part.folder}")
    module.__file__ = str(part.exercises_path)
    code = compile(expected_stub(part), str(part.exercises_path), "exec")
    exec(code, module.__dict__)
    return module


def with_replaced(module: types.ModuleType, qualname: str, fn: Callable) -> types.ModuleType:
    """A copy of `module` whose `qualname` ("f" or "Class.method") is `fn`; the rest untouched."""
    copied = types.ModuleType(module.__name__, module.__doc__)
    copied.__dict__.update(vars(module))
    owner_name, _, attr = qualname.rpartition(".")
    if owner_name:
        owner = getattr(module, owner_name)
        setattr(copied, owner_name, type(owner.__name__, (owner,), {attr: fn}))
    else:
        setattr(copied, attr, fn)
    return copied


def variant_module(part: Part, qualname: str, variant: str) -> types.ModuleType:
    if variant == STUB:
        return stub_module(part)
    return with_replaced(load_reference(part), qualname, mutants_of(part)[qualname][variant])


# --- calling the graded code safely ---


def _snapshot(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, torch.nn.Module):
        return {k: v.detach().clone() for k, v in value.state_dict().items()}
    try:
        return copy.deepcopy(value)
    except Exception:  # un-copyable objects (generators, ...) are passed as they are
        return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:
        return True


def call_graded(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Calls the graded `fn` on copies of the inputs, and fails if it edits them in place.

    The originals stay untouched for the reference, so a learner's in-place edit cannot make
    the reference compute something else.
    """
    copies_args = [_copy(a) for a in args]
    copies_kwargs = {k: _copy(v) for k, v in kwargs.items()}
    before = [_snapshot(a) for a in copies_args], {k: _snapshot(v) for k, v in copies_kwargs.items()}
    result = fn(*copies_args, **copies_kwargs)
    names = _argument_names(fn, len(args))
    for i, (old, new) in enumerate(zip(before[0], copies_args)):
        _fail_if_changed(fn, names[i], old, new)
    for key, old in before[1].items():
        _fail_if_changed(fn, key, old, copies_kwargs[key])
    return result


def _copy(value: Any) -> Any:
    """A private copy for the graded code: tensors keep requires_grad; modules are deep-copied."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value)
    return value


def _copyable(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, torch.nn.Module, list, tuple, dict))


def _argument_names(fn: Callable, count: int) -> list[str]:
    import inspect

    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"argument {i}" for i in range(count)]


def _fail_if_changed(fn: Callable, name: str, old: Any, new: Any) -> None:
    if isinstance(new, torch.nn.Module) or not _copyable(new):
        return  # modules are meant to be trained in place; plain values cannot change
    if not _same(old, _snapshot(new)):
        pytest.fail(
            f"{_name(fn)} changed its input `{name}` in place. Compute a new tensor instead "
            f"(for example `x = x * 2`, not `x *= 2`; no `.add_()`-style methods).",
            pytrace=False,
        )


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))


# --- comparisons whose failure messages teach ---


def check_tensor(
    actual: Any,
    expected: torch.Tensor,
    *,
    what: str,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    hint: str | None = None,
    check_dtype: bool = True,
) -> None:
    """Fails with shape, dtype and the first differing entries when `actual` != `expected`."""
    suffix = f"\nHint: {hint}" if hint else ""
    if not isinstance(actual, torch.Tensor):
        pytest.fail(f"{what} should return a torch.Tensor, got {type(actual).__name__}{suffix}", pytrace=False)
    if actual.shape != expected.shape:
        pytest.fail(
            f"{what} has the wrong shape: got {tuple(actual.shape)}, expected {tuple(expected.shape)}{suffix}",
            pytrace=False,
        )
    if check_dtype and actual.dtype != expected.dtype:
        pytest.fail(f"{what} has dtype {actual.dtype}, expected {expected.dtype}{suffix}", pytrace=False)
    actual_cmp, expected_cmp = actual.detach().to(torch.float64), expected.detach().to(torch.float64)
    close = torch.isclose(actual_cmp, expected_cmp, atol=atol, rtol=rtol, equal_nan=True)
    if bool(close.all()):
        return
    wrong = (~close).nonzero()
    lines = [
        f"{what} differs from the reference in {len(wrong)} of {close.numel()} entries "
        f"(max abs difference {float((actual_cmp - expected_cmp).abs().nan_to_num(float('inf')).max()):.4g}):"
    ]
    for index in wrong[:5].tolist():
        where = tuple(index)
        lines.append(f"  at {where}: got {float(actual_cmp[where]):.6g}, expected {float(expected_cmp[where]):.6g}")
    pytest.fail("\n".join(lines) + suffix, pytrace=False)


def check_close(actual: Any, expected: float, *, what: str, atol: float = 1e-5, rtol: float = 1e-4, hint: str | None = None) -> None:
    """Like check_tensor for one number (a float or a 0-d tensor)."""
    suffix = f"\nHint: {hint}" if hint else ""
    try:
        value = float(actual)
    except (TypeError, ValueError, RuntimeError):
        pytest.fail(f"{what} should be a single number, got {type(actual).__name__}{suffix}", pytrace=False)
    if not abs(value - float(expected)) <= atol + rtol * abs(float(expected)):
        pytest.fail(f"{what}: got {value:.6g}, expected {float(expected):.6g}{suffix}", pytrace=False)


def check(condition: bool, message: str) -> None:
    """A property check that needs no reference; the message says what is wrong and what to do."""
    if not condition:
        pytest.fail(message, pytrace=False)
