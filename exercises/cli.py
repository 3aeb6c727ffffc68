"""The learner's command line.

    python -m exercises                       # progress per part, and what to do next
    python -m exercises check part0           # run part 0's tests with friendly output
    python -m exercises watch [part0]         # rerun the current exercise's tests on every save
    python -m exercises replicate part0       # run part 0's experiment on your code
    python -m exercises replicate part0 --target solutions --quick
    python -m exercises replicate part3 --natural   # and the phase change on natural text
    python -m exercises grade SUBMISSION_DIR --out result.json   # teachers (exercises/grader/grade.py)
"""

import argparse
import hashlib
import importlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

# No torch here (nor anything that imports it): the progress view answers from its cache in a
# fraction of a second, and importing torch alone takes seconds on a busy machine.
from exercises.grader import grade as grader
from exercises.harness.stubs import exercise_functions, solutions_notebook_path
from exercises.ipynb import IPYNB, learner_code, learner_path, where
from exercises.parts import PARTS, ROOT, Part, PartNotBuilt, UnknownPart, built_part, built_parts, exercise_file_stem

CACHE_DIR = ROOT / ".cache"  # git-ignored: test results per part, keyed by the files they depend on
HARNESS = (ROOT / "conftest.py", *sorted(f for f in (ROOT / "exercises").rglob("*.py") if "__pycache__" not in f.parts))  # the harness and the toolkit


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


class Status:
    """A spinner with a message on stderr while something slow runs (one plain line when stderr
    is not a terminal)."""

    def __init__(self, message: str) -> None:
        self.message, self.done = message, threading.Event()
        self.thread = threading.Thread(target=self._spin, daemon=True)

    def _spin(self) -> None:
        started = time.monotonic()
        for frame in itertools.cycle("|/-\\"):
            sys.stderr.write(f"\r{frame} {self.message} ({time.monotonic() - started:.0f} s)")
            sys.stderr.flush()
            if self.done.wait(0.2):
                sys.stderr.write("\r" + " " * (len(self.message) + 12) + "\r")
                return

    def __enter__(self) -> "Status":
        if sys.stderr.isatty():
            self.thread.start()
        else:
            print(f"{self.message} ...", file=sys.stderr)
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()


# --- cached results: nothing runs again until a file the results depend on changes ---


def files_results_depend_on(part: Part) -> list[Path]:
    """Everything `part`'s test results depend on: the Python files in its folder (exercises.py,
    tests, helpers) and its exercises.ipynb, its solutions or recorded outputs, and the harness."""
    files = sorted(f for f in part.path.rglob("*.py") if "__pycache__" not in f.parts)
    files += [f for f in [part.path / IPYNB] if f.exists()]
    return files + [f for f in (part.solutions_path, part.tests_path / "golden.pt", *HARNESS) if f.exists()]


def results_key(part: Part, target: str) -> str:
    """A hash of `target` and the contents of files_results_depend_on(part)."""
    digest = hashlib.sha256(target.encode())
    for f in files_results_depend_on(part):
        digest.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def _cache_path(target: str) -> Path:
    return CACHE_DIR / f"progress-{target}.json"


def load_cache(target: str) -> dict:
    try:
        return json.loads(_cache_path(target).read_text())
    except (OSError, ValueError):
        return {}


def cached_results(part: Part, target: str, key: str | None = None) -> dict | None:
    """`part`'s cached results if nothing changed since they were recorded, else None."""
    entry = load_cache(target).get(part.short)
    return entry["results"] if entry and entry.get("key") == (key or results_key(part, target)) else None


def store_results(part: Part, target: str, key: str, results: dict) -> None:
    """Records a complete set of `part`'s results, valid while its results_key is `key`."""
    if not results:  # pytest was interrupted or could not start: nothing worth keeping
        return
    cache = load_cache(target)
    cache[part.short] = {"key": key, "results": results}
    path = _cache_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(cache))
    temporary.replace(path)  # atomic: two views at once never see half a file


def syntax_problem(path: Path) -> str | None:
    """ "SyntaxError at line N: ..." if `path` does not compile, else None (nothing is run)."""
    try:
        compile(path.read_bytes(), str(path), "exec")
    except SyntaxError as error:  # IndentationError and TabError too
        return f"{type(error).__name__} at line {error.lineno}: {error.msg}"
    except ValueError as error:  # null bytes
        return f"{type(error).__name__}: {error}"
    return None


