"""The grading harness, as a pytest plugin.

    pytest part0_mnist                      # grade your exercises.py (the default)
    pytest --target=solutions               # grade the reference (maintainers; also MECH_INTERP_TARGET)
    pytest part0_mnist --target=mutants     # maintainers: run each test against the stubs and
                                            # the known-wrong versions, to prove the tests bite

Part tests ask for two fixtures: `graded` (the implementation being graded) and `reference`
(solutions/partN_*.py). A stub that still raises NotImplementedError is reported in one line.
"""

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from exercises import testing
from exercises.grader import trusted
from exercises.harness import recordings, targets
from exercises.ipynb import is_learner_file
from exercises.parts import Part, part_of_path

MUTANTS = "mutants"
COURSE_CHECK_TIMEOUT = 300  # seconds, for tests/ (maintainers' checks) without a timeout of their own
IMPORT_PROBLEMS = pytest.StashKey[dict]()  # part folder -> why its exercises.py does not import
TIMED_OUT = pytest.StashKey[dict]()  # test file -> the exercise that ran out of time in one of its tests


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target",
        choices=(*targets.TARGETS, MUTANTS),
        default=None,
        help=f"what the part tests grade (default: ${targets.TARGET_ENV} or 'exercises')",
    )
    parser.addoption("--report-json", default=None, help="write each test's outcome to this JSON file")
    parser.addoption("--grading-seed", type=int, default=int(os.environ.get(testing.SEED_ENV, "0")),
                     help="the tests' inputs as a grading run with this seed draws them (python -m exercises grade "
                          "names its seed); 0, the default, gives the inputs the golden files record")
    parser.addoption("--log-margins", default=None,
                     help="maintainers: write each test's closest comparison, as a fraction of its tolerance, to this JSON file")
    recordings.add_options(parser)


def target_of(config: pytest.Config) -> str:
    return config.getoption("--target") or targets.default_target()


def _test_part(request: pytest.FixtureRequest) -> Part:
    part = part_of_path(Path(request.node.path))
    if part is None:
        raise pytest.UsageError(f"{request.node.nodeid}: the graded fixture only works in a part's tests/")
    return part


# --- fixtures ---


@pytest.fixture(autouse=True)
def seeded() -> None:
    """Every test starts from the same random state, so failures reproduce (the grader picks its own seed)."""
    torch.manual_seed(testing.test_seed)
    random.seed(testing.test_seed)
    np.random.seed(testing.test_seed)


@pytest.fixture
def graded(request: pytest.FixtureRequest):
    """The module under test: your exercises.py, the solutions, or (mutants) a known-wrong variant."""
    part = _test_part(request)
    variant = getattr(request, "param", None)
    if variant is not None:
        return targets.variant_module(part, targets.exercise_of_test_file(Path(request.node.path)), variant)
    handed_in = request.config.stash.get(targets.HANDED_IN, None)
    if handed_in is not None:  # the grader's proxies to its sandboxed worker, or a notebook's own code
        return handed_in
    target = target_of(request.config)
    problem = request.config.stash[IMPORT_PROBLEMS].get(part.folder) if target == "exercises" else None
    if problem:
        pytest.fail(problem, pytrace=False)
    return targets.load_target(part, target)


@pytest.fixture
def reference(request: pytest.FixtureRequest):
    """The reference solutions of the test's part, or their recorded outputs where solutions/ is absent."""
    return recordings.reference(request, _test_part(request))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if target_of(metafunc.config) != MUTANTS or "graded" not in metafunc.fixturenames:
        return
    path = Path(metafunc.definition.path)
    part, name = part_of_path(path), targets.exercise_of_test_file(path)
    variants = [targets.STUB, *targets.mutants_of(part).get(name, {})]
    metafunc.parametrize("graded", variants, indirect=True, ids=[f"variant={v}" for v in variants])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Course-wide checks (tests/) grade the course, not a learner: they run with the solutions.

    An exercises.py that does not import is reported once, by the first of its part's tests; the
    others are skipped, so a syntax error is one message at the learner's line, not one per test.
    """
    config.stash[IMPORT_PROBLEMS] = {}
    for item in items:  # the 15 s limit (pyproject.toml) is for a learner's tests; course-wide checks load real models
        if part_of_path(Path(item.path)) is None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(COURSE_CHECK_TIMEOUT))
    if target_of(config) == "solutions":
        return
    skip = pytest.mark.skip(reason="course-wide checks run with --target=solutions (maintainers)")
    reported: set[str] = set()
    for item in items:
        part = part_of_path(Path(item.path))
        if part is None:
            item.add_marker(skip)
        elif (target_of(config) == "exercises" and "graded" in getattr(item, "fixturenames", ())
              and targets.HANDED_IN not in config.stash):  # the graded module is there already
            problems = config.stash[IMPORT_PROBLEMS]
            if part.folder not in problems:
                problems[part.folder] = targets.import_problem(part)
            if problems[part.folder] and part.folder in reported:
                item.add_marker(pytest.mark.skip(reason=f"{part.short}: exercises.py does not import (see the first failure)"))
            reported.add(part.folder)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """After an endless loop in one test, the file's other tests would each wait out the limit too."""
    label = item.config.stash.get(TIMED_OUT, {}).get(Path(item.path))
    if label:
        pytest.skip(f"{label} did not finish in an earlier test of this file: fix that first")


