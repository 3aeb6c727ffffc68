"""What the grader's trusted process accepts from a worker (exercises/grader/wire.py, trusted.py): plain data only.

A worker is the learner's code, so everything it sends is hostile until checked: these cases
send the trusted side's decoder what a forging worker could, and check it is refused with a
message, without running any of the worker's code.
"""

import dataclasses
import io
import os
import pickle
import types

import pytest
import torch

from exercises.grader import trusted, wire


@dataclasses.dataclass
class Batch:
    tokens: torch.Tensor
    name: str


GIVEN = types.ModuleType("part9_probe.exercises")
GIVEN.Batch = Batch
Batch.__module__ = GIVEN.__name__  # as if defined in the part's given code


def _untag(tree, call_inputs=None):
    return trusted.untag(tree, call_inputs, GIVEN, worker=None)


def _saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


class _Lying(torch.Tensor):
    def __eq__(self, other):
        return True


def test_plain_data_round_trips():
    value = {"losses": [1.0, 2.5], "W": torch.ones(2, 3), "n": 3, "ok": True, "none": None, "pair": (1, "a"),
             "size": torch.Size([2, 3])}
    back = _untag(_loads(_saved(wire.tag(value, {}, {}))))
    assert back.keys() == value.keys() and torch.equal(back["W"], value["W"]) and back["pair"] == (1, "a")
    assert type(back["W"]) is torch.Tensor and back["size"] == torch.Size([2, 3])


def _loads(data: bytes):
    return wire.loads_plain(data)


def test_a_tensor_subclass_is_refused_on_both_sides():
    lying = torch.zeros(3).as_subclass(_Lying)
    assert wire.tag(lying, {}, {})[0] == "refused"
    with pytest.raises(wire.WorkerProtocolError, match="plain data"):  # a forged node carrying the subclass
        _loads(_saved(("tensor", lying, False)))


def test_a_pickle_that_would_run_code_is_refused_unrun(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with pytest.raises(wire.WorkerProtocolError, match="plain data"):
        _loads(pickle.dumps(("answer", Payload(), None, [], {}), protocol=2))
    assert not marker.exists()


@pytest.mark.parametrize("tree, why", [
    (["tensor", torch.ones(1), False], "malformed"),  # a list, not a tuple node
    (("tensor", torch.ones(1)), "malformed"),
    (("value", object.__name__.encode()), "malformed"),  # bytes are not a value
    (("input", ["args", 5]), "did not have"),
    (("frobnicate", 1), "malformed"),
])
def test_malformed_answers_are_protocol_errors(tree, why):
    with pytest.raises(wire.WorkerProtocolError, match=why):
        _untag(tree, {"args": [1], "kwargs": {}})


def test_only_the_given_codes_dataclasses_are_rebuilt():
    fields = [["tokens", ("tensor", torch.arange(3), False)], ["name", ("value", "x")]]
    batch = _untag(("dataclass", "Batch", fields))
    assert type(batch) is Batch and batch.name == "x"
    with pytest.raises(wire.NotPlainData, match="not a dataclass of the part's given code"):
        _untag(("dataclass", "os", fields))
    with pytest.raises(wire.NotPlainData, match="fields"):
        _untag(("dataclass", "Batch", fields[:1]))


def test_refused_values_say_what_they_were():
    with pytest.raises(wire.NotPlainData, match="a generator"):
        _untag(wire.tag((x for x in ()), {}, {}))


def test_changes_must_fit_the_object_they_change():
    target = torch.zeros(2, 3)
    with pytest.raises(wire.NotPlainData, match="does not fit"):
        wire.apply_change(target, torch.ones(3, 2), "an argument")
    module = torch.nn.Linear(2, 2)
    with pytest.raises(wire.NotPlainData, match="does not fit"):
        wire.apply_change(module, {"weight": torch.ones(2, 2)}, "an argument")  # no bias
    wire.apply_change(target, torch.ones(2, 3), "an argument")
    assert torch.equal(target, torch.ones(2, 3))


def test_tools_stay_behind_and_the_given_classes_become_the_learners():
    counted = []
    buffer = io.BytesIO()
    tools: dict = {}
    trusted.ArgumentPickler(buffer, "part9_probe", ("part9_probe.exercises",), tools).dump(
        (counted.append, lambda x: x, torch.relu, Batch))
    assert [type(t).__name__ for t in tools.values()] == ["builtin_function_or_method", "function"]
    assert b"given_attribute" in buffer.getvalue()  # Batch is looked up in the learner's file by name
