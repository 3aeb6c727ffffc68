"""Recorded reference outputs ("golden" files), so the tests work where solutions/ is absent.

The learners' edition of the course (`python -m exercises.editions student-template`) and the
graders ship without the reference. Their tests still compare with it: each part's
`tests/golden.pt` holds what every `reference.<exercise>(...)` call returned in every test,
recorded from the real solutions, and the `reference` fixture replays it.

    python -m exercises.maintain record             # re-record every built part (after changing its solutions or tests)
    python -m exercises.maintain record part1       # one part
    python -m exercises.maintain record --check     # exit 1 if a golden file is missing or out of date
    pytest part1_superposition --reference=golden   # the tests against the recordings, as the edition runs them

How the replay works:
- Given (non-exercise) code runs for real: the golden file carries the part's generated
  exercises.py (stubs plus given code); only exercise functions and methods are replayed.
- A call is matched with a recorded call of the same test and exercise by its inputs (tensors by
  their entries or, when large, by summaries; models by their weights; generators by their
  state). The recorded output comes back, and the recorded side effects are applied: a model
  trained in place, a generator advanced, the global random state.
- Replay that survives rounding. The recording was made on one CPU and is replayed on others
  (a Mac, a Windows laptop, a grader's container), whose kernels round differently: a logit the
  test computed with the given model can differ in its last bits from the recorded one. So
  inputs match when they differ by at most _RTOL of the tensor's largest entry (plus _ATOL):
  rounding, which scales with the magnitudes a computation goes through, stays far below it
  (measured across `python -m exercises.maintain kernels --matrix` settings: under 10% of it), while a
  wrong answer fed on to the reference is far above it. Of the recorded calls within it, those
  not yet answered come first, the nearest first, so repeated calls replay in order. Why not match by
  call order alone: a test that feeds the graded code's output to the reference would then get
  the answer to the right question for a wrong input, and a mutant could pass.
- A reference exercise handed to the graded code as a tool (a forward function given to a
  trainer, a reference model it trains) runs the graded code's own version of that exercise:
  recorded outputs carry no gradients. The full course uses the real reference there.
- A call whose inputs were never recorded fails the test with a message saying so: the reference
  cannot answer questions it was not asked. Tests reach that only when the graded code's output
  already differs from the reference's.
"""

import argparse
import builtins
import contextlib
import dataclasses
import hashlib
import linecache
import math
import platform
import random
import subprocess
import sys
import tempfile
import types
from collections import defaultdict
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest
import torch

from exercises import testing
from exercises.harness import kernels, targets
from exercises.harness.effects import changeables, resolve, same_state, state_of
from exercises.harness.stubs import exercise_names, expected_stub
from exercises.parts import PARTS, ROOT, Part, built_part

GOLDEN_FILE = "golden.pt"
FORMAT = 4  # 4: the file says which machine and kernel setting recorded it ("recorded_on")
MODES = ("auto", "solutions", "golden")
_FULL_TENSOR = 4096  # tensors up to this size are matched entry by entry, larger ones by summaries
_RTOL, _ATOL = 1e-4, 1e-5  # a replayed call's inputs may differ by _RTOL of their scale, plus _ATOL (see input_gap)


class GoldenError(Exception):
    pass


def golden_path(part: Part, directory: Path | None = None) -> Path:
    """The part's golden file; in `directory` (a maintainers' recording elsewhere), one file per part."""
    return directory / f"{part.folder}.pt" if directory else part.tests_path / GOLDEN_FILE


def sources_digest(part: Part) -> str:
    """What a golden file depends on: the part's solutions, its own modules and its test files."""
    own = [p for p in sorted(part.path.glob("*.py")) if p.name not in ("exercises.py", "replicate.py")]
    digest = hashlib.sha256()
    for path in [part.solutions_path, *own, *sorted(part.tests_path.rglob("*.py"))]:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# --- descriptions of a call's inputs ---


def _summary(flat: torch.Tensor) -> torch.Tensor:
    weights = torch.sin(torch.arange(flat.numel(), dtype=torch.float64) * 0.7 + 0.3)
    return torch.stack([flat.sum(), flat.abs().sum(), (flat * flat).sum(), (flat * weights).sum()])


