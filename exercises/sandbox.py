"""The sandbox the grader's worker runs in: what the learner's code can see, write and reach.

Three kinds, best first (`python -m exercises grade --sandbox KIND`, default `auto`):

- `bwrap`: bubblewrap (Debian's `bubblewrap` package) puts the worker in new Linux namespaces.
  It sees only the system's programs and libraries, the Python environment and its own copy of
  the course (read-only, without solutions/ or recordings); /tmp is its own and empty; no network;
  its own PID namespace, so killing it kills every process it started. As an ordinary user or
  as root (then it runs as uid 65534 inside the namespace).
- `user`: where user namespaces are forbidden (some containers), and the grader is root: the
  worker runs as a dedicated unprivileged uid (one per part), in its own session. It sees the
  file system as that uid may (make the teacher's copy unreadable to others: the Gradescope
  bundle does), can reach the network, and its processes and files are removed after it by uid.
- `none`: no isolation (only with `--sandbox none`, never chosen by `auto`).
"""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

KINDS = ("auto", "bwrap", "user", "none")
INSIDE = "/course"  # where the worker's copy of the course appears in the bwrap sandbox
_NOBODY = 65534
_FIRST_UID = 61000  # user mode: part N's worker runs as uid 61000 + N
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


def choose(kind: str) -> str:
    """The sandbox kind `auto` means here, or `kind` if it can run here; SandboxUnavailable says why not."""
    if kind == "auto":
        if bwrap_works():
            return "bwrap"
        if os.geteuid() == 0 and shutil.which("setpriv"):
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
    return kind


def worker_env() -> dict[str, str]:
    """The worker's environment: nothing of the grader's but the kernel settings (exercises/kernels.py)."""
    env = {k: os.environ[k] for k in _ENV_KEPT if k in os.environ}
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/tmp", PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", MPLCONFIGDIR="/tmp")
    return env


def _python_roots() -> list[str]:
    """The folders the worker's Python needs: the environment, the interpreter's installation."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    return sorted(str(r) for r in roots if not str(r).startswith(("/usr", "/bin", "/lib")))


def command(kind: str, course: Path, folder: str, slot: int) -> tuple[list[str], str]:
    """(the command that starts the worker for `folder` from the course copy `course`, its working folder).
    The worker appends the socket's file descriptor number as its last argument."""
    worker = [sys.executable, "-m", "exercises.remote"]
    if kind == "bwrap":
        system = ["/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/alternatives", "/etc/ld.so.cache",
                  "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd",
                  "/etc/group"]
        binds = [arg for path in system for arg in ("--ro-bind-try", path, path)]
        binds += [arg for path in _python_roots() for arg in ("--ro-bind", path, path)]
        user = ["--uid", str(_NOBODY), "--gid", str(_NOBODY)] if os.geteuid() == 0 else []
        return (["bwrap", "--unshare-all", "--die-with-parent", "--new-session", *user, *binds,
                 "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", str(course), INSIDE,
                 "--remount-ro", "/", "--chdir", INSIDE, *worker, INSIDE, folder], "/")
    if kind == "user":
        uid = str(_FIRST_UID + slot)
        return (["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", *worker, str(course), folder], str(course))
    return ([*worker, str(course), folder], str(course))


def clean_up(kind: str, slot: int) -> None:
    """After the worker is killed: in user mode, every process and temporary file of its uid."""
    if kind != "user":
        return
    uid = _FIRST_UID + slot
    subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "kill", "-KILL", "-1"],
                   capture_output=True)
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        subprocess.run(["find", folder, "-xdev", "-uid", str(uid), "-delete"], capture_output=True)


def readable_by_others(path: Path) -> bool:
    """Whether an unprivileged uid could read `path` (every folder above it searchable, it readable)."""
    path = path.resolve()
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if not mode & 0o001 or (folder == path and not mode & 0o004):
            return False
    return True

