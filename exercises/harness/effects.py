"""What a call may change in place: the tensors, modules and generators inside its arguments.

The golden files record these changes and replay them (exercises/harness/recordings.py); the grader's worker
reports them to the trusted process, which applies them (exercises/grader/wire.py). Both walk a
call's arguments the same way and compare states the same way, here.
"""

from typing import Any, Iterator

import torch


def changeables(value: Any, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, Any]]:
    """(path, object) for every tensor, module and generator inside a call's arguments."""
    if isinstance(value, (torch.Tensor, torch.nn.Module, torch.Generator)):
        yield path, value
    elif depth < 4 and isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from changeables(item, path + (i,), depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for key, item in value.items():
            yield from changeables(item, path + (key,), depth + 1)


def resolve(root: Any, path: Any) -> Any:
    """The object at `path` (keys and indices) inside `root`."""
    for key in path:
        root = root[key]
    return root


def state_of(obj: Any) -> Any:
    """A copy of what a call could change: a tensor's values, a module's state dict, a generator's state."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, torch.nn.Module):
        return {k: v.detach().clone() for k, v in obj.state_dict().items()}
    return obj.get_state().clone()


def same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)