def learner_syntax_problem(part: Part) -> str | None:
    """ "SyntaxError at line N: ..." if the learner's code does not compile (or which of two files holds
    it is unclear), else None (nothing is run)."""
    try:
        code = learner_code(part.path, part.folder)
    except ValueError as error:  # exercises.py and exercises.ipynb both changed; a broken notebook
        return str(error)
    if not code.is_notebook:
        return syntax_problem(code.path)
    for filename, source in code.cells:
        try:
            compile(source, filename, "exec")
        except SyntaxError as error:
            return f"{type(error).__name__} at {where(filename, error.lineno)}: {error.msg}"
    return None


def import_problem(part: Part, results: dict, target: str) -> str | None:
    """Why `part`'s exercises.py does not import (a syntax error, or what its tests reported), else None."""
    if target != "exercises":
        return None
    problem = learner_syntax_problem(part)
    if problem:
        return problem
    for result in results.values():
        message = result.get("message", "")
        if " does not import:" in message:
            return message.split(" does not import:", 1)[1].strip().splitlines()[0]
    return None


def collect_results(parts: list[Part], target: str) -> dict:
    """Test results of `parts`: from the cache where nothing changed, otherwise from one quiet
    pytest run over every changed part (skipped for a part whose exercises.py does not compile)."""
    results, stale = {}, []
    for part in parts:
        key = results_key(part, target)
        cached = cached_results(part, target, key)
        if cached is not None:
            results |= cached
        elif not (target == "exercises" and learner_syntax_problem(part)):
            stale.append((part, key))
    if stale:
        with Status(f"running the tests of {', '.join(part.short for part, _ in stale)}"):
            fresh = _run_pytest([part.tests_path for part, _ in stale], target)
        for part, key in stale:
            store_results(part, target, key, _of_part(part, fresh))
        results |= fresh
    return results


def _of_part(part: Part, results: dict) -> dict:
    return {node: r for node, r in results.items() if Path(r["path"]).is_relative_to(part.tests_path)}


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
                print(f"  {part.short}  {part.title}: incomplete here, {' and '.join(part.missing_files)} missing")
            continue
        try:
            learner_code(part.path, part.folder)
        except ValueError as unclear:  # exercises.py and exercises.ipynb both changed; a broken notebook
            print(f"  {part.short}: {unclear}")
            continue
        problem = import_problem(part, _of_part(part, results), target)
        if problem:
            path = learner_path(part.path)
            print(f"  {part.short}: {path.name} does not import: {problem}")
            print(f"         fix {path.relative_to(ROOT)} first; then: python -m exercises check {part.short}")
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
    show_progress(parts, collect_results(parts, args.target), args.target)
    return 0


def check(args: argparse.Namespace) -> int:
    part = built_part(args.part)
    key = results_key(part, args.target)  # before the run: a save during it makes the results stale
    paths = [_test_file(part, name) for name in _matching(part, args.exercise)]
    results = _run_pytest(paths, args.target, extra=["-q", "--no-header", "-rN"], quiet=False)
    print()
    show_progress([part], _with_the_rest(part, args.target, key, paths, results), args.target, with_unbuilt=False)
    return 0 if results and all(r["outcome"] == "passed" for r in results.values()) else 1


def _with_the_rest(part: Part, target: str, key: str, paths: list[Path], results: dict) -> dict:
    """`results` of some of `part`'s test files, completed with the other files' results (from the
    cache if still valid, else run quietly now), so the progress view never forgets them."""
    ran = {str(path) for path in paths}
    others = [path for path in (_test_file(part, name) for name in _matching(part, None)) if str(path) not in ran]
    if others:
        earlier = cached_results(part, target, key)
        if earlier is None:
            with Status(f"checking {part.short}'s other exercises"):
                earlier = _run_pytest(others, target)
        results = {node: r for node, r in earlier.items() if r["path"] not in ran} | results
    store_results(part, target, key, results)
    return results


