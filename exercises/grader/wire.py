"""What crosses between the grader's trusted process and its worker, and how: the protocol both sides speak.

Messages are framed (an 8-byte length, then the bytes). The worker's answers are trees of tagged
plain data (`tag`), saved with torch.save and loaded with `torch.load(weights_only=True)`
(`loads_plain`), then checked node by node on the trusted side (trusted.untag). With them come the
new state of each input the call changed in place (`changeable_paths`, `changes_since`,
`apply_changes`) and the global random state (`rng_state`). Gradients cross both ways through
`attach_gradients`. A TransformerBridge argument travels as what rebuilds it (`bridge_reduction`),
a hook point as its name (`HookStandIn`).
"""

import dataclasses
import hashlib
import io
import pickle
import random
import socket
import struct
from typing import Any, Callable

import numpy as np
import torch

from exercises.harness import effects

_MAX_MESSAGE = 1 << 28  # 256 MB: far more than any test's tensors

def send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(struct.pack("<Q", len(data)) + data)
    except OSError as error:  # BrokenPipeError, ConnectionResetError: the other end is gone
        raise WorkerGone(f"the worker process ended ({error.strerror or error})") from None

def recv(sock: socket.socket) -> bytes:
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

def tag(value: Any, inputs: dict[int, tuple], handles: dict[int, Callable], depth: int = 0) -> tuple:
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
        fields = [[f.name, tag(getattr(value, f.name), inputs, handles, depth + 1)] for f in dataclasses.fields(value)]
        return ("dataclass", type(value).__qualname__, fields)
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return ("namedtuple", type(value).__qualname__, [tag(v, inputs, handles, depth + 1) for v in value])
    if type(value) in (list, tuple):
        return (type(value).__name__, [tag(v, inputs, handles, depth + 1) for v in value])
    if type(value) is dict:
        return ("dict", [[tag(k, {}, {}, depth + 1), tag(v, inputs, handles, depth + 1)] for k, v in value.items()])
    if callable(value) and not isinstance(value, (type, torch.nn.Module)):
        handles[len(handles) + 1] = value
        return ("handle", len(handles))
    return ("refused", f"a {type(value).__qualname__}")

