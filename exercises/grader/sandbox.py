"""The sandbox the grader's worker runs in: what the learner's code can see, write and reach.

Three kinds, best first (`python -m exercises grade --sandbox KIND`, default `auto`):

- `bwrap`: bubblewrap (Debian's `bubblewrap` package) puts the worker in new Linux namespaces.
  It sees only the system's programs and libraries, the Python environment and its own copy of
  the course (read-only, without solutions/ or recordings); /tmp is its own and empty; no network;
  its own PID namespace, so killing it kills every process it started. As an ordinary user or
  as root (then it runs as uid 65534 inside the namespace).
- `user`: where user namespaces are forbidden (some containers), and the grader is root: the
  worker runs as a dedicated unprivileged uid, held by this run alone (a lock file per uid, so
  two grading runs at once never share one), in its own session. It sees the
  file system as that uid may (make the teacher's copy unreadable to others: the Gradescope
  bundle does), can reach the network, and its processes and files are removed after it by uid.
- `none`: no isolation (only with `--sandbox none`, never chosen by `auto`).
"""

import contextlib
import fcntl
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

KINDS = ("auto", "bwrap", "user", "none")
INSIDE = "/course"  # where the worker's copy of the course appears in the bwrap sandbox
_NOBODY = 65534
_UIDS = range(61000, 62000)  # user mode: each worker runs as a uid of this range that no other run holds
_ENV_KEPT = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "LANG", "LC_ALL", "TZ")


class SandboxUnavailable(Exception):
    pass


@functools.cache
def bwrap_works() -> bool:
    """Whether bubblewrap can make the namespaces here (containers may forbid user namespaces)."""
    if shutil.which("bwrap") is None:
        return False
    done = subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                           "true"], capture_output=True)
    return done.returncode == 0


def user_mode_works() -> bool:
    """Whether the user sandbox can run here: root, setpriv, and a Python an unprivileged uid can run."""
    return os.geteuid() == 0 and shutil.which("setpriv") is not None and python_reachable_by_others()



@functools.cache
def python_reachable_by_others() -> bool:
    """Whether an unprivileged uid can start this Python with torch (tried once, as root)."""
    probe = ["setpriv", f"--reuid={_UIDS.stop - 1}", f"--regid={_UIDS.stop - 1}", "--clear-groups",
             sys.executable, "-c", "import torch"]
    try:
        return subprocess.run(probe, capture_output=True, cwd="/", timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def choose(kind: str) -> str:
    """The sandbox kind `auto` means here, or `kind` if it can run here; SandboxUnavailable says why not."""
    if kind == "auto":
        if bwrap_works():
            return "bwrap"
        if user_mode_works():
            return "user"
        raise SandboxUnavailable(
            "no sandbox for the learner's code can run here: install bubblewrap (apt-get install -y bubblewrap; "
            "it needs user namespaces), or grade as root (the worker then runs as its own unprivileged user). "
            "--sandbox none grades without isolation, for code you trust.")
    if kind == "bwrap" and not bwrap_works():
        raise SandboxUnavailable("bubblewrap is not installed or cannot create namespaces here "
                                 "(apt-get install -y bubblewrap; containers may forbid user namespaces)")
    if kind == "user" and (os.geteuid() != 0 or not shutil.which("setpriv")):
        raise SandboxUnavailable("--sandbox user needs root (to switch to an unprivileged uid) and setpriv")
    if kind == "user" and not python_reachable_by_others():
        raise SandboxUnavailable(f"--sandbox user: an unprivileged uid cannot run this Python ({sys.prefix}): "
                                 f"make its folders readable and searchable by others (chmod o+rx)")
    return kind


def worker_env() -> dict[str, str]:
    """The worker's environment: nothing of the grader's but the kernel settings (exercises/harness/kernels.py)."""
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/tmp", PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", MPLCONFIGDIR="/tmp")
    return env


