"""The teachers' grader: points per exercise for one learner's submission.

    python -m exercises grade SUBMISSION_DIR --out result.json                     # Classroom 50's result/v1
    python -m exercises grade SUBMISSION_DIR --out results.json --format gradescope
    python -m exercises grade SUBMISSION_DIR --out result.json --parts 0 1 --summary summary.md

It runs from the teacher's pristine copy of the course (this checkout) and takes only the
learner's `partN_*/exercises.py` files (or the `exercises.ipynb` made from one: exercises/ipynb.py)
from SUBMISSION_DIR: the tests, the harness, the configuration and the reference all come from
here, so nothing else the learner changed
(pytest.ini, conftest.py, pyproject.toml, workflows, environment variables) counts.

Two processes per part, one trusted. The trusted one runs the part's tests with pytest, holds
the reference (solutions/, or the recordings where this copy has none), makes every comparison
and writes the result; it never imports the learner's file. The learner's code runs in a worker
(exercises/grader/worker.py) inside a sandbox (exercises/grader/sandbox.py): it sees a read-only copy of the
learners' edition of this one part with the learner's file in it, no solutions/ and no
recordings; it answers calls with plain data only; it is killed, with everything it started,
before the result is written. The tests' random inputs come from a grading seed drawn per run
(`--seed` repeats one), so the answers the learners' edition records are not the ones graded.

The grade comes from what the trusted process records per test, never from an exit code. An
exercise scores its points when every one of its tests passes; a skip, xfail or exit raised by
the learner's code is a failure; a file that does not import scores 0 for its part.
"""

import argparse
import datetime
import json
import linecache
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from exercises.grader import sandbox
from exercises.harness.stubs import exercise_names
from exercises.ipynb import IPYNB, PY, LearnerCode, learner_code
from exercises.parts import ROOT, Part, built_parts, exercise_file_stem, find_part

