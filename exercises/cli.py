"""The learner's command line.

    python -m exercises                       # progress per part, and what to do next
    python -m exercises check part0           # run part 0's tests with friendly output
    python -m exercises replicate part0       # run part 0's experiment on your code
    python -m exercises replicate part0 --target solutions --quick
    python -m exercises grade SUBMISSION_DIR --out result.json   # teachers (exercises/grade.py)
"""

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from exercises import grade as grader
from exercises.data import DataFileError
from exercises.device import DeviceError, get_device
from exercises.grading import exercise_file_stem
from exercises.parts import PARTS, ROOT, Part, PartNotBuilt, UnknownPart, built_part, built_parts
from exercises.stubgen import exercise_functions


def _test_file(part: Part, qualname: str) -> Path:
    return part.tests_path / f"test_{exercise_file_stem(qualname)}.py"


def _run_pytest(paths: list[Path], target: str, extra: list[str] = (), quiet: bool = True) -> dict:
    """Runs pytest in a fresh process and returns {nodeid: {"outcome", "message", "path"}}."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pytest", *map(str, paths), f"--target={target}",
                   f"--report-json={report}", *extra]
        if quiet:
            command += ["-q", "--no-header", "-p", "no:warnings"]
            subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            subprocess.run(command, cwd=ROOT)
        return json.loads(report.read_text()) if report.exists() else {}


def _hint(node) -> str:
    doc = (node.body[0].value.value or "").strip()
    hints = [line.strip().removeprefix("Hint:").strip() for line in doc.splitlines() if line.strip().startswith("Hint:")]
    return hints[0] if hints else doc.splitlines()[0]


def part_status(part: Part, results: dict) -> list[tuple[str, bool, str]]:
    """(exercise, passing, hint) for each exercise of `part`, in the lesson's order."""
    rows = []
    for name, node in exercise_functions(part.source_path.read_text(encoding="utf-8")):
        path = str(_test_file(part, name))
        outcomes = [r["outcome"] for r in results.values() if r["path"] == path]
        rows.append((name, bool(outcomes) and all(o == "passed" for o in outcomes), _hint(node)))
    return rows


def show_progress(parts: list[Part], results: dict, target: str, *, with_unbuilt: bool = True) -> None:
    print(f"Progress ({'your exercises' if target == 'exercises' else target}):\n")
    for part in PARTS:
        if part not in parts:
            if with_unbuilt and not part.is_built:
                print(f"  {part.short}  {part.title}: coming soon")
            continue
        rows = part_status(part, results)
        done = sum(passing for _, passing, _ in rows)
        bar = "#" * done + "." * (len(rows) - done)
        print(f"  {part.short}  {part.title}: {done}/{len(rows)} [{bar}]")
        todo = next(((name, hint) for name, passing, hint in rows if not passing), None)
        if todo:
            print(f"         next: {todo[0]} -- {todo[1]}")
            print(f"         run:  python -m exercises check {part.short}")
    print()


def progress(args: argparse.Namespace) -> int:
    parts = built_parts()
    results = _run_pytest([p.tests_path for p in parts], args.target)
    show_progress(parts, results, args.target)
    return 0


def check(args: argparse.Namespace) -> int:
    part = built_part(args.part)
    paths = [_test_file(part, name) for name in _matching(part, args.exercise)]
    results = _run_pytest(paths, args.target, extra=["-q", "--no-header", "-rN"], quiet=False)
    print()
    show_progress([part], results, args.target, with_unbuilt=False)
    return 0 if results and all(r["outcome"] == "passed" for r in results.values()) else 1


def _matching(part: Part, exercise: str | None) -> list[str]:
    names = [name for name, _ in exercise_functions(part.source_path.read_text(encoding="utf-8"))]
    if exercise is None:
        return names
    chosen = [n for n in names if exercise.lower() in n.lower()]
    if not chosen:
        raise UnknownPart(f"{part.short} has no exercise matching {exercise!r}. Its exercises: {', '.join(names)}")
    return chosen


def replicate(args: argparse.Namespace) -> int:
    part = built_part(args.part)
    if args.device is not None:
        get_device(args.device)  # an unknown or unusable device fails here, in one line, before any work
    module = importlib.import_module(f"{part.folder}.replicate")
    out_dir = Path(args.out) if args.out else part.path / "figures"
    try:
        module.run(target=args.target, quick=args.quick, device=args.device, out_dir=out_dir)
    except NotImplementedError:
        frame = traceback.extract_tb(sys.exc_info()[2])[-1]
        print(f"\n{part.short}'s replication runs your code, and {frame.name} is not implemented yet.\n"
              f"Finish the exercises first (python -m exercises check {part.short}), "
              f"or see the reference: python -m exercises replicate {part.short} --target solutions")
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m exercises", description="Your progress through the course.")
    parser.add_argument("--target", choices=("exercises", "solutions"), default="exercises",
                        help="grade your exercises (default) or the reference solutions")
    parser.set_defaults(command=progress)
    sub = parser.add_subparsers(title="commands")
    sub.add_parser("progress", help="progress per part (the default)").set_defaults(command=progress)
    p = sub.add_parser("check", help="run one part's tests")
    p.add_argument("part", help="part0, 1, mnist, ...")
    p.add_argument("exercise", nargs="?", help="only the exercises whose name contains this")
    p.set_defaults(command=check)
    p = sub.add_parser("replicate", help="run a part's experiment end to end")
    p.add_argument("part")
    p.add_argument("--quick", action="store_true", help="a small, fast version (seconds)")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: CUDA if present, else CPU)")
    p.add_argument("--out", default=None, help="folder for figures (default: the part's figures/)")
    p.set_defaults(command=replicate)
    for p in sub.choices.values():
        p.add_argument("--target", choices=("exercises", "solutions"), default=argparse.SUPPRESS)
    p = sub.add_parser("grade", help="teachers: grade a learner's submission (see exercises/grade.py)")
    grader.build_parser(p).set_defaults(command=grader.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.command(args)
    except (UnknownPart, PartNotBuilt, DataFileError, DeviceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
