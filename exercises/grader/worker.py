"""The worker process: python -m exercises.grader.worker COURSE_DIR PART_FOLDER FD.

It imports the learner's exercises.py from its (sandboxed) copy of the part, reports whether that
worked, then serves the trusted process's requests on the socket FD: a call of an exercise, of a
hook the learner's code handed over, or a backward through an earlier result. It answers in plain
data only (exercises/grader/wire.py); a tool of the tests (TrustedCallable) runs back in the
trusted process.
"""

import builtins
import importlib
import importlib.util
import io
import pickle
import socket
import sys
import traceback
import types
from pathlib import Path
from typing import Any, Callable

import torch

from exercises.grader import wire
from exercises.harness import effects


class _WorkerState:
    sock: socket.socket
    module: types.ModuleType
    handles: dict[int, Callable]  # the learner's functions the trusted side holds (hooks), during one call
    active: list[tuple]  # (changeables, their states before) of the calls under way, innermost last
    graphs: dict[int, tuple]  # (leaves, outputs) of the last calls' results, for a later backward
    graph_count: int = 0

_worker = _WorkerState()

def given_attribute(qualname: str) -> Any:
    """In the worker: a class or function of the part's given code, from the learner's file."""
    obj: Any = _worker.module
    for name in qualname.split("."):
        if not hasattr(obj, name):
            raise AttributeError(f"your exercises.py has no {qualname} (given code the tests use): restore it "
                                 f"from the course")
        obj = getattr(obj, name)
    return obj

class _ArgumentUnpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        return TrustedCallable(pid[1])

class TrustedCallable:
    """In the worker: a tool of the tests or of the reference; calling it runs it in the trusted process,
    which first sees the current call's inputs as they are now."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tool_inputs = {"args": list(args), "kwargs": kwargs}
        active = _worker.active[-1] if _worker.active else None
        changes = wire.changes_since(*active) if active else []
        wire.send(_worker.sock, wire.dumps_plain(("tool", self.number, wire.tag(tuple(args), {}, _worker.handles),
                                          wire.tag(dict(kwargs), {}, _worker.handles), changes, wire.rng_state())))
        while True:
            (kind, *head), body, _ = _read_request()
            if kind == "tool-answer":
                result, tool_changes = body
                wire.apply_changes(tool_inputs, tool_changes)
                if head[0] is None:
                    return result
                return wire.attach_gradients(result, _WorkerLink(), head[0], wire.grad_leaves(tool_inputs), exclude=[])
            if kind == "tool-raised":
                raise getattr(builtins, head[0], RuntimeError)(head[1])
            _serve_request((kind, *head), body)

class _WorkerLink:
    """The worker's way to ask for the gradients of a tool's inputs."""

    @staticmethod
    def gradients(graph: int, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        wire.send(_worker.sock, wire.dumps_plain(("backward", graph, [g.detach().contiguous() for g in grads])))
        while True:
            (kind, *head), body, _ = _read_request()
            if kind == "gradients":
                return body
            _serve_request((kind, *head), body)

def _read_request() -> tuple:
    message = _ArgumentUnpickler(io.BytesIO(wire.recv(_worker.sock))).load()
    if message[2] is not None:
        wire.set_rng_state(message[2])
    return message

def _serve_request(head: tuple, body: Any) -> None:
    """Runs one request of the trusted side (an exercise, a hook of the learner's, a backward), and answers."""
    if head[0] == "backward":
        wire.send(_worker.sock, wire.dumps_plain(("gradients", _backward(head[1], body))))
        return
    call_inputs = body
    changeables = wire.changeable_paths(call_inputs)
    before = [effects.state_of(obj) for _, obj in changeables]
    _worker.active.append((changeables, before))
    try:
        fn = _exercise(head[1]) if head[0] == "call" else _worker.handles[head[1]]
        result = fn(*call_inputs["args"], **call_inputs["kwargs"])
        inputs = {id(obj): path for path, obj in changeables}
        reply: tuple = ("answer", wire.tag(result, inputs, _worker.handles), _keep_graph(result, call_inputs, inputs))
    except BaseException as error:  # noqa: BLE001 - everything the learner's code raises is reported
        reply = _raised(error)
    finally:
        _worker.active.pop()
    wire.send(_worker.sock, wire.dumps_plain((*reply, wire.changes_since(changeables, before), wire.rng_state())))

def _keep_graph(result: Any, call_inputs: dict, inputs: dict) -> int | None:
    """Keeps the autograd graph from the call's inputs to its result, for a backward the trusted side may ask."""
    outputs = [t for t in wire.flat_tensors(result) if t.requires_grad and id(t) not in inputs]
    leaves = wire.grad_leaves(call_inputs)
    if not outputs or not leaves:
        return None
    _worker.graph_count += 1
    _worker.graphs[_worker.graph_count] = (leaves, outputs)
    for old in [g for g in _worker.graphs if g <= _worker.graph_count - 32]:
        del _worker.graphs[old]
    return _worker.graph_count

def _backward(graph: Any, grads: list) -> list[torch.Tensor]:
    leaves, outputs = _worker.graphs[graph]
    found = torch.autograd.grad(outputs, leaves, grads, retain_graph=True, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g.detach() for g, x in zip(found, leaves)]

def _raised(error: BaseException) -> tuple:
    kind_name = type(error).__name__
    if not isinstance(error, Exception) and kind_name not in ("SystemExit", "KeyboardInterrupt", "GeneratorExit"):
        kind_name += "!base"
    frames = [f"exercises.py:{f.lineno} in {f.name}\n    {(f.line or '').strip()}"
              for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).name == "exercises.py"]
    return ("raised", kind_name, str(error)[:4000], frames)