POINTS_PER_EXERCISE = 10
TIME_LIMIT_PER_EXERCISE = 60  # seconds; a part's process is stopped after this times its exercises, plus start-up
START_UP_SECONDS = 60
RESULT_SCHEMA = "classroom50/result/v1"
FORMATS = ("classroom50", "gradescope")
# The trusted process's environment: the grader's, minus what could change what pytest grades.
_DROPPED_ENV = ("MECH_INTERP_TARGET", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONPATH", "PYTHONSTARTUP")


@dataclass
class ExerciseResult:
    part: str
    name: str
    passed: bool
    message: str = ""
    points: int = POINTS_PER_EXERCISE

    @property
    def label(self) -> str:
        return f"{self.part} {self.name}"

    @property
    def score(self) -> int:
        return self.points if self.passed else 0


@dataclass
class Grade:
    exercises: list[ExerciseResult] = field(default_factory=list)
    seconds: float = 0.0
    settings: "Settings | None" = None
    part_seconds: dict[str, float] = field(default_factory=dict)  # each part's grading, wall time

    @property
    def score(self) -> int:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(e.points for e in self.exercises)


# --- finding the learner's files ---


def learner_file(submission: Path, part: Part) -> Path | None:
    """SUBMISSION/partN_x/exercises.py (or the exercises.ipynb made from it), or the shallowest such file
    below (an upload inside a folder). exercises/ipynb.py's learner_code says which of the two is graded."""
    for name in (PY, IPYNB):
        if (submission / part.folder / name).is_file():
            return submission / part.folder / name
    found = sorted((p for name in (PY, IPYNB) for p in submission.rglob(f"{part.folder}/{name}")),
                   key=lambda p: (len(p.parts), str(p)))
    return next((p for p in found if p.is_file() and ".git" not in p.parts), None)


# An exercises.py is tens of kB; a notebook may carry its figures. A larger file is refused, not read.
MAX_FILE_BYTES = {PY: 2_000_000, IPYNB: 50_000_000}


def unfit_file(source: Path, submission: Path) -> str | None:
    """Why `source` cannot be graded as the learner's own file (a link could point at the reference)."""
    where = source.relative_to(submission) if source.is_relative_to(submission) else source
    if any(p.is_symlink() for p in [source, *source.parents] if p.is_relative_to(submission)):
        return f"{where} is a symbolic link (or inside one): submit the file itself"
    if not source.resolve().is_relative_to(submission.resolve()):
        return f"{where} is not inside the submission"
    limit = MAX_FILE_BYTES.get(source.name, MAX_FILE_BYTES[PY])
    if source.stat().st_size > limit:
        return f"{where} is {source.stat().st_size / 1e6:.0f} MB: an {source.name} should be under {limit / 1e6:.0f} MB"
    return None


def submitted_code(part: Part, source: Path, submission: Path) -> LearnerCode:
    """The code graded for `part`, from the folder of `source`; a ValueError says why none can be."""
    files = [f for f in (source.parent / PY, source.parent / IPYNB) if f.is_file() or f.is_symlink()]
    why = next(filter(None, (unfit_file(f, submission) for f in files)), None)
    if why:
        raise ValueError(why)
    code = learner_code(source.parent, part.folder)
    if len(code.text.encode()) > MAX_FILE_BYTES[PY]:
        raise ValueError(f"the code of {code.path.name} is over {MAX_FILE_BYTES[PY] / 1e6:.0f} MB")
    return code


def exercises_of(part: Part) -> list[str]:
    return exercise_names(part.source_path.read_text(encoding="utf-8"))


# --- grading one part in its own process ---


@dataclass
class Settings:
    """How a run grades: the time limit per exercise, the seed of the tests' inputs, the sandbox kind."""

    time_limit: float = TIME_LIMIT_PER_EXERCISE
    seed: int = 0
    sandbox: str = "bwrap"

    @property
    def reference(self) -> str:
        """solutions/ where this copy has it (any seed works); else the recordings, which hold seed 0 only."""
        return "solutions" if (ROOT / "solutions").is_dir() else "golden"


def grade_part(part: Part, code: str | None, settings: Settings) -> list[ExerciseResult]:
    """Grades `code`, the learner's exercises.py text for `part` (None: the submission has none)."""
    names = exercises_of(part)
    if code is None:
        return _all_zero(part, names, f"no {part.folder}/exercises.py in the submission")
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp, sandbox.private_uid(settings.sandbox) as uid:
        private = Path(tmp) / "grader"  # the trusted process's records: no worker may read or write them
        private.mkdir(mode=0o700)
        events_file = private / "events.jsonl"
        course = worker_course(part, code, Path(tmp) / "course", uid)
        limit = START_UP_SECONDS + settings.time_limit * len(names)
        stopped = _run_part(part, course, events_file, settings, limit, uid, private)
        events = _read_events(events_file)
    return _score(part, names, events, stopped)


def worker_course(part: Part, code: str, into: Path, uid: int | None = None) -> Path:
    """What the worker sees: the toolkit and this part of the learners' edition, with the learner's code
    as its exercises.py; no solutions, no recordings (golden.pt), no other part. In the user sandbox,
    readable by the worker's uid (as its group) and by no other user, writable by none."""
    copy_code = shutil.ignore_patterns("__pycache__", "*.pyc", "golden.pt", "exercises.py")
    shutil.copytree(ROOT / "exercises", into / "exercises", ignore=copy_code)
    shutil.copytree(part.path, into / part.folder, ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", "golden.pt", "figures", "*.html", "*.png", PY, IPYNB))
    (into / part.folder / PY).write_text(code, encoding="utf-8")
    others = 0o005 if uid is None else 0  # bwrap binds it read-only; as for `none`, there is no one to keep out
    for path in [into, *into.rglob("*")]:
        if uid is not None:
            os.chown(path, os.geteuid(), uid)
        path.chmod((0o750 | others) if path.is_dir() else (0o640 | (others & 0o004)))
    into.parent.chmod(0o711)
    return into


def _run_part(part: Part, course: Path, events_file: Path, settings: Settings, limit: float, uid: int | None,
              tmp: Path) -> str | None:
    """Runs the part's tests, the learner's code in a worker; returns why the run was stopped early, if it was."""
    command = [
        sys.executable, "-m", "pytest", str(part.tests_path),
        "-p", "exercises.grader.grade", f"--grade-part={part.folder}", f"--grade-course={course}",
        f"--grade-events={events_file}", f"--grade-sandbox={settings.sandbox}",
        *([f"--grade-uid={uid}"] if uid is not None else []), "--target=exercises", f"--reference={settings.reference}",
        "-c", str(ROOT / "pyproject.toml"), f"--rootdir={ROOT}", "-p", "no:cacheprovider",
        "-q", "--no-header", "-p", "no:warnings", f"--timeout={settings.time_limit:g}",
    ]
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1", MECH_INTERP_GRADING_SEED=str(settings.seed))  # testing.SEED_ENV
    with open(tmp / "output.txt", "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = process.wait(timeout=limit)
            stopped = None if code in (0, 1, 3) else _grader_fault(part, code, tmp / "output.txt")
        except subprocess.TimeoutExpired:
            stopped = f"the grading of {part.short} was stopped after {limit:.0f} s (its time limit)"
        finally:
            _kill_group(process)
            sandbox.clean_up(settings.sandbox, uid)
    return stopped


def _grader_fault(part: Part, code: int, output: Path) -> str:
    """pytest's exit codes 0, 1 (tests failed) and 3 (the file did not import) are grades; others are faults."""
    tail = output.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-12:]
    print(f"warning: grading {part.short} failed in the grader (pytest exit code {code}):\n" + "\n".join(tail),
          file=sys.stderr)
    return f"the grader itself failed on {part.short} (pytest exit code {code}); your teacher has its output"


def _kill_group(process: subprocess.Popen) -> None:
    """Ends the process and anything it started in its session."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def _score(part: Part, names: list[str], events: list[dict], stopped: str | None) -> list[ExerciseResult]:
    """Points per exercise from the grading process's events (see _Events)."""
    kinds = {e.get("event") for e in events}
    if "import-failed" in kinds:
        return _all_zero(part, names, next(e["why"] for e in events if e.get("event") == "import-failed"))
    if "imported" not in kinds:
        why = stopped or "the grading process ended before the worker had imported it"
        return _all_zero(part, names, f"{part.folder}/exercises.py scored 0: {why}")
    collected = next((e["nodeids"] for e in events if e.get("event") == "collected"), [])
    started = [e["nodeid"] for e in events if e.get("event") == "start"]
    outcomes: dict[str, dict] = {}
    for event in (e for e in events if e.get("event") == "test"):
        entry = outcomes.setdefault(event["nodeid"], {"outcome": "passed", "message": ""})
        if event["outcome"] != "passed" and entry["outcome"] == "passed":
            entry.update(outcome=event["outcome"], message=event["message"])
    cut_short = stopped or "the grading process ended early"
    results = []
    for name in names:
        test_file = f"test_{exercise_file_stem(name)}.py"
        tests = [nodeid for nodeid in collected if nodeid.split("::")[0].endswith("/" + test_file)]
        results.append(_exercise_result(part, name, tests, outcomes, started, cut_short))
    return results


def _exercise_result(part: Part, name: str, tests: list[str], outcomes: dict, started: list[str],
                     cut_short: str) -> ExerciseResult:
    """Full points when every test of the exercise reported and none failed (skips aside), else why not."""
    def lost(why: str) -> ExerciseResult:
        return ExerciseResult(part.short, name, False, why)

    if not tests:
        return lost(f"no test of {name} was collected ({cut_short})")
    for nodeid in tests:
        short = nodeid.split("/")[-1]
        if nodeid not in outcomes:
            return lost(f"{short}: {cut_short}" if nodeid in started else f"{short} did not run: {cut_short}")
        if outcomes[nodeid]["outcome"] == "failed":
            return lost(f"{short}: {outcomes[nodeid]['message']}")
    if all(outcomes[nodeid]["outcome"] == "skipped" for nodeid in tests):
        return lost(f"its tests were skipped: {outcomes[tests[0]]['message']}")
    return ExerciseResult(part.short, name, True)


def _timed(fn, *args):
    start = time.perf_counter()
    return fn(*args), time.perf_counter() - start


def _grade_submitted(part: Part, submission: Path, settings: Settings) -> list[ExerciseResult]:
    source = learner_file(submission, part)
    if source is None:
        return grade_part(part, None, settings)
    try:
        code = submitted_code(part, source, submission)
    except ValueError as why:  # a link, too large, a broken notebook, or two files that both changed
        return _all_zero(part, exercises_of(part), f"{part.folder}/{source.name} scored 0: {why}")
    return grade_part(part, code.text, settings)


def _expected_work(part: Part) -> int:
    """How long a part's grading takes, roughly: the size of its recorded reference calls. The longest
    parts start first, so the last one to finish is a short one."""
    recorded = part.tests_path / "golden.pt"
    return recorded.stat().st_size if recorded.exists() else 0


def _all_zero(part: Part, names: list[str], why: str) -> list[ExerciseResult]:
    return [ExerciseResult(part.short, name, False, why) for name in names]


def grade(submission: Path, parts: list[Part] | None = None, settings: Settings | None = None, jobs: int = 2) -> Grade:
    """Grades each part in its own pair of processes, `jobs` parts at a time (one torch thread each)."""
    start = time.perf_counter()
    parts, settings = parts or built_parts(), settings or Settings()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {part.folder: pool.submit(_timed, _grade_submitted, part, submission, settings)
                   for part in sorted(parts, key=_expected_work, reverse=True)}
        done = {part.short: futures[part.folder].result() for part in parts}
        result = Grade([e for results, _ in done.values() for e in results], settings=settings,
                       part_seconds={short: seconds for short, (_, seconds) in done.items()})
    result.seconds = time.perf_counter() - start
    return result


# --- output formats ---


def classroom50_result(result: Grade, env: dict[str, str] | None = None) -> dict:
    """Classroom 50's result.json (schema classroom50/result/v1); the runner's metadata where present."""
    env = os.environ if env is None else env
    metadata = {
        "classroom": env.get("CLASSROOM"),
        "assignment": env.get("ASSIGNMENT"),
        "assignment_type": env.get("ASSIGNMENT_TYPE"),
        "owner": env.get("OWNER") or env.get("USERNAME"),
        "submission": env.get("SUBMISSION_TAG"),
        "commit": env.get("COMMIT_URL"),
        "release": env.get("RELEASE_URL"),
        "review": env.get("REVIEW_URL") or env.get("COMMIT_URL"),
    }
    return {
        "schema": RESULT_SCHEMA,
        **{k: v for k, v in metadata.items() if v},
        "datetime": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "score": result.score,
        "max-score": result.max_score,
        "tests": [
            {"test-name": e.label, "passed": e.passed, "score": e.score, "max-score": e.points}
            for e in result.exercises
        ],
    }


def gradescope_result(result: Grade) -> dict:
    """Gradescope's results.json: one test per exercise, its failure message as the output."""
    numbers: dict[str, int] = {}
    tests = []
    for e in result.exercises:
        numbers[e.part] = numbers.get(e.part, 0) + 1
        tests.append({
            "name": e.label, "number": f"{e.part.removeprefix('part')}.{numbers[e.part]}",
            "score": e.score, "max_score": e.points, "status": "passed" if e.passed else "failed",
            "output": e.message, "visibility": "visible",
        })
    return {
        "score": result.score,
        "execution_time": round(result.seconds),
        "output": f"{result.score}/{result.max_score} points: {sum(e.passed for e in result.exercises)} of "
                  f"{len(result.exercises)} exercises pass every test ({describe(result.settings)}).",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def summary_markdown(result: Grade) -> str:
    """A table for a job summary or a release body: the score, then each exercise and why it failed."""
    lines = [f"### Score: {result.score} / {result.max_score}", "", f"Graded with {describe(result.settings)}.", "",
             "| exercise | points | |", "|---|---:|---|"]
    for e in result.exercises:
        lines.append(f"| {e.label} | {e.score} / {e.points} | {'passed' if e.passed else 'failed'} |")
    failures = [e for e in result.exercises if not e.passed]
    if failures:
        lines += ["", "<details><summary>Why exercises failed</summary>", ""]
        for e in failures:
            first = (e.message or "").strip().replace("`", "'")[:600]
            lines += [f"**{e.label}**", "", "```", first, "```", ""]
        lines.append("</details>")
    return "\n".join(lines) + "\n"


# --- the command ---


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m exercises grade", description=__doc__.splitlines()[0])
    parser.add_argument("submission", type=Path, help="the learner's copy of the course (only partN_*/exercises.py, or the exercises.ipynb made from it, is read)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the result JSON")
    parser.add_argument("--parts", nargs="+", default=None, help="parts to grade (default: every built part)")
    parser.add_argument("--format", choices=FORMATS, default="classroom50",
                        help="classroom50 (result/v1, the default) or gradescope (results.json)")
    parser.add_argument("--summary", type=Path, default=None, help="also write a Markdown table of the points")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_PER_EXERCISE,
                        help=f"seconds per test, and per exercise for a part's whole run (default {TIME_LIMIT_PER_EXERCISE})")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="parts graded at the same time (default: 2, or 1 on a one-core machine)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the seed of the tests' random inputs (default: a new one each run; the result names it)")
    parser.add_argument("--sandbox", choices=sandbox.KINDS, default="auto",
                        help="how the learner's code is isolated (default auto: bubblewrap, else an unprivileged "
                             "user when run as root; see exercises/grader/sandbox.py)")
    return parser


def run(args: argparse.Namespace) -> int:
    if not args.submission.is_dir():
        print(f"error: {args.submission} is not a folder: pass the learner's copy of the course", file=sys.stderr)
        return 2
    parts = [find_part(p) for p in args.parts] if args.parts else built_parts()
    unbuilt = [p.short for p in parts if not p.is_built]
    if unbuilt:
        print(f"error: {', '.join(unbuilt)} not built in this checkout", file=sys.stderr)
        return 2
    try:
        kind = sandbox.choose(args.sandbox)
    except sandbox.SandboxUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if kind == "user" and (ROOT / "solutions").is_dir() and sandbox.readable_by_others(ROOT / "solutions"):
        print(f"warning: the worker runs as an unprivileged user who can read {ROOT / 'solutions'}: make this copy "
              f"unreadable to others (chmod -R go-rwx {ROOT}) or install bubblewrap", file=sys.stderr)
    settings = Settings(args.time_limit, 0, kind)
    if settings.reference == "solutions":
        settings.seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    elif args.seed:
        print("error: --seed needs solutions/ in this copy (the recordings hold the tests' shipped inputs only)",
              file=sys.stderr)
        return 2
    result = grade(args.submission.resolve(), parts, settings, args.jobs)
    payload = gradescope_result(result) if args.format == "gradescope" else classroom50_result(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.summary:
        args.summary.write_text(summary_markdown(result), encoding="utf-8")
    print(f"{result.score}/{result.max_score} points ({len(result.exercises)} exercises, {result.seconds:.1f} s; "
          f"{describe(settings)}) -> {args.out}")
    print("seconds per part (two at a time): " + ", ".join(f"{p} {s:.1f}" for p, s in result.part_seconds.items()))
    return 0


def describe(settings: "Settings | None") -> str:
    """How a grade was made, in a few words: the sandbox and where the tests' inputs came from."""
    if settings is None:
        return "unknown settings"
    inputs = (f"grading seed {settings.seed}" if settings.reference == "solutions"
              else "the shipped inputs (this copy has no solutions/)")
    return f"sandbox {settings.sandbox}, {inputs}"


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


# --- inside the trusted grading process: a pytest plugin (-p exercises.grader.grade) ---


class _Events:
    """The grading process's record, one JSON line per event, written at once: a process that dies
    leaves behind everything it did until then (what was collected, which test started, outcomes)."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", encoding="utf-8")

    def write(self, **event) -> None:
        self.file.write(json.dumps(event) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def pytest_collection_finish(self, session) -> None:
        self.write(event="collected", nodeids=[item.nodeid for item in session.items])

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.write(event="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or report.outcome != "passed":
            message = str(report.longrepr)[-2000:] if report.longrepr else ""
            if report.skipped and isinstance(report.longrepr, tuple):
                message = str(report.longrepr[2])
            outcome = "failed" if report.failed else report.outcome
            self.write(event="test", nodeid=report.nodeid, when=report.when, outcome=outcome, message=message)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("grade", "the teachers' grader (python -m exercises grade)")
    group.addoption("--grade-part", default=None)
    group.addoption("--grade-course", default=None)
    group.addoption("--grade-events", default=None)
    group.addoption("--grade-sandbox", choices=sandbox.KINDS[1:], default="bwrap")
    group.addoption("--grade-uid", type=int, default=None)


def pytest_configure(config) -> None:
    if not config.getoption("--grade-events"):
        return
    from exercises.grader import trusted
    from exercises.harness import targets

    events = _Events(config.getoption("--grade-events"))
    config.pluginmanager.register(events, "grade-events")
    part, course = find_part(config.getoption("--grade-part")), Path(config.getoption("--grade-course"))
    kind, uid = config.getoption("--grade-sandbox"), config.getoption("--grade-uid")
    command, cwd = sandbox.command(kind, course, part.folder, uid)
    given = given_module(part)
    worker = trusted.Worker(part.folder, given, command, sandbox.worker_env(), cwd,
                           on_stop=lambda: sandbox.clean_up(kind, uid))
    events.write(event="importing")
    worker.start()  # it imports the learner's file while this process collects the tests
    config.stash[targets.HANDED_IN] = trusted.graded_module(given, exercises_of(part), worker)
    _grading[config] = (worker, events)
    config.add_cleanup(worker.stop)


_grading: dict = {}  # pytest config -> (its worker, its events file), in the grading process


def pytest_collection_finish(session) -> None:
    if session.config not in _grading:
        return
    worker, events = _grading[session.config]
    worker.ready()
    if worker.import_problem:
        events.write(event="import-failed", why=worker.import_problem)
        events.file.close()
        os._exit(3)  # nothing to grade; the parent scores the part 0 with the worker's reason
    events.write(event="imported")


def given_module(part: Part) -> types.ModuleType:
    """The part's given code, from this pristine copy (the stubs as generated, or as the recordings carry
    them): the trusted side of the graded module, whose exercises the worker runs."""
    from exercises.harness import recordings
    from exercises.harness.stubs import expected_stub

    source = expected_stub(part) if part.solutions_path.exists() else recordings.load_golden(part)["stub"]
    filename = f"<given code of {part.folder}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(f"{part.folder}.exercises", f"the given code of {part.folder}, trusted")
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module
