"""The learner's code in another process: the grader's worker, and the trusted side that calls it.

The grader (exercises/grader/grade.py) runs a part's tests in a trusted pytest process that never
imports the learner's file. Its `graded` module is the part's given code, built from the
pristine course, whose exercise functions and methods are proxies: each call is sent to a worker
process (sandboxed, see exercises/grader/sandbox.py) that imported the learner's exercises.py, runs it
there, and sends back only plain data.

    trusted process                                   worker (learner's code)
    graded.f(x, model) --- pickled arguments --->     f(x, model) from the learner's file
                       <--- tagged plain data ---     the result, what it changed in place, the RNG

What crosses back is loaded with `torch.load(weights_only=True)` and checked entry by entry:
tensors of exactly torch.Tensor, numbers, strings, lists, tuples and dicts of them, the given
code's dataclasses and named tuples (rebuilt from the trusted given code), references to the
call's own inputs, and the new state of an input changed in place (a tensor's values, a module's
state dict, a generator's state). Anything else fails the test with a message.

Arguments go the other way by value (the worker may read anything the tests pass), except
tools: a test's own functions and callable objects, the reference's functions and bound
methods stay in the trusted process, and the worker gets a handle it can call; gradients flow
back through such a call, so a trainer can train through a reference forward. A learner's function
handed back (a hook) is a handle the other way. Handles live for one call of the graded code.
Models are sent as what rebuilds them (a TransformerBridge: its config; a plain module: pickled)
plus their state dict; a hook point as its name.

The worker also follows the global random state: the trusted side sends it with every call and
takes back what the learner's code left, so seeded code behaves as it would in one process.
"""

import builtins
import copy
import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import io
import os
import pickle
import random
import socket
import struct
import subprocess
import sys
import traceback
import types
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from exercises.harness import effects

# --- framing: 8-byte length, then the bytes ---

_MAX_MESSAGE = 1 << 28  # 256 MB: far more than any test's tensors


def _send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(struct.pack("<Q", len(data)) + data)
    except OSError as error:  # BrokenPipeError, ConnectionResetError: the other end is gone
        raise WorkerGone(f"the worker process ended ({error.strerror or error})") from None


def _recv(sock: socket.socket) -> bytes:
    size = struct.unpack("<Q", _recv_exactly(sock, 8))[0]
    if size > _MAX_MESSAGE:
        raise WorkerProtocolError(f"the worker sent a message of {size} bytes")
    return _recv_exactly(sock, size)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        try:
            chunk = sock.recv(min(left, 1 << 20))
        except OSError as error:  # ConnectionResetError: it ended with our data unread
            raise WorkerGone(f"the worker process ended ({error.strerror or error})") from None
        if not chunk:
            raise WorkerGone("the worker process ended")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class WorkerGone(Exception):
    """The worker died (os._exit, a crash, a kill) or closed its end."""


class WorkerProtocolError(Exception):
    """The worker sent something that is not a well-formed message."""


# --- the worker's answers: a tree of tagged plain data (worker -> trusted) ---