def watch(args: argparse.Namespace) -> int:
    """Reruns the current exercise's tests whenever exercises.py is saved; moves on when they pass."""
    try:
        part = built_part(args.part) if args.part else _first_unfinished(args.target)
        if part is None:
            print("Every exercise of every built part passes. Well done!")
            return 0
        return watch_part(part, args.target, collect_results([part], args.target), wait_for_save)
    except KeyboardInterrupt:
        print("\nstopped watching.")
        return 0


def _first_unfinished(target: str) -> Part | None:
    parts = built_parts()
    results = collect_results(parts, target)
    return next((p for p in parts if not all(passing for _, passing, _ in part_status(p, results))), None)


def watch_part(part: Part, target: str, results: dict, wait) -> int:
    """The watch loop for one part: `wait(path, stamp)` returns once `path` changed after `stamp`."""
    while True:
        todo = next((name for name, passing, _ in part_status(part, results) if not passing), None)
        if todo is None:
            print(f"\n{part.short}: every exercise passes. Next: python -m exercises replicate {part.short}")
            return 0
        path = learner_path(part.path)  # exercises.py, or the exercises.ipynb made from it
        stamp = file_stamp(path)
        print(f"\n==> {part.short} {todo}")
        test_file = _test_file(part, todo)
        fresh = _run_pytest([test_file], target, extra=["-q", "--no-header", "-rN"], quiet=False)
        results = {node: r for node, r in results.items() if r["path"] != str(test_file)} | fresh
        if fresh and all(r["outcome"] == "passed" for r in fresh.values()):
            print(f"{todo} passes: on to the next exercise.")
            continue
        print(f"\nwatching {path.relative_to(ROOT)}: save it to rerun {todo}'s tests (Ctrl-C to stop)")
        wait(path, stamp)


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:  # some editors save by deleting and renaming
        return None
    return stat.st_mtime_ns, stat.st_size


def wait_for_save(path: Path, stamp: tuple[int, int] | None, poll: float = 0.3) -> None:
    """Returns once `path` differs from `stamp` (a save while the tests ran counts too)."""
    while file_stamp(path) in (stamp, None):
        time.sleep(poll)


def _matching(part: Part, exercise: str | None) -> list[str]:
    names = [name for name, _ in exercise_functions(part.source_path.read_text(encoding="utf-8"))]
    if exercise is None:
        return names
    chosen = [n for n in names if exercise.lower() in n.lower()]
    if not chosen:
        raise UnknownPart(f"{part.short} has no exercise matching {exercise!r}. Its exercises: {', '.join(names)}")
    return chosen


def replicate(args: argparse.Namespace) -> int:
    from exercises.device import get_device  # imports torch: only here, not in the progress view

    part = built_part(args.part)
    if args.device is not None:
        get_device(args.device)  # an unknown or unusable device fails here, in one line, before any work
    if args.natural and part.number != 3:
        print(f"error: --natural is part 3's (the induction-head phase change on natural text), not {part.short}'s: "
              f"python -m exercises replicate part3 --natural", file=sys.stderr)
        return 2
    module = importlib.import_module(f"{part.folder}.replicate")
    out_dir = Path(args.out) if args.out else part.path / "figures"
    try:
        module.run(target=args.target, quick=args.quick, device=args.device, out_dir=out_dir)
        if args.natural:
            importlib.import_module(f"{part.folder}.natural_text").run(target=args.target, quick=args.quick, out_dir=out_dir)
    except NotImplementedError:
        frame = traceback.extract_tb(sys.exc_info()[2])[-1]
        print(f"\n{part.short}'s replication runs your code, and {frame.name} is not implemented yet.\n"
              f"Finish the exercises first (python -m exercises check {part.short}), "
              f"or see the reference: python -m exercises replicate {part.short} --target solutions")
        return 1
    return 0


def notebook(args: argparse.Namespace) -> int:
    """JupyterLab on the part's exercises.py, opened as a notebook (the same file: pytest and the grader see
    what you write there). Needs the notebook extras: bash setup.sh installs them."""
    import importlib.util
    import subprocess

    missing = [m for m in ("jupyterlab", "jupytext", "ipykernel") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"error: {', '.join(missing)} not installed in this environment: run bash setup.sh (it installs "
              f"the notebook extras), or pip install jupyterlab jupytext ipykernel", file=sys.stderr)
        return 2
    from exercises.notebook import install_kernel, lab_command

    part = built_part(args.part) if args.part else (_first_unfinished(args.target) or built_parts()[0])
    if args.ipynb:
        return make_ipynb(part, args.course_url)
    path = solutions_notebook_path(part) if args.solutions else learner_path(part.path)
    install_kernel()
    command, env = lab_command(path.relative_to(ROOT).as_posix(), args.port, browser=not args.no_browser)
    print(f"JupyterLab on {path.relative_to(ROOT)} (Ctrl-C stops it)")
    return subprocess.run(command, env=env).returncode


