"""What part tests call: graded calls that cannot corrupt the reference, and comparisons whose
failures teach.

Part tests use the ``graded`` and ``reference`` fixtures (conftest.py) and these helpers:

    out = call_graded(graded.linear_forward, x, W, b)        # inputs copied; in-place edits caught
    check_tensor(out, reference.linear_forward(x, W, b), what="linear_forward(x, W, b)")

Every seed a test writes is ``grading_seed(N)``, and every input chosen without a seed is
``grading_pick((...))``, so that a grading run moves them away from the recorded ones.
"""

import copy
import inspect
from typing import Any, Callable, Iterable, Sequence

import pytest
import torch

from exercises.models import copy_model

# The seed every test starts from: 0, except in a grading run, which draws its own so the graded inputs are new.
test_seed = 0
SEED_ENV = "MECH_INTERP_GRADING_SEED"  # how the grader hands its seed to pytest (an argument would show in /proc)


def grading_seed(seed: int) -> int:
    """A seed a test writes down (a generator's, a model's, a trainer's), as this run uses it: `seed`
    itself, except in a grading run, whose own seed moves every one of them, so that no input the
    grader uses is one the learners' edition recorded an answer for (tests/golden.pt)."""
    if test_seed == 0:
        return seed
    moved = (seed * 1_000_003 + test_seed) % 2**31
    return moved if moved != seed else moved + 1


def grading_pick(choices: Sequence[Any]) -> Any:
    """A test's input where no seed is involved (a modulus p, a grid size): the first of `choices`,
    except in a grading run, whose seed picks one of the others, for the same reason as grading_seed."""
    return choices[0] if test_seed == 0 else choices[1 + test_seed % (len(choices) - 1)]


def mutant(of: str, why: str) -> Callable[[Callable], Callable]:
    """Marks a known-wrong version of exercise `of`; the course checks its tests catch it."""

    def mark(fn: Callable) -> Callable:
        fn.mutant_of, fn.mutant_why = of, why
        return fn

    return mark


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


def call_graded(
    fn: Callable, *args: Any, changes: Iterable[str] = (), returns: Sequence[str] | None = None, **kwargs: Any
) -> Any:
    """Calls the graded `fn` on copies of the inputs, and fails if it edits them in place.

    The originals stay untouched for the reference, so a learner's in-place edit cannot make
    the reference compute something else. The arguments named in `changes` are meant to change
    (a trainer's model): they are handed over as they are, so the test inspects what the graded
    code really did to them; give the reference its own object. `returns` names the values of a
    tuple result ("params", "losses"): a result of another type or length is reported as such.
    """
    names = _argument_names(fn, len(args))
    changes = set(changes)
    unknown = changes - set(names) - set(kwargs)
    if unknown:
        raise pytest.UsageError(f"call_graded({_name(fn)}): changes={sorted(unknown)} names no argument passed")
    given_args = [a if name in changes else _copy(a) for name, a in zip(names, args)]
    given_kwargs = {k: v if k in changes else _copy(v) for k, v in kwargs.items()}
    watched = [(name, a) for name, a in zip(names, given_args) if name not in changes]
    watched += [(k, v) for k, v in given_kwargs.items() if k not in changes]
    before = [_snapshot(value) for _, value in watched]
    result = fn(*given_args, **given_kwargs)
    for (name, value), old in zip(watched, before):
        _fail_if_changed(fn, name, old, value)
    if returns is not None:
        _check_returns(fn, result, tuple(returns))
    return result


def _check_returns(fn: Callable, result: Any, names: tuple[str, ...]) -> None:
    expected = f"a tuple of {len(names)} values ({', '.join(names)})"
    if result is None:
        pytest.fail(f"{_name(fn)} returned None; it should return {expected}. Did you forget `return`?", pytrace=False)
    if not isinstance(result, (tuple, list)):
        pytest.fail(f"{_name(fn)} returned a {type(result).__name__}; it should return {expected}, "
                    f"as in `return {', '.join(names)}`.", pytrace=False)
    if len(result) != len(names):
        got = f"a list of {len(result)} values" if isinstance(result, list) else f"{len(result)} value(s)"
        pytest.fail(f"{_name(fn)} returned {got}; it should return {expected}, "
                    f"as in `return {', '.join(names)}`.", pytrace=False)


