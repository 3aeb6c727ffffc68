"""The grader's trusted side of the learner's code in another process: the proxies and the Worker that runs them.

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
import dataclasses
import functools
import io
import os
import pickle
import socket
import subprocess
import types
from typing import Any, Callable

import torch

from exercises.grader import wire
from exercises.grader.worker import given_attribute
from exercises.harness import effects


def untag(tree: Any, call_inputs: Any, given: types.ModuleType, worker: "Worker") -> Any:
    """The value a tagged tree describes, checked node by node (the tree comes from an untrusted worker)."""
    if not (type(tree) is tuple and tree and type(tree[0]) is str):
        raise wire.WorkerProtocolError(f"malformed answer node {type(tree).__name__}")
    kind, rest = tree[0], tree[1:]

    def items(node: Any) -> list:
        if type(node) is not list:
            raise wire.WorkerProtocolError(f"malformed {kind} node")
        return [untag(v, call_inputs, given, worker) for v in node]

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
            raise wire.WorkerProtocolError("a generator state that does not load") from None
        return generator
    if kind == "numpy" and len(rest) == 1 and type(rest[0]) is torch.Tensor:
        return rest[0].numpy().copy()
    if kind in ("list", "tuple") and len(rest) == 1:
        values = items(rest[0])
        return values if kind == "list" else tuple(values)
    if kind == "dict" and len(rest) == 1 and type(rest[0]) is list:
        pairs = [(untag(k, call_inputs, given, worker), untag(v, call_inputs, given, worker))
                 for k, v in (wire.pair(p) for p in rest[0])]
        if any(type(k) not in (str, int, float, bool, type(None), tuple) for k, _ in pairs):
            raise wire.NotPlainData("a dict whose keys are not numbers or strings")
        return dict(pairs)
    if kind == "input" and len(rest) == 1 and wire.is_path(rest[0]):
        try:
            return effects.resolve(call_inputs, rest[0])
        except (KeyError, IndexError, TypeError):
            raise wire.WorkerProtocolError("an answer refers to an input the call did not have") from None
    if kind in ("dataclass", "namedtuple") and len(rest) == 2 and type(rest[0]) is str:
        return _rebuild_given(kind, rest[0], rest[1], call_inputs, given, worker)
    if kind == "handle" and len(rest) == 1 and type(rest[0]) is int:
        return WorkerCallable(worker, rest[0])
    if kind == "refused" and len(rest) == 1 and type(rest[0]) is str:
        raise wire.NotPlainData(rest[0])
    raise wire.WorkerProtocolError(f"malformed answer node {kind!r}")

def _rebuild_given(kind: str, qualname: str, fields: Any, call_inputs: Any, given: types.ModuleType,
                   worker: "Worker") -> Any:
    """A dataclass or named tuple of the given code, rebuilt from the trusted copy of that code."""
    cls: Any = given
    for name in qualname.split("."):
        cls = getattr(cls, name, None)
    is_ok = (isinstance(cls, type) and dataclasses.is_dataclass(cls)) if kind == "dataclass" else (
        isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields"))
    if not is_ok:
        raise wire.NotPlainData(f"a {qualname}, which is not a {kind} of the part's given code")
    if kind == "namedtuple":
        if type(fields) is not list:
            raise wire.WorkerProtocolError("malformed namedtuple node")
        return cls(*(untag(v, call_inputs, given, worker) for v in fields))
    if type(fields) is not list:
        raise wire.WorkerProtocolError("malformed dataclass node")
    names = {f.name for f in dataclasses.fields(cls)}
    values = dict(wire.pair(f) for f in fields)
    if set(values) != names or not all(type(k) is str for k in values):
        raise wire.NotPlainData(f"a {qualname} whose fields are not those of the given code")
    obj = cls.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, untag(value, call_inputs, given, worker))
    return obj

_TOOL_MODULES = ("solutions.",)  # functions from these modules, and from a part's modules and tests, stay trusted

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

class ArgumentPickler(pickle.Pickler):
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
            return given_attribute, (obj.__qualname__,)
        if type(obj).__name__ == "TransformerBridge" and type(obj).__module__.startswith("transformer_lens"):
            return wire.bridge_reduction(obj)
        if type(obj).__name__ == "HookPoint" and type(obj).__module__.startswith("transformer_lens"):
            return wire.HookStandIn, (obj.name,)
        return NotImplemented

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
            reply = wire.loads_plain(wire.recv(self.sock))
        except (wire.WorkerGone, wire.WorkerProtocolError) as error:
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
            if isinstance(error, wire.WorkerGone):
                raise LearnerEscape(f"{label}: the worker process running your code ended during the call "
                                    f"(os._exit, a crash, or it ran out of memory)") from None
            if isinstance(error, wire.WorkerProtocolError):
                raise LearnerEscape(f"{label}: {error}") from None
            if isinstance(error, wire.NotPlainData):
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
            raise wire.WorkerProtocolError("the worker sent no gradients")
        return message[1]

    def _send(self, head: tuple, body: Any, with_rng: bool = True) -> None:
        """A request or an answer to the worker, with this side's random state (the worker takes it on)."""
        buffer = io.BytesIO()
        rng = wire.rng_state() if with_rng else None
        ArgumentPickler(buffer, self.part_folder, self.given_modules, self.tools).dump((head, body, rng))
        wire.send(self.sock, buffer.getvalue())

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
        result = untag(answer, call_inputs, self.given, self)
        if graph is None:
            return result
        if type(graph) is not int:
            raise wire.WorkerProtocolError("malformed graph number")
        return wire.attach_gradients(result, self, graph, wire.grad_leaves(call_inputs), exclude=wire.flat_tensors(call_inputs))

    def _next_answer(self, call_inputs: dict | None) -> tuple:
        """Serves the worker's calls of tools until the answer to our request comes; applies its effects."""
        while True:
            message = wire.loads_plain(wire.recv(self.sock))
            if type(message) is not tuple or not message or type(message[0]) is not str:
                raise wire.WorkerProtocolError("the worker sent a malformed message")
            kind = message[0]
            if kind == "tool" and len(message) == 6:
                wire.set_rng_state(message[5])
                self._serve_tool(*message[1:5])
            elif kind == "backward" and len(message) == 3:
                self._serve_backward(message[1], message[2])
            elif kind == "gradients" and len(message) == 2 and call_inputs is None:
                return message
            elif kind in ("answer", "raised") and len(message) in (5, 6) and call_inputs is not None:
                *reply, changes, rng = message
                wire.set_rng_state(rng)
                wire.apply_changes(call_inputs, changes)
                if kind == "answer" and len(reply) != 3 or kind == "raised" and len(reply) != 4:
                    raise wire.WorkerProtocolError("malformed answer")
                return tuple(reply)
            else:
                raise wire.WorkerProtocolError(f"the worker sent an unexpected {kind!r} message")

    def _serve_tool(self, number: Any, args_tree: Any, kwargs_tree: Any, changes: Any) -> None:
        """The worker calls a tool of the tests or of the reference: it runs here, on plain data, and sees
        the call's inputs as the learner's code has left them so far."""
        if type(number) is not int or number not in self.tools:
            raise wire.WorkerProtocolError("the worker called a tool it was not given")
        if self.active:
            wire.apply_changes(self.active[-1], changes)
        args = untag(args_tree, None, self.given, self)
        kwargs = untag(kwargs_tree, None, self.given, self)
        if type(args) is not tuple or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
            raise wire.WorkerProtocolError("malformed tool call")
        tool_inputs = {"args": list(args), "kwargs": kwargs}
        changeables = wire.changeable_paths(tool_inputs)
        before = [effects.state_of(obj) for _, obj in changeables]
        inputs = [t for t in wire.flat_tensors(tool_inputs) if t.requires_grad]
        from exercises.harness import recordings  # here, not at the top: the worker never needs it

        try:
            with torch.enable_grad(), recordings.as_graded_codes_call():  # a recorded reference runs the learner's own
                result = self.tools[number](*args, **kwargs)
        except Exception as error:  # a tool refusing a wrong input: an error the learner's code sees
            kind = type(error).__name__ if type(error).__name__ in _BUILTIN_ERRORS else "RuntimeError"
            self._send(("tool-raised", kind, str(error)), None)
            return
        outputs = [t for t in wire.flat_tensors(result) if t.requires_grad]
        graph = None
        if inputs and outputs:
            graph = len(self.graphs) + 1
            self.graphs[graph] = (inputs, outputs)
        tool_changes = wire.changes_since(changeables, before)
        self._send(("tool-answer", graph), (wire.detached(result), tool_changes))

    def _serve_backward(self, graph: Any, grads: Any) -> None:
        if type(graph) is not int or graph not in self.graphs or type(grads) is not list:
            raise wire.WorkerProtocolError("the worker asked for gradients of a call it did not make")
        inputs, outputs = self.graphs[graph]
        if len(grads) != len(outputs) or not all(type(g) is torch.Tensor and g.shape == o.shape
                                                 for g, o in zip(grads, outputs)):
            raise wire.WorkerProtocolError("malformed gradients")
        found = torch.autograd.grad(outputs, inputs, grads, retain_graph=True, allow_unused=True)
        self._send(("gradients",), [torch.zeros_like(x) if g is None else g.detach() for g, x in zip(found, inputs)],
                   with_rng=False)

class WorkerCallable:
    """A function of the learner's (a hook it handed over) that runs in the worker when called."""

    def __init__(self, worker: Worker, number: int) -> None:
        self.worker, self.number = worker, number

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.worker.call_handle(self.number, args, kwargs)

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