def make_ipynb(part: Part, course_url: str | None) -> int:
    """PART/exercises.ipynb made from PART/exercises.py: from then on it is your file (exercises/ipynb.py)."""
    from exercises.ipynb import make_notebook

    target = part.path / IPYNB
    if target.exists():
        print(f"error: {target.relative_to(ROOT)} exists already; it is your file. To make it again from "
              f"exercises.py, delete it first (what you wrote in it is lost)", file=sys.stderr)
        return 2
    url = course_url if course_url is not None else _course_url()
    target.write_text(make_notebook(part.exercises_path.read_text(encoding="utf-8"), url), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}: from now on your exercises live there. pytest, python -m exercises,\n"
          f"watch and the grader read its code cells; leave {part.exercises_path.name} as it is (or delete it).\n"
          f"Open it in VS Code or JupyterLab (python -m exercises notebook {part.short}) with the kernel "
          f"learn-mech-interp,\nor upload it to Colab" + (f" (its first cell installs the course from {url})." if url
          else ": first set COURSE in its first cell to the course's git address (or pass --course-url)."))
    return 0


def _course_url() -> str:
    """The address this course was cloned from, where it is one Colab can clone (https), else ""."""
    found = subprocess.run(["git", "-C", str(ROOT), "remote", "get-url", "origin"], capture_output=True, text=True)
    url = found.stdout.strip() if found.returncode == 0 else ""
    return url if url.startswith("https://") else ""


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
    p = sub.add_parser("watch", help="rerun the current exercise's tests each time exercises.py is saved")
    p.add_argument("part", nargs="?", help="part0, 1, mnist, ... (default: the first part not finished)")
    p.set_defaults(command=watch)
    p = sub.add_parser("replicate", help="run a part's experiment end to end")
    p.add_argument("part")
    p.add_argument("--quick", action="store_true", help="a small, fast version (seconds)")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: CUDA if present, else CPU)")
    p.add_argument("--out", default=None, help="folder for figures (default: the part's figures/)")
    p.add_argument("--natural", action="store_true",
                   help="part 3: then the phase change on natural text too (4 to 10 more minutes; with --quick, seconds)")
    p.set_defaults(command=replicate)
    p = sub.add_parser("notebook", help="open a part's exercises.py as a notebook in JupyterLab")
    p.add_argument("part", nargs="?", help="part0, 1, mnist, ... (default: the first part not finished)")
    p.add_argument("--solutions", action="store_true", help="the reference's notebook instead (spoilers)")
    p.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    p.add_argument("--port", type=int, default=8888)
    p.add_argument("--ipynb", action="store_true",
                   help="make PART/exercises.ipynb from exercises.py (for VS Code's notebook editor and Colab); "
                        "from then on it is your file")
    p.add_argument("--course-url", default=None,
                   help="with --ipynb: the git address the Colab cell installs the course from (default: origin)")
    p.set_defaults(command=notebook)
    for p in sub.choices.values():
        p.add_argument("--target", choices=("exercises", "solutions"), default=argparse.SUPPRESS)
    p = sub.add_parser("grade", help="teachers: grade a learner's submission (see exercises/grader/grade.py)")
    grader.build_parser(p).set_defaults(command=grader.run)
    return parser


def _one_line_errors() -> tuple[type[Exception], ...]:
    """Errors reported in one line. The data and device modules import torch, so their errors are
    looked up only once loaded (only a command that loaded them can raise them)."""
    errors = [UnknownPart, PartNotBuilt]
    for module, name in (("exercises.data", "DataFileError"), ("exercises.device", "DeviceError")):
        if module in sys.modules:
            errors.append(getattr(sys.modules[module], name))
    return tuple(errors)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.command(args)
    except _one_line_errors() as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