def _copy(value: Any) -> Any:
    """A private copy for the graded code: tensors keep requires_grad; modules are deep-copied."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, torch.nn.Module):
        return copy_model(value)
    return value


def _copyable(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, torch.nn.Module, list, tuple, dict))


def _argument_names(fn: Callable, count: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"argument {i}" for i in range(count)]


def _fail_if_changed(fn: Callable, name: str, old: Any, new: Any) -> None:
    if not _copyable(new) or _same(old, _snapshot(new)):
        return
    if isinstance(new, torch.nn.Module):
        pytest.fail(f"{_name(fn)} changed the weights of `{name}` in place; it should only read them "
                    f"(no optimizer steps, no `.data` or `.add_()` edits on its parameters).", pytrace=False)
    pytest.fail(
        f"{_name(fn)} changed its input `{name}` in place. Compute a new tensor instead "
        f"(for example `x = x * 2`, not `x *= 2`; no `.add_()`-style methods).",
        pytrace=False,
    )


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))


# --- comparisons whose failure messages teach ---

# Maintainers (`pytest --log-margins=FILE`): per test, its comparisons' worst |actual - expected| as a
# fraction of their tolerance ("check"), and how close a replayed reference call came to being refused
# ("replay", exercises/harness/recordings.py), so tolerances can be set from the spread measured across CPUs.
margins: dict[str, dict[str, float]] | None = None
current_test = ""


def note_margin(fraction: float, kind: str = "check") -> None:
    if margins is not None:
        noted = margins.setdefault(current_test, {})
        noted[kind] = max(noted.get(kind, 0.0), fraction)


SCALE_RTOL = 1e-5  # check_tensor's allowance for rounding, as a fraction of the tensor's largest entry


def check_tensor(
    actual: Any,
    expected: torch.Tensor,
    *,
    what: str,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    hint: str | None = None,
    check_dtype: bool = True,
    against: str = "the reference",
) -> None:
    """Fails with shape, dtype and the first differing entries when `actual` != `expected`.

    Entry i may differ by atol + rtol * |expected[i]| + SCALE_RTOL * max |expected|: the last term
    is float rounding, which scales with the magnitudes a computation goes through, not with each
    result (an entry near 0 of a sum of large terms carries their rounding), and which differs
    between CPUs (see exercises/harness/kernels.py). `against` says what `expected` is ("the reference",
    "the closed form ...", "a hand-computed case"). The hint is shown only for wrong shapes and
    values, the failures it is written for.
    """
    suffix = f"\nHint: {hint}" if hint else ""
    if actual is None:
        pytest.fail(f"{what} returned None; it should return a torch.Tensor. Did you forget `return`?", pytrace=False)
    if not isinstance(actual, torch.Tensor):
        pytest.fail(f"{what} should return a torch.Tensor, got {type(actual).__name__}", pytrace=False)
    if actual.shape != expected.shape:
        pytest.fail(
            f"{what} has the wrong shape: got {tuple(actual.shape)}, expected {tuple(expected.shape)}{suffix}",
            pytrace=False,
        )
    if check_dtype and actual.dtype != expected.dtype:
        pytest.fail(f"{what} has dtype {actual.dtype}, expected {expected.dtype} (as {against})", pytrace=False)
    actual_cmp, expected_cmp = actual.detach().to(torch.float64), expected.detach().to(torch.float64)
    finite = expected_cmp[expected_cmp.isfinite()]
    scale = float(finite.abs().max()) if finite.numel() else 0.0
    allowed = atol + SCALE_RTOL * scale + rtol * expected_cmp.abs()
    same = (actual_cmp == expected_cmp) | (actual_cmp.isnan() & expected_cmp.isnan())  # inf == inf, NaN where NaN
    close = ((actual_cmp - expected_cmp).abs() <= allowed) | same
    if margins is not None and actual_cmp.numel():
        gap = ((actual_cmp - expected_cmp).abs() / allowed).masked_fill(same, 0)
        note_margin(float(gap.nan_to_num(float("inf")).max()))
    if bool(close.all()):
        return
    pytest.fail(_difference_report(actual_cmp, expected_cmp, close, what, against) + suffix, pytrace=False)


def _difference_report(actual: torch.Tensor, expected: torch.Tensor, close: torch.Tensor, what: str, against: str) -> str:
    wrong = (~close).nonzero()
    nan, inf = actual.isnan() & ~close, actual.isinf() & ~close
    if nan.any() or inf.any():
        kind, mask = ("NaN", nan) if nan.any() else ("inf", inf)
        where = ", ".join(str(tuple(i)) for i in mask.nonzero()[:5].tolist())
        head = (f"{what} has {kind} at {int(mask.sum())} of {close.numel()} entries (first at {where}); "
                f"{against} does not. Look for a division by zero, log(0) or exp overflow.")
    else:
        largest = float((actual - expected).abs()[~close].max())
        head = (f"{what} differs from {against} in {len(wrong)} of {close.numel()} entries "
                f"(largest difference {largest:.4g}):")
    lines = [head]
    for index in wrong[:5].tolist():
        where = tuple(index)
        lines.append(f"  at {where}: got {float(actual[where]):.6g}, expected {float(expected[where]):.6g}")
    return "\n".join(lines)


def check_close(
    actual: Any,
    expected: float,
    *,
    what: str,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    hint: str | None = None,
    against: str = "the reference",
) -> None:
    """Like check_tensor for one number (a float or a 0-d tensor)."""
    suffix = f"\nHint: {hint}" if hint else ""
    if actual is None:
        pytest.fail(f"{what} returned None; it should return a number. Did you forget `return`?", pytrace=False)
    try:
        value = float(actual)
    except (TypeError, ValueError, RuntimeError):
        pytest.fail(f"{what} should be a single number, got {type(actual).__name__}", pytrace=False)
    if value != value or value in (float("inf"), float("-inf")):
        pytest.fail(f"{what} is {value}; {against} gives {float(expected):.6g}. Look for a division by zero, "
                    f"log(0) or exp overflow.{suffix}", pytrace=False)
    allowed, gap = atol + rtol * abs(float(expected)), abs(value - float(expected))
    note_margin(gap / allowed if allowed else (float("inf") if gap > 0 else 0.0))
    if not gap <= allowed:
        pytest.fail(f"{what}: got {value:.6g}, expected {float(expected):.6g} ({against}){suffix}", pytrace=False)


def check(condition: bool, message: str) -> None:
    """A property check that needs no reference; the message says what is wrong and what to do."""
    if not condition:
        pytest.fail(message, pytrace=False)