# --- failure reports that teach ---


def _learner_frames(excinfo: pytest.ExceptionInfo, config: pytest.Config) -> list:
    cells = config.stash.get(targets.LEARNER_FILES, set())
    return [e for e in excinfo.traceback if is_learner_file(str(e.path)) or str(e.path) in cells]


def _exercise_label(entry, item: pytest.Item) -> str:
    part = part_of_path(Path(item.path))
    return f"{part.short if part else ''} {entry.frame.code.raw.co_qualname}".strip()


def _statement(entry) -> str:
    try:
        return str(entry.statement).strip()
    except AssertionError:  # code whose source Python cannot find (exec'd text)
        return "(source not available)"


def _where(entry, config: pytest.Config) -> str:
    """`exercises.py:12`, `exercises.ipynb [cell 7]:3`, or `your cell:3` for code defined in a kernel's cell."""
    cells = config.stash.get(targets.LEARNER_FILES, set())
    name = "your cell" if str(entry.path) in cells else Path(str(entry.path)).name
    return f"{name}:{entry.lineno + 1}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "graded" in callspec.params:  # mutants mode: which variant this run grades
        report.user_properties.append(("variant", callspec.params["graded"]))
    excinfo = call.excinfo
    if excinfo is None or report.passed:
        return report
    failed_at = [e.lineno + 1 for e in excinfo.traceback if Path(str(e.path)) == Path(item.path)]
    if failed_at:  # the test file's line that failed: the mutant-reachability check reads it
        report.user_properties.append(("failed_at", failed_at[-1]))
    if part_of_path(Path(item.path)) is not None:  # headline "test_linear_forward.py::test_by_hand"
        path, line, name = report.location
        report.location = (path, line, f"{Path(item.path).name}::{name}")
    if excinfo.errisinstance(trusted.LearnerEscape):  # the grader's worker: the reason, in full
        report.longrepr = str(excinfo.value)
        return report
    if excinfo.errisinstance(trusted.RemoteNotImplemented):
        report.longrepr = f"not implemented yet: {excinfo.value.label}"
        return report
    in_worker = trusted.remote_frames(excinfo.value)
    if in_worker:
        label, lines = in_worker
        where = "\n".join(f"  {line}" for line in lines)
        report.longrepr = f"{label} raised {excinfo.typename}: {excinfo.value}" + (f"\n{where}" if where else "")
        return report
    frames = _learner_frames(excinfo, item.config)
    if not frames:
        return report
    innermost = frames[-1]
    label = _exercise_label(innermost, item)
    where = "\n".join(f"  {_where(e, item.config)} in {e.name}\n    {_statement(e)}" for e in frames)
    if excinfo.errisinstance(NotImplementedError):
        report.longrepr = f"not implemented yet: {label}"
    elif str(excinfo.value).startswith("Timeout ("):  # pytest-timeout stopped the test inside your code
        if target_of(item.config) != MUTANTS:  # there, each test runs once per variant
            item.config.stash.setdefault(TIMED_OUT, {})[Path(item.path)] = label
        report.longrepr = (
            f"{label} did not finish in time ({excinfo.value}): an endless loop, or far more work than "
            f"a tiny test needs? It was here:\n{where}"
        )
    else:
        report.longrepr = f"{label} raised {excinfo.typename}: {excinfo.value}\n{where}"
    return report


# --- machine-readable outcomes, for `python -m exercises` and the mutant checks ---


class _JsonReport:
    def __init__(self, path: str, rootpath: Path) -> None:
        self.path, self.rootpath, self.results = path, rootpath, {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            test_file = self.rootpath / report.nodeid.split("::")[0]
            entry = self.results.setdefault(report.nodeid, {"path": str(test_file),
                                                            "variant": dict(report.user_properties).get("variant")})
            if entry.get("outcome") not in ("failed", "error"):
                entry["outcome"] = "error" if report.when != "call" and report.failed else report.outcome
                entry["message"] = str(report.longrepr)[-2000:] if report.longrepr else ""
                entry["failed_at"] = dict(report.user_properties).get("failed_at")

    def pytest_sessionfinish(self) -> None:
        Path(self.path).write_text(json.dumps(self.results, indent=1))


class _MarginLog:
    """How close each test's comparisons came to their tolerance (1.0: at the limit; see testing.margins)."""

    def __init__(self, path: str) -> None:
        self.path = path
        testing.margins = {}

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        testing.current_test = nodeid

    def pytest_sessionfinish(self) -> None:
        Path(self.path).write_text(json.dumps(testing.margins, indent=1))


def pytest_configure(config: pytest.Config) -> None:
    # Tests use tiny tensors: one thread is as fast on a quiet machine and 2-4x faster on a busy
    # one, where two torch threads wait for each other (parts 0-3 on 2 cores at load 7: 9 s vs 26-36 s).
    torch.set_num_threads(1)
    testing.test_seed = config.getoption("--grading-seed")
    recordings.configure(config)
    path = config.getoption("--report-json")
    if path:
        config.pluginmanager.register(_JsonReport(path, config.rootpath), "report-json")
    if config.getoption("--log-margins"):
        config.pluginmanager.register(_MarginLog(config.getoption("--log-margins")), "log-margins")


def pytest_unconfigure(config: pytest.Config) -> None:
    recordings.unconfigure()