def _tag(value: Any, inputs: dict[int, tuple], handles: dict[int, Callable], depth: int = 0) -> tuple:
    """`value` as tagged plain data; inputs (by identity) as paths; callables as handles."""
    if depth > 40:
        return ("refused", "a structure nested more than 40 levels deep")
    if id(value) in inputs:
        return ("input", inputs[id(value)])
    if isinstance(value, torch.Tensor):
        if type(value) not in (torch.Tensor, torch.nn.Parameter):
            return ("refused", f"a {type(value).__qualname__} (a subclass of torch.Tensor)")
        plain = value.detach().cpu()
        plain = torch.Tensor._make_subclass(torch.Tensor, plain) if type(plain) is not torch.Tensor else plain
        return ("tensor", plain.clone(), bool(value.requires_grad))
    if isinstance(value, torch.Size):
        return ("size", [int(n) for n in value])
    if isinstance(value, torch.Generator):
        return ("generator", value.get_state())
    if isinstance(value, np.ndarray):
        return ("numpy", torch.from_numpy(np.ascontiguousarray(value).copy()))
    if isinstance(value, np.generic):
        return ("value", value.item())
    if type(value) in (bool, int, float, str, type(None)):
        return ("value", value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [[f.name, _tag(getattr(value, f.name), inputs, handles, depth + 1)] for f in dataclasses.fields(value)]
        return ("dataclass", type(value).__qualname__, fields)
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return ("namedtuple", type(value).__qualname__, [_tag(v, inputs, handles, depth + 1) for v in value])
    if type(value) in (list, tuple):
        return (type(value).__name__, [_tag(v, inputs, handles, depth + 1) for v in value])
    if type(value) is dict:
        return ("dict", [[_tag(k, {}, {}, depth + 1), _tag(v, inputs, handles, depth + 1)] for k, v in value.items()])
    if callable(value) and not isinstance(value, (type, torch.nn.Module)):
        handles[len(handles) + 1] = value
        return ("handle", len(handles))
    return ("refused", f"a {type(value).__qualname__}")


def _dumps_plain(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _loads_plain(data: bytes) -> Any:
    """What the worker sent, loaded as weights only: no code of the worker's runs here."""
    try:
        return torch.load(io.BytesIO(data), weights_only=True)
    except Exception as error:
        raise WorkerProtocolError(f"the worker sent something other than plain data ({type(error).__name__}: "
                                  f"{str(error)[:200]})") from None


class NotPlainData(Exception):
    """The learner's code returned something that cannot cross to the grader (the message says what)."""

    from_learner = True  # the whole answer was read: the worker waits, sound


def _untag(tree: Any, call_inputs: Any, given: types.ModuleType, worker: "Worker") -> Any:
    """The value a tagged tree describes, checked node by node (the tree comes from an untrusted worker)."""
    if not (type(tree) is tuple and tree and type(tree[0]) is str):
        raise WorkerProtocolError(f"malformed answer node {type(tree).__name__}")
    kind, rest = tree[0], tree[1:]

    def items(node: Any) -> list:
        if type(node) is not list:
            raise WorkerProtocolError(f"malformed {kind} node")
        return [_untag(v, call_inputs, given, worker) for v in node]

    if kind == "tensor" and len(rest) == 2 and type(rest[0]) is torch.Tensor and type(rest[1]) is bool:
        return rest[0].requires_grad_(rest[1]) if rest[1] and rest[0].is_floating_point() else rest[0]
    if kind == "value" and len(rest) == 1 and type(rest[0]) in (bool, int, float, str, type(None)):
        return rest[0]
    if kind == "size" and len(rest) == 1 and type(rest[0]) is list and all(type(n) is int for n in rest[0]):
        return torch.Size(rest[0])
    if kind == "generator" and len(rest) == 1 and type(rest[0]) is torch.Tensor and rest[0].dtype == torch.uint8:
        generator = torch.Generator()
        try:
            generator.set_state(rest[0])
        except RuntimeError:
            raise WorkerProtocolError("a generator state that does not load") from None
        return generator
    if kind == "numpy" and len(rest) == 1 and type(rest[0]) is torch.Tensor:
        return rest[0].numpy().copy()
    if kind in ("list", "tuple") and len(rest) == 1:
        values = items(rest[0])
        return values if kind == "list" else tuple(values)
    if kind == "dict" and len(rest) == 1 and type(rest[0]) is list:
        pairs = [(_untag(k, call_inputs, given, worker), _untag(v, call_inputs, given, worker))
                 for k, v in (_pair(p) for p in rest[0])]
        if any(type(k) not in (str, int, float, bool, type(None), tuple) for k, _ in pairs):
            raise NotPlainData("a dict whose keys are not numbers or strings")
        return dict(pairs)
    if kind == "input" and len(rest) == 1 and _is_path(rest[0]):
        try:
            return effects.resolve(call_inputs, rest[0])
        except (KeyError, IndexError, TypeError):
            raise WorkerProtocolError("an answer refers to an input the call did not have") from None
    if kind in ("dataclass", "namedtuple") and len(rest) == 2 and type(rest[0]) is str:
        return _rebuild_given(kind, rest[0], rest[1], call_inputs, given, worker)
    if kind == "handle" and len(rest) == 1 and type(rest[0]) is int:
        return WorkerCallable(worker, rest[0])
    if kind == "refused" and len(rest) == 1 and type(rest[0]) is str:
        raise NotPlainData(rest[0])
    raise WorkerProtocolError(f"malformed answer node {kind!r}")


def _pair(node: Any) -> tuple:
    if type(node) is not list or len(node) != 2:
        raise WorkerProtocolError("malformed dict entry")
    return node[0], node[1]


def _is_path(path: Any) -> bool:
    return type(path) is list and all(type(key) in (int, str) for key in path)


def _rebuild_given(kind: str, qualname: str, fields: Any, call_inputs: Any, given: types.ModuleType,
                   worker: "Worker") -> Any:
    """A dataclass or named tuple of the given code, rebuilt from the trusted copy of that code."""
    cls: Any = given
    for name in qualname.split("."):
        cls = getattr(cls, name, None)
    is_ok = (isinstance(cls, type) and dataclasses.is_dataclass(cls)) if kind == "dataclass" else (
        isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields"))
    if not is_ok:
        raise NotPlainData(f"a {qualname}, which is not a {kind} of the part's given code")
    if kind == "namedtuple":
        if type(fields) is not list:
            raise WorkerProtocolError("malformed namedtuple node")
        return cls(*(_untag(v, call_inputs, given, worker) for v in fields))
    if type(fields) is not list:
        raise WorkerProtocolError("malformed dataclass node")
    names = {f.name for f in dataclasses.fields(cls)}
    values = dict(_pair(f) for f in fields)
    if set(values) != names or not all(type(k) is str for k in values):
        raise NotPlainData(f"a {qualname} whose fields are not those of the given code")
    obj = cls.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, _untag(value, call_inputs, given, worker))
    return obj


# --- what a call may change in place, on both sides (exercises/harness/effects.py) ---


def _changeables(value: Any) -> list[tuple[list, Any]]:
    """effects.changeables, with paths as lists of plain keys: they cross between the processes."""
    return [(list(path), obj) for path, obj in effects.changeables(value)
            if all(type(key) in (str, int) for key in path)]


def _plain_state(state: Any) -> Any:
    if isinstance(state, dict):
        return {k: _plain_state(v) for k, v in state.items()}
    return torch.Tensor._make_subclass(torch.Tensor, state) if type(state) is not torch.Tensor else state


def _apply_change(obj: Any, state: Any, where: str) -> None:
    """Sets `obj` (the trusted side's object) to the state the worker reports, if it fits `obj`."""
    if isinstance(obj, torch.Tensor):
        if type(state) is not torch.Tensor or state.shape != obj.shape or state.dtype != obj.dtype:
            raise NotPlainData(f"a new value of {where} that does not fit it")
        with torch.no_grad():
            obj.copy_(state)
    elif isinstance(obj, torch.nn.Module):
        own = obj.state_dict()
        if type(state) is not dict or state.keys() != own.keys() or any(
                type(v) is not torch.Tensor or v.shape != own[k].shape for k, v in state.items()):
            raise NotPlainData(f"a new state of {where} that does not fit it")
        obj.load_state_dict(state)
    elif isinstance(obj, torch.Generator):
        if type(state) is not torch.Tensor or state.shape != obj.get_state().shape or state.dtype != torch.uint8:
            raise NotPlainData(f"a new state of {where} that does not fit it")
        obj.set_state(state)


def _rng_state() -> dict:
    np_state = np.random.get_state()
    python_state = random.getstate()
    return {"torch": torch.get_rng_state(), "random": [python_state[0], torch.tensor(python_state[1]), python_state[2]],
            "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]]}


def _set_rng_state(state: Any) -> None:
    try:
        torch.set_rng_state(state["torch"])
        version, internal, gauss = state["random"]
        random.setstate((version, tuple(internal.tolist()), gauss))
        name, keys, *rest = state["numpy"]
        np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    except Exception as error:
        raise WorkerProtocolError(f"the worker sent a random state that does not load ({error})") from None


# --- arguments (trusted -> worker): pickled, with tools kept as handles ---

_TOOL_MODULES = ("solutions.",)  # functions from these modules, and from a part's modules and tests, stay trusted


class _HookStandIn:
    """What a learner's hook receives as `hook` in the worker: the hook point's name, and its layer."""

    def __init__(self, name: str) -> None:
        self.name = name

    def layer(self) -> int:
        return int(self.name.split(".")[1])

    def __repr__(self) -> str:
        return f"HookPoint({self.name!r})"


def _is_tool(obj: Any, part_folder: str) -> bool:
    """Code that must run in the trusted process when the worker calls it: the tests' and the reference's."""
    if isinstance(obj, (type, torch.nn.Module)) or not callable(obj):
        return False
    if isinstance(obj, (types.MethodType, functools.partial)):
        return True
    if isinstance(obj, types.FunctionType):
        module = obj.__module__ or ""
        return ("<locals>" in obj.__qualname__ or obj.__name__ == "<lambda>" or module.startswith(_TOOL_MODULES)
                or module == f"solutions.{part_folder}" or module.startswith(part_folder + "."))
    if isinstance(obj, types.BuiltinFunctionType):  # a bound method of an object (a test's list.append) is a tool
        return not isinstance(getattr(obj, "__self__", None), (types.ModuleType, type(None), type))
    return ".tests" in (type(obj).__module__ or "")  # a test's callable object (a forward that checks its calls)


def _rebuild_bridge(kind: str, spec: bytes, state: dict) -> torch.nn.Module:
    """In the worker: the TransformerBridge `spec` describes, with `state` loaded (built models are reused)."""
    key = hashlib.sha1(spec).hexdigest()
    if key not in _built_bridges:
        described = pickle.loads(spec)
        if kind == "native":
            from transformer_lens.model_bridge import TransformerBridge

            _built_bridges[key] = TransformerBridge.boot_native(described).eval()
        else:
            from exercises.models import bridge_from_hf, hub_offline

            hf_class, hf_config, tokenizer, compatibility = described
            with hub_offline():
                _built_bridges[key] = bridge_from_hf("rebuilt", hf_class(hf_config), tokenizer,
                                                     compatibility_mode=compatibility)
    model = copy.deepcopy(_built_bridges[key])
    model.load_state_dict(state)
    return model


_built_bridges: dict[str, torch.nn.Module] = {}


def _bridge_reduction(model: torch.nn.Module) -> tuple:
    original = model.original_model
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if hasattr(original, "config"):
        spec = (type(original), original.config, model.tokenizer, bool(getattr(model, "compatibility_mode", False)))
        return _rebuild_bridge, ("hf", pickle.dumps(spec), state)
    return _rebuild_bridge, ("native", pickle.dumps(model.cfg), state)


def _given_attribute(qualname: str) -> Any:
    """In the worker: a class or function of the part's given code, from the learner's file."""
    obj: Any = _worker.module
    for name in qualname.split("."):
        if not hasattr(obj, name):
            raise AttributeError(f"your exercises.py has no {qualname} (given code the tests use): restore it "
                                 f"from the course")
        obj = getattr(obj, name)
    return obj


class _ArgumentPickler(pickle.Pickler):
    """Pickles a call's arguments for the worker: tools become handles, the given code's and the
    reference's classes become the learner's file's, models what rebuilds them."""

    def __init__(self, file, part_folder: str, given_modules: tuple[str, ...], tools: dict[int, Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.part_folder, self.given_modules, self.tools = part_folder, given_modules, tools

    def persistent_id(self, obj: Any) -> Any:
        if _is_tool(obj, self.part_folder):
            number = len(self.tools) + 1
            self.tools[number] = obj
            return ("tool", number)
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type) and obj.__module__ in self.given_modules:
            return _given_attribute, (obj.__qualname__,)
        if type(obj).__name__ == "TransformerBridge" and type(obj).__module__.startswith("transformer_lens"):
            return _bridge_reduction(obj)
        if type(obj).__name__ == "HookPoint" and type(obj).__module__.startswith("transformer_lens"):
            return _HookStandIn, (obj.name,)
        return NotImplemented


class _ArgumentUnpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        return TrustedCallable(pid[1])


# --- the trusted side ---


class RemoteError(Exception):
    """The learner's code raised in the worker: `frames` are its lines of exercises.py, innermost last."""

    def __init__(self, kind: str, message: str, frames: list[str], label: str) -> None:
        super().__init__(message)
        self.kind, self.frames, self.label = kind, frames, label


class RemoteNotImplemented(NotImplementedError):
    """A stub in the worker still raises NotImplementedError."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


class LearnerEscape(Exception):
    """A failure of the exercise that is not a wrong value (the message says what): the learner's code
    raised pytest's skip, xfail or exit, or SystemExit; the worker died; it returned what cannot be graded."""


_BUILTIN_ERRORS = {name for name, obj in vars(builtins).items() if isinstance(obj, type) and issubclass(obj, Exception)}


class Worker:
    """One worker process for one part; `call` runs an exercise there (grade.py starts it)."""

    def __init__(self, part_folder: str, given: types.ModuleType, command: list[str], env: dict, cwd: str,
                 on_stop: Callable[[], None] = lambda: None) -> None:
        self.part_folder, self.given, self.command, self.env, self.cwd = part_folder, given, command, env, cwd
        self.on_stop = on_stop
        self.given_modules = (given.__name__, f"solutions.{part_folder}", f"{part_folder}.reference_replay",
                              f"{part_folder}.reference_recording")
        self.process: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.import_problem: str | None = None
        self.tools: dict[int, Any] = {}  # trusted callables the worker holds handles to, during one call
        self.graphs: dict[int, tuple] = {}  # tools' outputs that gradients will flow back through
        self.active: list[dict] = []  # the inputs of the calls under way, innermost last
        self.starting = False

    # - life cycle -

    def start(self) -> None:
        """Starts the worker; it imports the learner's file while this process goes on (see `ready`)."""
        parent, child = socket.socketpair()
        self.process = subprocess.Popen(
            [*self.command, str(child.fileno())], cwd=self.cwd, env=self.env, pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr(), start_new_session=True)
        child.close()
        self.sock = parent
        self.starting = True

    def ready(self) -> None:
        """Waits for the worker's report on importing the learner's file; `import_problem` says why not."""
        if not self.starting:
            return
        self.starting = False
        try:
            reply = _loads_plain(_recv(self.sock))
        except (WorkerGone, WorkerProtocolError) as error:
            self.stop()
            self.import_problem = (f"{self.part_folder}/exercises.py scored 0: the process importing it ended before it "
                                   f"finished (os._exit, a crash, an endless loop stopped at the time limit?): {error}")
            return
        if type(reply) is not tuple or len(reply) != 2 or reply[0] not in ("imported", "import-failed"):
            self.stop()
            self.import_problem = "the worker did not report on importing your exercises.py"
        elif reply[0] == "import-failed":
            self.stop()
            self.import_problem = str(reply[1])

    @staticmethod
    def _stderr() -> Any:
        """Where the worker's stderr goes: nowhere, or (maintainers, MECH_INTERP_WORKER_LOG=FILE) a file."""
        log = os.environ.get("MECH_INTERP_WORKER_LOG")
        return open(log, "ab") if log else subprocess.DEVNULL

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Kills the worker and everything it started (the sandbox kills its whole PID namespace with it)."""
        if self.process is not None:
            kill_process_tree(self.process)
            self.process = None
            self.on_stop()
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # - calls -

    def call(self, qualname: str, args: tuple, kwargs: dict) -> Any:
        label = f"{self.part_folder.split('_')[0]} {qualname}"
        if not self.alive and not self.import_problem:
            self.start()
        self.ready()
        if self.import_problem:
            raise LearnerEscape(self.import_problem)
        try:
            return self._request(("call", qualname), {"args": list(args), "kwargs": dict(kwargs)}, label)
        except BaseException as error:
            if not getattr(error, "from_learner", False):
                self.stop()  # a timeout, a broken or dead worker: a fresh one serves the next test
            if isinstance(error, WorkerGone):
                raise LearnerEscape(f"{label}: the worker process running your code ended during the call "
                                    f"(os._exit, a crash, or it ran out of memory)") from None
            if isinstance(error, WorkerProtocolError):
                raise LearnerEscape(f"{label}: {error}") from None
            if isinstance(error, NotPlainData):
                raise LearnerEscape(f"{label} returned {error}, which cannot be graded: return tensors (plain "
                                    f"torch.Tensor), numbers, strings, or lists, tuples and dicts of them") from None
            if str(error).startswith("Timeout ("):  # pytest-timeout stopped the test while the worker ran
                raise LearnerEscape(f"{label} did not finish in time ({error}): an endless loop, or far more work "
                                    f"than a tiny test needs?") from None
            raise
        finally:
            if not self.active:
                self.tools.clear()
                self.graphs.clear()

    def call_handle(self, number: int, args: tuple, kwargs: dict) -> Any:
        """Calls a function the learner's code handed over (a hook), back in the worker."""
        return self._request(("handle", number), {"args": list(args), "kwargs": dict(kwargs)}, "your function")

    def gradients(self, graph: int, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        """Backward through an exercise's output: the worker sends the gradients of that call's inputs."""
        self._send(("backward", graph), [g.detach().contiguous() for g in grads], with_rng=False)
        message = self._next_answer(None)
        if message[0] != "gradients" or type(message[1]) is not list or not all(
                type(g) is torch.Tensor for g in message[1]):
            raise WorkerProtocolError("the worker sent no gradients")
        return message[1]

    def _send(self, head: tuple, body: Any, with_rng: bool = True) -> None:
        """A request or an answer to the worker, with this side's random state (the worker takes it on)."""
        buffer = io.BytesIO()
        rng = _rng_state() if with_rng else None
        _ArgumentPickler(buffer, self.part_folder, self.given_modules, self.tools).dump((head, body, rng))
        _send(self.sock, buffer.getvalue())

    def _request(self, head: tuple, call_inputs: dict, label: str) -> Any:
        self.active.append(call_inputs)
        try:
            self._send(head, call_inputs)
            message = self._next_answer(call_inputs)
        finally:
            self.active.pop()
        if message[0] == "raised":
            _, error_kind, text, frames = message
            raise _learner_error(label, str(error_kind), str(text), [str(f) for f in frames])
        _, answer, graph = message
        result = _untag(answer, call_inputs, self.given, self)
        if graph is None:
            return result
        if type(graph) is not int:
            raise WorkerProtocolError("malformed graph number")
        return _attach_gradients(result, self, graph, _grad_leaves(call_inputs), exclude=_flat_tensors(call_inputs))

    def _next_answer(self, call_inputs: dict | None) -> tuple:
        """Serves the worker's calls of tools until the answer to our request comes; applies its effects."""
        while True:
            message = _loads_plain(_recv(self.sock))
            if type(message) is not tuple or not message or type(message[0]) is not str:
                raise WorkerProtocolError("the worker sent a malformed message")
            kind = message[0]
            if kind == "tool" and len(message) == 6:
                _set_rng_state(message[5])
                self._serve_tool(*message[1:5])
            elif kind == "backward" and len(message) == 3:
                self._serve_backward(message[1], message[2])
            elif kind == "gradients" and len(message) == 2 and call_inputs is None:
                return message
            elif kind in ("answer", "raised") and len(message) in (5, 6) and call_inputs is not None:
                *reply, changes, rng = message
                _set_rng_state(rng)
                _apply_changes(call_inputs, changes)
                if kind == "answer" and len(reply) != 3 or kind == "raised" and len(reply) != 4:
                    raise WorkerProtocolError("malformed answer")
                return tuple(reply)
            else:
                raise WorkerProtocolError(f"the worker sent an unexpected {kind!r} message")

    def _serve_tool(self, number: Any, args_tree: Any, kwargs_tree: Any, changes: Any) -> None:
        """The worker calls a tool of the tests or of the reference: it runs here, on plain data, and sees
        the call's inputs as the learner's code has left them so far."""
        if type(number) is not int or number not in self.tools:
            raise WorkerProtocolError("the worker called a tool it was not given")
        if self.active:
            _apply_changes(self.active[-1], changes)
        args = _untag(args_tree, None, self.given, self)
        kwargs = _untag(kwargs_tree, None, self.given, self)
        if type(args) is not tuple or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
            raise WorkerProtocolError("malformed tool call")
        tool_inputs = {"args": list(args), "kwargs": kwargs}
        changeables = _changeables(tool_inputs)
        before = [effects.state_of(obj) for _, obj in changeables]
        inputs = [t for t in _flat_tensors(tool_inputs) if t.requires_grad]
        from exercises.harness import recordings  # here, not at the top: the worker never needs it

        try:
            with torch.enable_grad(), recordings.as_graded_codes_call():  # a recorded reference runs the learner's own
                result = self.tools[number](*args, **kwargs)
        except Exception as error:  # a tool refusing a wrong input: an error the learner's code sees
            kind = type(error).__name__ if type(error).__name__ in _BUILTIN_ERRORS else "RuntimeError"
            self._send(("tool-raised", kind, str(error)), None)
            return
        outputs = [t for t in _flat_tensors(result) if t.requires_grad]
        graph = None
        if inputs and outputs:
            graph = len(self.graphs) + 1
            self.graphs[graph] = (inputs, outputs)
        tool_changes = _changes_since(changeables, before)
        self._send(("tool-answer", graph), (_detached(result), tool_changes))

    def _serve_backward(self, graph: Any, grads: Any) -> None:
        if type(graph) is not int or graph not in self.graphs or type(grads) is not list:
            raise WorkerProtocolError("the worker asked for gradients of a call it did not make")
        inputs, outputs = self.graphs[graph]
        if len(grads) != len(outputs) or not all(type(g) is torch.Tensor and g.shape == o.shape
                                                 for g, o in zip(grads, outputs)):
            raise WorkerProtocolError("malformed gradients")
        found = torch.autograd.grad(outputs, inputs, grads, retain_graph=True, allow_unused=True)
        self._send(("gradients",), [torch.zeros_like(x) if g is None else g.detach() for g, x in zip(found, inputs)],
                   with_rng=False)


def _apply_changes(call_inputs: dict, changes: Any) -> None:
    """The worker's report of what a call changed in place, applied to this side's objects."""
    if type(changes) is not list:
        raise WorkerProtocolError("malformed changes")
    for path, state in (_pair(c) for c in changes):
        if not _is_path(path):
            raise WorkerProtocolError("malformed change path")
        try:
            obj = effects.resolve(call_inputs, path)
        except (KeyError, IndexError, TypeError):
            raise WorkerProtocolError("a change to an input the call did not have") from None
        _apply_change(obj, state, "an argument")


def _changes_since(changeables: list, before: list) -> list:
    return [[path, _plain_state(effects.state_of(obj))] for (path, obj), old in zip(changeables, before)
            if not effects.same_state(old, effects.state_of(obj))]


def _grad_leaves(call_inputs: Any) -> list[torch.Tensor]:
    """The tensors of a call that gradients flow back to, in an order both sides agree on."""
    leaves = []
    for _, obj in _changeables(call_inputs):
        if isinstance(obj, torch.Tensor) and obj.requires_grad:
            leaves.append(obj)
        elif isinstance(obj, torch.nn.Module):
            leaves += [p for p in obj.parameters() if p.requires_grad]
    return leaves


class WorkerCallable:
    """A function of the learner's (a hook it handed over) that runs in the worker when called."""

    def __init__(self, worker: Worker, number: int) -> None:
        self.worker, self.number = worker, number

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.worker.call_handle(self.number, args, kwargs)


def _attach_gradients(result: Any, link: Any, graph: int, inputs: list[torch.Tensor], exclude: list) -> Any:
    """`result` with its tensors that need gradients connected to `inputs` through the other process:
    their backward asks `link.gradients(graph, grads)`."""
    skip = {id(t) for t in exclude}
    outputs = [t for t in _flat_tensors(result) if t.requires_grad and id(t) not in skip]
    if not outputs or not inputs:
        return result
    linked = _AcrossProcesses.apply(link, graph, len(outputs), *outputs, *inputs)
    linked = linked if isinstance(linked, tuple) else (linked,)
    replace = {id(o): new for o, new in zip(outputs, linked)}

    def swap(value: Any, depth: int = 0) -> Any:
        if isinstance(value, torch.Tensor):
            return replace.get(id(value), value)
        if depth < 6 and type(value) in (list, tuple):
            return type(value)(swap(v, depth + 1) for v in value)
        if depth < 6 and type(value) is dict:
            return {k: swap(v, depth + 1) for k, v in value.items()}
        return value

    return swap(result)


class _AcrossProcesses(torch.autograd.Function):
    """Outputs computed in the other process; backward sends their gradients there for the inputs'."""

    @staticmethod
    def forward(ctx, link, graph: int, n_outputs: int, *tensors: torch.Tensor):
        ctx.link, ctx.graph, ctx.n_outputs = link, graph, n_outputs
        ctx.shapes = [t.shape for t in tensors[n_outputs:]]
        return tuple(t.detach().clone() for t in tensors[:n_outputs])

    @staticmethod
    def backward(ctx, *grads: torch.Tensor):
        found = ctx.link.gradients(ctx.graph, list(grads))
        if len(found) != len(ctx.shapes) or any(g.shape != shape for g, shape in zip(found, ctx.shapes)):
            raise WorkerProtocolError("the gradients that came back do not fit the inputs")
        return (None, None, None, *([None] * ctx.n_outputs), *found)


def _flat_tensors(value: Any, depth: int = 0) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if depth < 6 and isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat_tensors(v, depth + 1)]
    if depth < 6 and isinstance(value, dict):
        return [t for v in value.values() for t in _flat_tensors(v, depth + 1)]
    return []


def _detached(value: Any, depth: int = 0) -> Any:
    """A tool's result for the worker: tensors cut from this process's graph, still marked if they need grads."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if depth < 6 and type(value) in (list, tuple):
        return type(value)(_detached(v, depth + 1) for v in value)
    if depth < 6 and type(value) is dict:
        return {k: _detached(v, depth + 1) for k, v in value.items()}
    return value


def _learner_error(label: str, kind: str, text: str, frames: list[str]) -> Exception:
    error = _error_for(label, kind, text, frames)
    error.from_learner = True  # the worker is still sound: it reported the error and waits
    return error


def _error_for(label: str, kind: str, text: str, frames: list[str]) -> Exception:
    if kind == "NotImplementedError":
        return RemoteNotImplemented(label)
    if kind in ("Skipped", "XFailed", "Failed", "Exit", "SystemExit", "KeyboardInterrupt", "GeneratorExit",
                "BaseException") or kind.endswith("!base"):
        shown = kind.removesuffix("!base")
        return LearnerEscape(f"{label} raised {shown}({text[:300]!r}): a skip, xfail, exit or test failure raised "
                             f"by your code counts as a failure of the exercise")
    error = RemoteError(kind, text, frames, label)
    builtin = getattr(builtins, kind, None) if kind in _BUILTIN_ERRORS else None
    if builtin is not None:  # the same type, so a test that expects a ValueError sees one
        try:
            typed = builtin(text)
        except Exception:
            return error
        typed.remote = error
        return typed
    return error


def remote_frames(error: BaseException) -> tuple[str, list[str]] | None:
    """(exercise label, the learner's lines) if `error` was raised by the learner's code in the worker."""
    remote = error if isinstance(error, RemoteError) else getattr(error, "remote", None)
    return (remote.label, remote.frames) if isinstance(remote, RemoteError) else None


def kill_process_tree(process: subprocess.Popen) -> None:
    """Ends the process and its session (for the sandboxed worker, its PID namespace ends with it)."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.kill()
    except ProcessLookupError:
        pass
    process.wait()


def graded_module(given: types.ModuleType, exercises: list[str], worker: Worker) -> types.ModuleType:
    """`given` (the part's given code, trusted) with each exercise replaced by a call to the worker."""
    for name in exercises:
        owner_name, _, attr = name.rpartition(".")
        owner = getattr(given, owner_name) if owner_name else given
        setattr(owner, attr, _proxy(worker, name, getattr(owner, attr)))
    return given


def _proxy(worker: Worker, qualname: str, stub: Callable) -> Callable:
    @functools.wraps(stub)
    def in_worker(*args: Any, **kwargs: Any) -> Any:
        return worker.call(qualname, args, kwargs)

    in_worker.__module__ = stub.__module__
    return in_worker


# --- the worker process: python -m exercises.grader.remote COURSE_DIR PART_FOLDER FD ---


class _WorkerState:
    sock: socket.socket
    module: types.ModuleType
    handles: dict[int, Callable]  # the learner's functions the trusted side holds (hooks), during one call
    active: list[tuple]  # (changeables, their states before) of the calls under way, innermost last
    graphs: dict[int, tuple]  # (leaves, outputs) of the last calls' results, for a later backward
    graph_count: int = 0


_worker = _WorkerState()


class TrustedCallable:
    """In the worker: a tool of the tests or of the reference; calling it runs it in the trusted process,
    which first sees the current call's inputs as they are now."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tool_inputs = {"args": list(args), "kwargs": kwargs}
        active = _worker.active[-1] if _worker.active else None
        changes = _changes_since(*active) if active else []
        _send(_worker.sock, _dumps_plain(("tool", self.number, _tag(tuple(args), {}, _worker.handles),
                                          _tag(dict(kwargs), {}, _worker.handles), changes, _rng_state())))
        while True:
            (kind, *head), body, _ = _read_request()
            if kind == "tool-answer":
                result, tool_changes = body
                _apply_changes(tool_inputs, tool_changes)
                if head[0] is None:
                    return result
                return _attach_gradients(result, _WorkerLink(), head[0], _grad_leaves(tool_inputs), exclude=[])
            if kind == "tool-raised":
                raise getattr(builtins, head[0], RuntimeError)(head[1])
            _serve_request((kind, *head), body)


class _WorkerLink:
    """The worker's way to ask for the gradients of a tool's inputs."""

    @staticmethod
    def gradients(graph: int, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        _send(_worker.sock, _dumps_plain(("backward", graph, [g.detach().contiguous() for g in grads])))
        while True:
            (kind, *head), body, _ = _read_request()
            if kind == "gradients":
                return body
            _serve_request((kind, *head), body)


def _read_request() -> tuple:
    message = _ArgumentUnpickler(io.BytesIO(_recv(_worker.sock))).load()
    if message[2] is not None:
        _set_rng_state(message[2])
    return message


def _serve_request(head: tuple, body: Any) -> None:
    """Runs one request of the trusted side (an exercise, a hook of the learner's, a backward), and answers."""
    if head[0] == "backward":
        _send(_worker.sock, _dumps_plain(("gradients", _backward(head[1], body))))
        return
    call_inputs = body
    changeables = _changeables(call_inputs)
    before = [effects.state_of(obj) for _, obj in changeables]
    _worker.active.append((changeables, before))
    try:
        fn = _exercise(head[1]) if head[0] == "call" else _worker.handles[head[1]]
        result = fn(*call_inputs["args"], **call_inputs["kwargs"])
        inputs = {id(obj): path for path, obj in changeables}
        reply: tuple = ("answer", _tag(result, inputs, _worker.handles), _keep_graph(result, call_inputs, inputs))
    except BaseException as error:  # noqa: BLE001 - everything the learner's code raises is reported
        reply = _raised(error)
    finally:
        _worker.active.pop()
    _send(_worker.sock, _dumps_plain((*reply, _changes_since(changeables, before), _rng_state())))


def _keep_graph(result: Any, call_inputs: dict, inputs: dict) -> int | None:
    """Keeps the autograd graph from the call's inputs to its result, for a backward the trusted side may ask."""
    outputs = [t for t in _flat_tensors(result) if t.requires_grad and id(t) not in inputs]
    leaves = _grad_leaves(call_inputs)
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
    owner = _given_attribute(owner_name) if owner_name else _worker.module
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
        _send(_worker.sock, _dumps_plain(("import-failed", _why_not_imported(folder, error)[:4000])))
        return
    _warm_up(course / folder)
    _send(_worker.sock, _dumps_plain(("imported", folder)))
    while True:
        data = _recv_or_none()
        if data is None:
            return
        try:
            head, body, rng = _ArgumentUnpickler(io.BytesIO(data)).load()
        except Exception as error:  # an argument the learner's file cannot rebuild (a given class it deleted)
            _send(_worker.sock, _dumps_plain((*_raised(error), [], _rng_state())))
            continue
        if rng is not None:
            _set_rng_state(rng)
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
        return _recv(_worker.sock)
    except WorkerGone:
        return None


if __name__ == "__main__":  # run as exercises.grader.remote, not __main__: pickled arguments refer to that module
    importlib.import_module("exercises.grader.remote").worker_main(sys.argv[1:])