def _exercise(qualname: str) -> Callable:
    owner_name, _, attr = qualname.rpartition(".")
    owner = given_attribute(owner_name) if owner_name else _worker.module
    if not hasattr(owner, attr):
        raise AttributeError(f"your exercises.py has no {qualname}: restore its definition from the course")
    return getattr(owner, attr)

def _import_learner_module(course: Path, folder: str) -> types.ModuleType:
    sys.path.insert(0, str(course))
    package = importlib.import_module(folder)
    name = f"{folder}.exercises"
    spec = importlib.util.spec_from_file_location(name, course / folder / "exercises.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    package.exercises = module
    return module

def _why_not_imported(folder: str, error: BaseException) -> str:
    where = f"{folder}/exercises.py"
    if isinstance(error, SystemExit):
        return f"{where} scored 0: it called sys.exit({error.code!r}) while being imported"
    if isinstance(error, SyntaxError):
        return f"{where} scored 0: it does not compile: {error.msg} (line {error.lineno})"
    if isinstance(error, ImportError) and error.name and error.name.split(".")[0] == "solutions":
        return (f"{where} scored 0: it imports {error.name!r}, the reference solutions, which the grader's "
                f"worker does not have")
    if isinstance(error, ImportError):
        return f"{where} scored 0: an import failed while it was being imported: {error}"
    return f"{where} scored 0: it raised {type(error).__name__} while being imported: {error}"

def worker_main(argv: list[str]) -> None:
    course, folder, fd = Path(argv[0]), argv[1], int(argv[2])
    torch.set_num_threads(1)
    _worker.sock = socket.socket(fileno=fd)
    _worker.handles, _worker.active, _worker.graphs = {}, [], {}
    try:
        _worker.module = _import_learner_module(course, folder)
    except BaseException as error:  # noqa: BLE001 - reported to the grader, which scores the part 0
        wire.send(_worker.sock, wire.dumps_plain(("import-failed", _why_not_imported(folder, error)[:4000])))
        return
    _warm_up(course / folder)
    wire.send(_worker.sock, wire.dumps_plain(("imported", folder)))
    while True:
        data = _recv_or_none()
        if data is None:
            return
        try:
            head, body, rng = _ArgumentUnpickler(io.BytesIO(data)).load()
        except Exception as error:  # an argument the learner's file cannot rebuild (a given class it deleted)
            wire.send(_worker.sock, wire.dumps_plain((*_raised(error), [], wire.rng_state())))
            continue
        if rng is not None:
            wire.set_rng_state(rng)
        _serve_request(head, body)
        _worker.handles.clear()

def _warm_up(part: Path) -> None:
    """Imports the libraries the part's models need now, while the trusted process collects its tests."""
    if any("transformer_lens" in path.read_text(encoding="utf-8", errors="replace") for path in part.rglob("*.py")):
        for name in ("transformer_lens", "transformers"):
            try:
                importlib.import_module(name)
            except ImportError:
                pass

def _recv_or_none() -> bytes | None:
    try:
        return wire.recv(_worker.sock)
    except wire.WorkerGone:
        return None

if __name__ == "__main__":  # run as exercises.grader.worker, not __main__: pickled arguments refer to that module
    importlib.import_module("exercises.grader.worker").worker_main(sys.argv[1:])