def dumps_plain(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()

def loads_plain(data: bytes) -> Any:
    """What the worker sent, loaded as weights only: no code of the worker's runs here."""
    try:
        return torch.load(io.BytesIO(data), weights_only=True)
    except Exception as error:
        raise WorkerProtocolError(f"the worker sent something other than plain data ({type(error).__name__}: "
                                  f"{str(error)[:200]})") from None

class NotPlainData(Exception):
    """The learner's code returned something that cannot cross to the grader (the message says what)."""

    from_learner = True  # the whole answer was read: the worker waits, sound

def pair(node: Any) -> tuple:
    if type(node) is not list or len(node) != 2:
        raise WorkerProtocolError("malformed dict entry")
    return node[0], node[1]

def is_path(path: Any) -> bool:
    return type(path) is list and all(type(key) in (int, str) for key in path)

def changeable_paths(value: Any) -> list[tuple[list, Any]]:
    """effects.changeables, with paths as lists of plain keys: they cross between the processes."""
    return [(list(path), obj) for path, obj in effects.changeables(value)
            if all(type(key) in (str, int) for key in path)]

def plain_state(state: Any) -> Any:
    if isinstance(state, dict):
        return {k: plain_state(v) for k, v in state.items()}
    return torch.Tensor._make_subclass(torch.Tensor, state) if type(state) is not torch.Tensor else state

def apply_change(obj: Any, state: Any, where: str) -> None:
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

def apply_changes(call_inputs: dict, changes: Any) -> None:
    """The worker's report of what a call changed in place, applied to this side's objects."""
    if type(changes) is not list:
        raise WorkerProtocolError("malformed changes")
    for path, state in (pair(c) for c in changes):
        if not is_path(path):
            raise WorkerProtocolError("malformed change path")
        try:
            obj = effects.resolve(call_inputs, path)
        except (KeyError, IndexError, TypeError):
            raise WorkerProtocolError("a change to an input the call did not have") from None
        apply_change(obj, state, "an argument")

def changes_since(changeables: list, before: list) -> list:
    return [[path, plain_state(effects.state_of(obj))] for (path, obj), old in zip(changeables, before)
            if not effects.same_state(old, effects.state_of(obj))]

def grad_leaves(call_inputs: Any) -> list[torch.Tensor]:
    """The tensors of a call that gradients flow back to, in an order both sides agree on."""
    leaves = []
    for _, obj in changeable_paths(call_inputs):
        if isinstance(obj, torch.Tensor) and obj.requires_grad:
            leaves.append(obj)
        elif isinstance(obj, torch.nn.Module):
            leaves += [p for p in obj.parameters() if p.requires_grad]
    return leaves

def rng_state() -> dict:
    np_state = np.random.get_state()
    python_state = random.getstate()
    return {"torch": torch.get_rng_state(), "random": [python_state[0], torch.tensor(python_state[1]), python_state[2]],
            "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]]}

def set_rng_state(state: Any) -> None:
    try:
        torch.set_rng_state(state["torch"])
        version, internal, gauss = state["random"]
        random.setstate((version, tuple(internal.tolist()), gauss))
        name, keys, *rest = state["numpy"]
        np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    except Exception as error:
        raise WorkerProtocolError(f"the worker sent a random state that does not load ({error})") from None

def attach_gradients(result: Any, link: Any, graph: int, inputs: list[torch.Tensor], exclude: list) -> Any:
    """`result` with its tensors that need gradients connected to `inputs` through the other process:
    their backward asks `link.gradients(graph, grads)`."""
    skip = {id(t) for t in exclude}
    outputs = [t for t in flat_tensors(result) if t.requires_grad and id(t) not in skip]
    if not outputs or not inputs:
        return result
    linked = AcrossProcesses.apply(link, graph, len(outputs), *outputs, *inputs)
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

class AcrossProcesses(torch.autograd.Function):
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

def flat_tensors(value: Any, depth: int = 0) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if depth < 6 and isinstance(value, (list, tuple)):
        return [t for v in value for t in flat_tensors(v, depth + 1)]
    if depth < 6 and isinstance(value, dict):
        return [t for v in value.values() for t in flat_tensors(v, depth + 1)]
    return []

def detached(value: Any, depth: int = 0) -> Any:
    """A tool's result for the worker: tensors cut from this process's graph, still marked if they need grads."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if depth < 6 and type(value) in (list, tuple):
        return type(value)(detached(v, depth + 1) for v in value)
    if depth < 6 and type(value) is dict:
        return {k: detached(v, depth + 1) for k, v in value.items()}
    return value

class HookStandIn:
    """What a learner's hook receives as `hook` in the worker: the hook point's name, and its layer."""

    def __init__(self, name: str) -> None:
        self.name = name

    def layer(self) -> int:
        return int(self.name.split(".")[1])

    def __repr__(self) -> str:
        return f"HookPoint({self.name!r})"

def rebuild_bridge(kind: str, spec: bytes, state: dict) -> torch.nn.Module:
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
    from exercises.models import copy_model

    model = copy_model(_built_bridges[key])
    model.load_state_dict(state)
    return model

_built_bridges: dict[str, torch.nn.Module] = {}

def bridge_reduction(model: torch.nn.Module) -> tuple:
    original = model.original_model
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if hasattr(original, "config"):
        spec = (type(original), original.config, model.tokenizer, bool(getattr(model, "compatibility_mode", False)))
        return rebuild_bridge, ("hf", pickle.dumps(spec), state)
    return rebuild_bridge, ("native", pickle.dumps(model.cfg), state)
