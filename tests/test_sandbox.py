"""The grader's worker sandbox (exercises/grader/sandbox.py), probed from inside by a learner's file.

Each case starts a real worker on a course copy whose exercises.py looks around while it is
imported and reports what it found as its import error (the one message a worker sends before
it answers calls), then checks what the sandbox promises: what the code can see, write and
reach, and that nothing it started outlives the worker.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import types
from pathlib import Path

import pytest

from exercises.grader import sandbox, trusted
from exercises.parts import ROOT

pytestmark = pytest.mark.timeout(120)
MARKER = "27.1828"  # `sleep 27.1828`: a process only a probe starts

PROBE = textwrap.dedent("""
    import json, os, socket
    found = {"uid": os.getuid(), "cwd": os.getcwd(), "env": dict(os.environ)}
    found["course_root_holds"] = sorted(os.listdir(COURSE_ROOT)) if os.path.isdir(COURSE_ROOT) else []
    found["sees_solutions"] = any(os.path.exists(p) for p in (COURSE_ROOT + "/solutions", "/course/solutions"))
    found["sees_golden"] = os.path.exists("/course/probe_part/tests/golden.pt")
    def can_write(path):
        try:
            with open(path, "w") as f:
                f.write("x")
            return True
        except OSError:
            return False
    found["writes_course"] = can_write(os.path.join(os.path.dirname(__file__), "written.txt"))
    found["writes_root_copy"] = can_write(COURSE_ROOT + "/written-by-probe.txt")
    found["writes_tmp"] = can_write("/tmp/probe-" + MARKER)
    def connects(host, port):
        try:
            socket.create_connection((host, port), timeout=2).close()
            return True
        except OSError:
            return False
    found["reaches_local_port"] = connects("127.0.0.1", PORT)
    if os.fork() == 0:  # a daemon in its own session, which a process-group kill would miss
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", MARKER])
        os._exit(0)
    raise RuntimeError("PROBE" + json.dumps(found))
""")


def _probe(tmp_path: Path, kind: str, port: int) -> dict:
    """Starts a worker of `kind` on a course copy whose exercises.py is the probe; returns what it found.
    `tmp_path` must be a folder an unprivileged user can reach (see the `reachable` fixture)."""
    course = tmp_path / "course"
    part = course / "probe_part"
    (part / "tests").mkdir(parents=True)
    (part / "__init__.py").write_text("")
    (part / "tests" / "golden.pt").write_text("never copied into a real worker's course")
    header = f"COURSE_ROOT = {str(ROOT)!r}\nMARKER = {MARKER!r}\nPORT = {port}\n"
    (part / "exercises.py").write_text(header + PROBE)
    shutil.copytree(ROOT / "exercises", course / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    for path in [course, *course.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    os.environ["GRADER_SECRET"] = "s3cret"  # the grader's environment: the worker must not inherit it
    with sandbox.private_uid(kind) as uid:
        command, cwd = sandbox.command(kind, course, "probe_part", uid)
        worker = trusted.Worker("probe_part", types.ModuleType("probe_part.exercises"), command, sandbox.worker_env(),
                               cwd, on_stop=lambda: sandbox.clean_up(kind, uid))
        worker.start()
        worker.ready()
        time.sleep(0.5)  # the daemon is running now, if the sandbox let it
        worker.stop()
    problem = worker.import_problem or ""
    assert "PROBE" in problem, f"the probe did not report: {problem}"
    return json.loads(problem.split("PROBE", 1)[1])


@pytest.fixture
def reachable():
    """A temporary folder under /tmp that the user sandbox's uid can enter (pytest's own is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    yield server
    server.close()


def _left_running() -> list[str]:
    return subprocess.run(["pgrep", "-f", f"sleep {MARKER}"], capture_output=True, text=True).stdout.split()


@pytest.mark.skipif(not sandbox.bwrap_works(), reason="bubblewrap cannot make namespaces here")
def test_bwrap_sees_only_its_course_and_nothing_outlives_it(reachable, listener):
    found = _probe(reachable, "bwrap", listener.getsockname()[1])
    # the teacher's copy is hidden; only the Python environment shows, where it lives inside that copy
    assert set(found["course_root_holds"]) <= {".venv"} and not found["sees_solutions"], found
    assert not found["writes_course"], f"the worker's course must be read-only: {found}"
    # a write to the teacher's copy's path lands in the sandbox's own /tmp, if that path is under /tmp; never here
    assert found["writes_tmp"] and not Path(f"/tmp/probe-{MARKER}").exists(), "the sandbox's /tmp must be its own"
    assert not found["reaches_local_port"], "the sandbox must have no network"
    assert found["cwd"] == sandbox.INSIDE and "GRADER_SECRET" not in found["env"]
    if os.geteuid() == 0:
        assert found["uid"] == 65534, "as root, the worker runs as an unprivileged uid inside the namespace"
    assert not _left_running(), "the daemon the probe started outlived the worker"
    assert not (ROOT / "written-by-probe.txt").exists()


@pytest.mark.skipif(not sandbox.user_mode_works(), reason="the user sandbox needs root, setpriv and a Python other "
                                                           "users can run")
def test_user_sandbox_runs_unprivileged_and_is_cleaned_up(reachable, listener):
    found = _probe(reachable, "user", listener.getsockname()[1])
    assert 61000 <= found["uid"] < 62000
    assert not found["writes_course"] and not found["writes_root_copy"], found
    assert not Path(f"/tmp/probe-{MARKER}").exists(), "the worker's files in /tmp are removed after it"
    assert not _left_running(), "the daemon the probe started outlived the worker"


def test_none_is_never_chosen_by_auto(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap"):
        sandbox.choose("auto")
    assert sandbox.choose("none") == "none"


def test_the_grader_refuses_without_a_sandbox(tmp_path):
    """No bubblewrap and not root: the grade command says what to install, and grades nothing."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    code = ("import os, sys; from exercises import cli; from exercises.grader import sandbox; sandbox.bwrap_works = lambda: False; "
            "os.geteuid = lambda: 1000; sys.argv = ['exercises', 'grade', sys.argv[1], '--out', sys.argv[2]]; "
            "sys.exit(cli.main())")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(tmp_path / "r.json")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "install bubblewrap" in done.stderr, done.stdout + done.stderr
    assert not (tmp_path / "r.json").exists()