def describe_inputs(value: Any, summarise: bool = False) -> Any:
    """A comparable, storable description of an input (see `input_gap`); a model's weights by summaries."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        if t.is_complex():
            t = torch.view_as_real(t)
        described = ("tensor", str(value.dtype), tuple(value.shape))
        if not t.is_floating_point():
            return (*described, "exact", hashlib.sha1(t.contiguous().numpy().tobytes()).hexdigest())
        flat = t.to(torch.float64).flatten()
        if flat.numel() <= _FULL_TENSOR and not summarise:
            return (*described, "entries", flat.clone())
        return (*described, "summary", _summary(flat))
    if isinstance(value, np.ndarray):
        return describe_inputs(torch.from_numpy(np.ascontiguousarray(value)))
    if isinstance(value, torch.nn.Module):
        state = {k: describe_inputs(v, summarise=True) for k, v in value.state_dict().items()}
        return ("module", type(value).__qualname__, state)
    if isinstance(value, torch.Generator):
        return ("generator", hashlib.sha1(value.get_state().numpy().tobytes()).hexdigest())
    if isinstance(value, (list, tuple)):
        return ("sequence", type(value).__name__, [describe_inputs(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(repr(k), describe_inputs(v)) for k, v in value.items()])
    if isinstance(value, (bool, int, float, str, type(None))):
        return ("value", float(value) if isinstance(value, float) else value)
    if isinstance(value, (np.generic,)):
        return ("value", value.item())
    if isinstance(value, (torch.dtype, torch.device, slice, range)):
        return ("value", repr(value))
    if callable(value):
        return ("callable", getattr(value, "__qualname__", type(value).__qualname__))
    return ("object", type(value).__qualname__)


def input_gap(a: Any, b: Any) -> float:
    """How far apart two descriptions of inputs are, as a fraction of what float rounding may explain.

    At most 1: the same inputs, computed on another CPU perhaps (see "Replay that survives
    rounding" above); inf: different inputs (another shape, dtype, integer, string or structure).
    A tensor's tolerance is relative to its largest entry, not to each entry: rounding errors
    scale with the magnitudes a computation goes through, so an entry near zero of a tensor of
    logits of size 10 carries the same absolute error as the large ones.
    """
    if isinstance(a, float) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
        return abs(a - b) / (_RTOL * max(abs(a), abs(b)) + 1e-12)
    if isinstance(a, tuple) and isinstance(b, tuple):
        if a[:1] == ("tensor",) and b[:1] == ("tensor",):
            return _tensor_gap(a[3], a[4], b[4]) if a[:4] == b[:4] else math.inf
        return _gap_of_items(a, b)
    if isinstance(a, list) and isinstance(b, list):
        return _gap_of_items(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return max((input_gap(a[k], b[k]) for k in a), default=0.0) if a.keys() == b.keys() else math.inf
    return 0.0 if type(a) is type(b) and a == b else math.inf


def _gap_of_items(a: tuple | list, b: tuple | list) -> float:
    return max((input_gap(x, y) for x, y in zip(a, b)), default=0.0) if len(a) == len(b) else math.inf


def _tensor_gap(kind: str, a: Any, b: Any) -> float:
    if kind == "exact":
        return 0.0 if a == b else math.inf
    if kind == "entries":
        finite = a.isfinite() & b.isfinite()
        if not torch.equal(a[~finite].nan_to_num(nan=7.0), b[~finite].nan_to_num(nan=7.0)):
            return math.inf  # a NaN or inf where the other has none, or another one
        a, b = a[finite], b[finite]
        if a.numel() == 0:
            return 0.0
        scale = max(float(a.abs().max()), float(b.abs().max()))
        return float((a - b).abs().max()) / (_RTOL * scale + _ATOL)
    if not torch.equal(a.isnan(), b.isnan()):
        return math.inf
    # summaries (sum, sum of |x|, sum of x^2, weighted sum): each relative to the sum of |x| or of x^2
    scale = torch.stack([a[1], a[1], a[2], a[1]]).abs().maximum(torch.stack([b[1], b[1], b[2], b[1]]).abs())
    allowed = _RTOL * scale + _ATOL * max(float(a[1]), float(b[1]), 1.0)
    return float(((a - b).abs() / allowed).nan_to_num(nan=0.0).max())


# --- what a call changed in place (exercises/harness/effects.py walks its arguments), put back on replay ---


def _restore(obj: Any, state: Any) -> None:
    if isinstance(obj, torch.Tensor):
        with torch.no_grad():
            obj.copy_(state)
    elif isinstance(obj, torch.nn.Module):
        obj.load_state_dict(state)
    else:
        obj.set_state(state)


def _rng_state() -> dict:
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "random": random.getstate(),
        "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]),
    }


def _set_rng_state(state: dict) -> None:
    if "torch" in state:
        torch.set_rng_state(state["torch"])
    if "random" in state:
        version, internal, gauss = state["random"]
        random.setstate((version, tuple(internal), gauss))
    if "numpy" in state:
        name, keys, *rest = state["numpy"]
        np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))


def _rng_changes(before: dict, after: dict) -> dict:
    changed = {}
    if not torch.equal(before["torch"], after["torch"]):
        changed["torch"] = after["torch"]
    if before["random"] != after["random"]:
        changed["random"] = after["random"]
    if not (before["numpy"][0] == after["numpy"][0] and torch.equal(before["numpy"][1], after["numpy"][1])
            and before["numpy"][2:] == after["numpy"][2:]):
        changed["numpy"] = after["numpy"]
    return changed


# --- outputs ---


def _encode(value: Any, inputs: dict[int, tuple], where: str) -> Any:
    if id(value) in inputs:
        return ("input", inputs[id(value)])
    if isinstance(value, torch.Tensor):
        return ("tensor", value.detach().cpu().clone(), value.requires_grad)
    if isinstance(value, torch.Size):
        return ("size", tuple(value))
    if isinstance(value, np.ndarray):
        return ("numpy", torch.from_numpy(value.copy()))
    if isinstance(value, np.generic):
        return ("value", value.item())
    if isinstance(value, (bool, int, float, str, type(None))):
        return ("value", value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [(f.name, _encode(getattr(value, f.name), inputs, where)) for f in dataclasses.fields(value)]
        return ("dataclass", type(value).__qualname__, fields)
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return ("namedtuple", type(value).__qualname__, [_encode(v, inputs, where) for v in value])
    if type(value) in (list, tuple):
        return (type(value).__name__, [_encode(v, inputs, where) for v in value])
    if type(value) is dict:
        return ("dict", [(k, _encode(v, inputs, where)) for k, v in value.items()])
    raise GoldenError(
        f"{where} returned a {type(value).__qualname__}, which a golden file cannot hold: return tensors, "
        f"numbers, strings, lists, tuples, dicts or dataclasses of them (or an object the caller passed in)"
    )


def _decode(encoded: Any, call_inputs: dict, module: types.ModuleType) -> Any:
    """The recorded output, rebuilt; dataclasses and named tuples from the replay module's given code."""
    kind, *rest = encoded
    if kind in ("dataclass", "namedtuple"):
        qualname, items = rest
        cls = module
        for name in qualname.split("."):
            cls = getattr(cls, name)
        if kind == "namedtuple":
            return cls(*(_decode(v, call_inputs, module) for v in items))
        obj = cls.__new__(cls)
        for name, value in items:
            object.__setattr__(obj, name, _decode(value, call_inputs, module))
        return obj
    if kind == "input":
        return resolve(call_inputs, rest[0])
    if kind == "tensor":
        tensor, requires_grad = rest
        return tensor.clone().requires_grad_(requires_grad)
    if kind == "size":
        return torch.Size(rest[0])
    if kind == "numpy":
        return rest[0].numpy().copy()
    if kind == "value":
        return rest[0]
    if kind in ("list", "tuple"):
        items = [_decode(v, call_inputs, module) for v in rest[0]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {k: _decode(v, call_inputs, module) for k, v in rest[0]}
    raise GoldenError(f"unknown entry {kind!r} in a golden file: regenerate it with python -m exercises.maintain record")


# --- the session: which reference the tests get ---


class _Session:
    def __init__(self) -> None:
        self.mode = "solutions"  # solutions | golden | record
        self.record_to: Path | None = None
        self.golden_dir: Path | None = None  # replay recordings from here instead of each part's tests/
        self.records: dict[str, list] = defaultdict(list)  # nodeid -> calls (record mode)
        self.nodeid = ""
        self.used: set[int] = set()
        self.depth = 0
        self.graded: Callable[[], types.ModuleType] | None = None
        self.modules: dict[str, types.ModuleType] = {}
        self.goldens: dict[str, dict] = {}


_session = _Session()


def add_options(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reference", choices=MODES, default="auto",
        help="what the tests compare with: the solutions, or their recorded outputs (golden.pt); "
             "auto: the solutions where solutions/ exists",
    )
    parser.addoption("--record-golden", default=None, help=argparse.SUPPRESS)  # python -m exercises.maintain record
    parser.addoption("--golden-dir", default=None, help=argparse.SUPPRESS)  # python -m exercises.maintain kernels --matrix


def configure(config: pytest.Config) -> None:
    record = config.getoption("--record-golden")
    choice = config.getoption("--reference")
    _session.record_to = Path(record) if record else None
    _session.golden_dir = Path(config.getoption("--golden-dir")) if config.getoption("--golden-dir") else None
    config.pluginmanager.register(_TestTracker(), "golden-test-tracker")
    if record:
        _session.mode = "record"
    elif choice == "golden" or (choice == "auto" and not (ROOT / "solutions").is_dir()):
        _session.mode = "golden"
    else:
        _session.mode = "solutions"
    if _session.mode != "solutions" and testing.test_seed != 0:
        raise pytest.UsageError("--grading-seed needs solutions/: the golden files record the answers to the "
                                "inputs of seed 0 only")


class _TestTracker:
    """Recorded calls belong to the test running them, whether or not it asked for `reference` itself
    (a test helper may call the reference to build its inputs)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        _session.nodeid, _session.used, _session.graded = recording_id(item), set(), None


def recording_id(item: pytest.Item) -> str:
    """The test's id without the variant a --target=mutants run adds ("[gpt2-variant=stub]" -> "[gpt2]"):
    every variant of a test replays the calls the solutions made in it."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or "graded" not in callspec.params:
        return item.nodeid
    variant = f"variant={callspec.params['graded']}"
    ids = callspec.id.replace(f"-{variant}", "", 1) if f"-{variant}" in callspec.id else callspec.id.replace(variant, "", 1)
    ids = ids.removeprefix("-")
    base = item.nodeid[: -len(f"[{callspec.id}]")]
    return f"{base}[{ids}]" if ids else base


def unconfigure() -> None:
    if _session.mode == "record" and _session.record_to is not None:
        torch.save(dict(_session.records), _session.record_to)


def reference(request: pytest.FixtureRequest, part: Part) -> types.ModuleType:
    """The `reference` fixture's value: the solutions, a recording copy of them, or the replay."""
    _session.graded = lambda: request.getfixturevalue("graded")
    return reference_module(part)


def reference_module(part: Part | str) -> types.ModuleType:
    """The reference of `part` for code with no test at hand (a test helper building models)."""
    part = built_part(part) if isinstance(part, str) else part
    if _session.mode == "solutions":
        return targets.load_reference(part)
    if part.folder not in _session.modules:
        build = _recording_module if _session.mode == "record" else _replay_module
        _session.modules[part.folder] = build(part)
    return _session.modules[part.folder]


def _fresh_module(part: Part, source: str, label: str) -> types.ModuleType:
    filename = f"<{label} of {part.folder}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(f"{part.folder}.{label.replace(' ', '_')}")
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def _replace_exercises(module: types.ModuleType, names: list[str], wrap: Callable[[str, Callable], Callable]) -> None:
    for name in names:
        owner_name, _, attr = name.rpartition(".")
        owner = getattr(module, owner_name) if owner_name else module
        setattr(owner, attr, wrap(name, vars(owner)[attr] if owner_name else getattr(owner, attr)))


# --- recording ---


def _recording_module(part: Part) -> types.ModuleType:
    source = part.solutions_path.read_text(encoding="utf-8")
    module = _fresh_module(part, source, "reference recording")
    _replace_exercises(module, exercise_names(source), lambda name, fn: _recorder(part, name, fn))
    return module


def _called_from_graded() -> bool:
    graded = _session.graded() if _session.graded else None
    files = {getattr(graded, "__file__", None), *getattr(graded, "__learner_files__", ())} - {None}  # a notebook's cells
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename in files:
            return True
        frame = frame.f_back
    return False


def _recorder(part: Part, name: str, fn: Callable) -> Callable:
    @wraps(fn)
    def record(*args: Any, **kwargs: Any) -> Any:
        if _session.depth > 0 or _called_from_graded():
            return _run_nested(fn, args, kwargs)
        call_inputs = {"args": list(args), "kwargs": kwargs}
        entry = {"exercise": name, "inputs": describe_inputs(call_inputs)}
        watched = list(changeables(call_inputs))
        before = [state_of(obj) for _, obj in watched]
        rng_before = _rng_state()
        try:
            output = _run_nested(fn, args, kwargs)
        except Exception as error:
            entry["error"] = (type(error).__name__, str(error))
            raise
        else:
            entry["output"] = _encode(output, {id(obj): path for path, obj in watched}, f"{part.short} {name}")
            return output
        finally:
            entry["effects"] = [
                (path, state_of(obj)) for (path, obj), old in zip(watched, before)
                if not same_state(old, state_of(obj))
            ]
            entry["rng"] = _rng_changes(rng_before, _rng_state())
            _session.records[_session.nodeid].append(entry)

    return record


@contextlib.contextmanager
def as_graded_codes_call() -> Iterator[None]:
    """Reference calls made inside count as the graded code's own (a tool it was handed calls them):
    the grader serves its worker's calls of tools this way (exercises/grader/trusted.py)."""
    _session.depth += 1
    try:
        yield
    finally:
        _session.depth -= 1


def _run_nested(fn: Callable, args: tuple, kwargs: dict) -> Any:
    _session.depth += 1
    try:
        return fn(*args, **kwargs)
    finally:
        _session.depth -= 1


# --- replaying ---


def load_golden(part: Part) -> dict:
    if part.folder not in _session.goldens:
        path = golden_path(part, _session.golden_dir)
        if not path.exists():
            raise GoldenError(f"{path} is missing: run python -m exercises.maintain record {part.short}")
        _session.goldens[part.folder] = torch.load(path, weights_only=True)
    return _session.goldens[part.folder]


def _replay_module(part: Part) -> types.ModuleType:
    golden = load_golden(part)
    module = _fresh_module(part, golden["stub"], "reference replay")
    _replace_exercises(module, golden["exercises"], lambda name, fn: _replayer(part, name, fn))
    return module


def _replayer(part: Part, name: str, stub: Callable) -> Callable:
    owner_name, _, attr = name.rpartition(".")

    @wraps(stub)
    def replay(*args: Any, **kwargs: Any) -> Any:
        if _session.depth > 0 or _called_from_graded():  # a tool handed to the graded code: its own version
            graded = _session.graded()
            own = getattr(getattr(graded, owner_name), attr) if owner_name else getattr(graded, attr)
            return _run_nested(own, args, kwargs)
        return _replay_call(part, name, args, kwargs)

    return replay


def _replay_call(part: Part, name: str, args: tuple, kwargs: dict) -> Any:
    calls = load_golden(part)["calls"].get(_session.nodeid)
    if calls is None:
        pytest.fail(
            f"no recorded reference outputs for {_session.nodeid}: the golden file is older than this test "
            f"(maintainers: python -m exercises.maintain record {part.short})", pytrace=False,
        )
    call_inputs = {"args": list(args), "kwargs": kwargs}
    wanted = describe_inputs(call_inputs)
    gaps = {i: input_gap(c["inputs"], wanted) for i, c in enumerate(calls) if c["exercise"] == name}
    candidates = sorted((i for i, gap in gaps.items() if gap <= 1.0), key=lambda i: (i in _session.used, gaps[i], i))
    if not candidates:
        nearest = min(gaps.values(), default=math.inf)
        how_far = (f" (the nearest recorded call's inputs differ by {nearest:.3g} times what rounding explains)"
                   if math.isfinite(nearest) else "")
        pytest.fail(
            f"the reference {part.short} {name} was called on inputs it was never run on when its answers were "
            f"recorded{how_far}, so its answer is unknown here. That happens when your code's output (passed on "
            f"to the reference by this test) differs from the reference's: fix the other failures first.", pytrace=False,
        )
    index = candidates[0]
    _session.used.add(index)
    if testing.margins is not None:  # maintainers' --log-margins: how close the replay came to refusing
        testing.note_margin(gaps[index], kind="replay")
    call = calls[index]
    for path, state in call["effects"]:
        _restore(resolve(call_inputs, path), state)
    _set_rng_state(call["rng"])
    if "error" in call:
        kind, message = call["error"]
        error = getattr(builtins, kind, None)
        raise (error if isinstance(error, type) and issubclass(error, Exception) else RuntimeError)(message)
    return _decode(call["output"], call_inputs, _session.modules[part.folder])


# --- writing and checking golden files ---


def recorded_on() -> dict[str, str]:
    """The machine a recording comes from: its replay elsewhere is what the course checks."""
    return {"machine": platform.machine(), "processor": _cpu_name(), "kernels": kernels.current(),
            "torch": str(torch.__version__), "system": platform.system()}


def _cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def record(part: Part, directory: Path | None = None) -> Path:
    """Runs the part's tests on the solutions, recording every reference call; writes tests/golden.pt
    (or DIRECTORY/<part>.pt)."""
    with tempfile.TemporaryDirectory() as tmp:
        calls_file = Path(tmp) / "calls.pt"
        command = [sys.executable, "-m", "pytest", str(part.tests_path), "--target=solutions",
                   f"--record-golden={calls_file}", "-q", "--no-header", "-p", "no:cacheprovider"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0 or not calls_file.exists():
            raise GoldenError(f"recording {part.folder} failed (its tests must pass on the solutions):\n"
                              f"{done.stdout[-3000:]}{done.stderr[-2000:]}")
        calls = torch.load(calls_file, weights_only=True)
    golden = {
        "format": FORMAT,
        "part": part.folder,
        "sources": sources_digest(part),
        "stub": expected_stub(part),
        "exercises": exercise_names(part.solutions_path.read_text(encoding="utf-8")),
        "calls": calls,
        "recorded_on": recorded_on(),
    }
    golden_path(part, directory).parent.mkdir(parents=True, exist_ok=True)
    torch.save(golden, golden_path(part, directory))
    return golden_path(part, directory)


def staleness(part: Part) -> str | None:
    """Why the part's golden file is out of date, or None."""
    path = golden_path(part)
    if not path.exists():
        return f"{path.relative_to(ROOT)} is missing"
    golden = torch.load(path, weights_only=True)
    if golden.get("format") != FORMAT:
        return f"{path.relative_to(ROOT)} has an old format"
    if golden["sources"] != sources_digest(part):
        return f"{path.relative_to(ROOT)} predates the current solutions or tests of {part.folder}"
    if golden["stub"] != expected_stub(part):
        return f"{path.relative_to(ROOT)} carries an old exercises.py"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.maintain record", description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", help="parts to record (default: every built part)")
    parser.add_argument("--check", action="store_true", help="only report golden files that are out of date")
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)  # maintainers: record elsewhere (kernels --matrix)
    args = parser.parse_args(argv)
    parts = [built_part(p) for p in args.parts] or [p for p in PARTS if p.is_built]
    if args.check:
        stale = [why for why in map(staleness, parts) if why]
        for why in stale:
            print(f"{why}: run python -m exercises.maintain record")
        return 1 if stale else 0
    for part in parts:
        path = record(part, args.out_dir)
        print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