def _python_roots() -> list[str]:
    """The folders the worker's Python needs: the environment, the interpreter's installation."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    return sorted(str(r) for r in roots if not str(r).startswith(("/usr", "/bin", "/lib")))


@contextlib.contextmanager
def private_uid(kind: str) -> Iterator[int | None]:
    """In user mode, a uid no other grading run on this machine holds while the block runs; else None."""
    if kind != "user":
        yield None
        return
    for uid in _UIDS:
        lock = Path(tempfile.gettempdir()) / f"learn-mech-interp-uid-{uid}.lock"
        handle = open(lock, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield uid
        finally:
            lock.unlink(missing_ok=True)
            handle.close()
        return
    raise SandboxUnavailable(f"every uid of {_UIDS.start}-{_UIDS.stop - 1} is held by another grading run")


def command(kind: str, course: Path, folder: str, uid: int | None) -> tuple[list[str], str]:
    """(the command that starts the worker for `folder` from the course copy `course`, its working folder).
    The worker appends the socket's file descriptor number as its last argument."""
    worker = [sys.executable, "-m", "exercises.grader.worker"]
    if kind == "bwrap":  # in order: the fresh mounts first, so that no bind below (a venv in /tmp) is hidden
        system = ["/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/alternatives", "/etc/ld.so.cache",
                  "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd",
                  "/etc/group"]
        binds = [arg for path in system for arg in ("--ro-bind-try", path, path)]
        binds += [arg for path in _python_roots() for arg in ("--ro-bind", path, path)]
        user = ["--uid", str(_NOBODY), "--gid", str(_NOBODY)] if os.geteuid() == 0 else []
        return (["bwrap", "--unshare-all", "--die-with-parent", "--new-session", *user,
                 "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *binds, "--ro-bind", str(course), INSIDE,
                 "--remount-ro", "/", "--chdir", INSIDE, *worker, INSIDE, folder], "/")
    if kind == "user":
        return (["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", *worker, str(course), folder], str(course))
    return ([*worker, str(course), folder], str(course))


def clean_up(kind: str, uid: int | None) -> None:
    """After the worker is killed: in user mode, every process and temporary file of its uid."""
    if kind != "user":
        return
    subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "kill", "-KILL", "-1"],
                   capture_output=True)
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock"):
        if Path(folder).is_dir():
            subprocess.run(["find", folder, "-xdev", "-uid", str(uid), "-delete"], capture_output=True)
    for kind, flag in (("shm", "-m"), ("sem", "-s"), ("msg", "-q")):  # System V shared memory, semaphores, queues
        for ipc_id in _ipc_ids_of(kind, uid):
            subprocess.run(["ipcrm", flag, str(ipc_id)], capture_output=True)


def _ipc_ids_of(kind: str, uid: int) -> list[int]:
    """The System V IPC objects of `kind` ("shm", "sem", "msg") that `uid` owns, from /proc/sysvipc."""
    try:
        header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
    except OSError:
        return []
    columns = header.split()
    return [int(row.split()[1]) for row in rows if row.split()[columns.index("uid")] == str(uid)]


def readable_by_others(path: Path) -> bool:
    """Whether an unprivileged uid could read `path` (every folder above it searchable, it readable)."""
    path = path.resolve()
    if not all(folder.stat().st_mode & 0o001 for folder in path.parents):
        return False
    mode = path.stat().st_mode
    return bool(mode & 0o004) and (not path.is_dir() or bool(mode & 0o001))



NONE_CAN_RUN = 3  # python -m exercises.grader.sandbox's exit code when no sandbox can run here


def main() -> int:
    """Prints the sandbox `auto` picks here; exits NONE_CAN_RUN, saying why, when none can run. Any other
    failure (the course does not import) is an error, never a reason to grade without a sandbox."""
    try:
        print(choose("auto"))
    except SandboxUnavailable as error:
        print(error, file=sys.stderr)
        return NONE_CAN_RUN
    return 0


if __name__ == "__main__":
    sys.exit(main())
