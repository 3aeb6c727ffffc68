"""Checking exercises in a notebook: the check cells under each exercise call these.

A part's exercises.py is also its notebook (jupytext's percent format: `# %%` starts a cell).
Its check cells exist only in the notebook view, so importing the file (pytest, the grader)
never runs them. A check runs that exercise's test file, in the kernel, on the code as it
stands in the notebook now: what the cells defined, not what was last saved (a cell not run yet
counts as the saved file has it).

    check = checker("part0", globals())   # the notebook's first cell
    check("linear_forward")               # under the exercise: one line per test
"""

import contextlib
import io
import sys
import time
import traceback
import types
from pathlib import Path
from typing import Any, Callable

import pytest

from exercises.harness import targets
from exercises.harness.stubs import exercise_names
from exercises.ipynb import is_learner_file, learner_code
from exercises.parts import ROOT, Part, built_part, exercise_file_stem

PASSED, FAILED = "✓", "✗"


class _Outcomes:
    """Collects each test's outcome and message (conftest.py's one-line reports) during one run."""

    def __init__(self, module: types.ModuleType, cells: set[str]) -> None:
        self.module, self.cells, self.results = module, cells, {}

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[targets.HANDED_IN] = self.module
        config.stash[targets.LEARNER_FILES] = self.cells

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            name = report.nodeid.split("::")[-1]
            if self.results.get(name, ("passed",))[0] == "passed":
                self.results[name] = (report.outcome, str(report.longrepr or "").strip())


def namespace_module(part_folder: str, namespace: dict) -> types.ModuleType:
    """The notebook's code as the module the tests grade (its exercises, given code and imports)."""
    module = types.ModuleType(f"{part_folder}.exercises", "the notebook's code")
    module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("_")})
    module.__learner_files__ = _cell_files(namespace)  # where its code runs (exercises/harness/recordings.py)
    return module


def _cell_files(namespace: dict) -> set[str]:
    """The files a kernel compiled the notebook's functions from (one per cell)."""
    files = set()
    for value in namespace.values():
        functions = [value] if isinstance(value, types.FunctionType) else (
            [v for v in vars(value).values() if isinstance(v, types.FunctionType)] if isinstance(value, type) else [])
        files |= {f.__code__.co_filename for f in functions if not is_learner_file(f.__code__.co_filename)}
    return files


def _fill_in_unrun_cells(part: Part, namespace: dict, reference: bool) -> None:
    """Names the notebook has not defined yet (cells not run) come from the saved file, as importing it
    would give them: a given class may call an exercise further down (part 5's SAE, its TopK)."""
    path = part.solutions_path
    cells = ((str(path), path.read_text(encoding="utf-8")),) if reference else learner_code(part.path).cells
    saved: dict[str, Any] = {"__name__": f"{part.folder}.saved"}
    for filename, source in cells:
        exec(compile(source, filename, "exec"), saved)
    for name, value in saved.items():
        if not name.startswith("_"):
            namespace.setdefault(name, value)


def check_in_notebook(part_name: str, exercise: str, namespace: dict, reference: bool = False) -> bool:
    """Runs `exercise`'s test file on the notebook's code; prints a line, and each failure; True if all pass."""
    part = built_part(part_name)
    _fill_in_unrun_cells(part, namespace, reference)
    names = exercise_names(part.source_path.read_text(encoding="utf-8"))
    if exercise not in names:
        raise ValueError(f"{part.short} has no exercise {exercise!r}; its exercises: {', '.join(names)}")
    test_file = part.tests_path / f"test_{exercise_file_stem(exercise)}.py"
    module = namespace_module(part.folder, namespace)
    outcomes = _Outcomes(module, module.__learner_files__)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as said, contextlib.redirect_stderr(said):  # only our lines show
        code = pytest.main([str(test_file), "-q", "-p", "no:cacheprovider", "-p", "no:warnings", "--capture=sys"],
                           plugins=[outcomes])
    results = outcomes.results
    if not results:
        print(f"{FAILED} {part.short} {exercise}: no test ran (pytest exit {code}):\n{said.getvalue()[-2000:]}")
        return False
    passed = sum(outcome == "passed" for outcome, _ in results.values())
    if passed == len(results):
        print(f"{PASSED} {part.short} {exercise}: all {len(results)} tests pass ({time.perf_counter() - started:.1f} s)")
        return True
    messages = {message for outcome, message in results.values() if outcome != "passed"}
    if all(m.startswith("not implemented yet:") for m in messages):  # one line per function still to write
        print("\n".join(f"{FAILED} {m}" for m in sorted(messages)))
        return False
    print(f"{FAILED} {part.short} {exercise}: {passed} of {len(results)} tests pass")
    for name, (outcome, message) in results.items():
        if outcome != "passed":
            print(f"  {name}: {message}")
    return False


def checker(part_name: str, namespace: dict, reference: bool = False) -> Callable[[str], None]:
    """The `check` of a part's notebook: check("linear_forward") tests that exercise as the notebook has it
    (`reference`: the solutions' notebook, whose saved file is the solutions)."""
    built_part(part_name)  # an unknown part fails here, in the first cell
    if str(ROOT) not in sys.path:  # the part's own modules (its replication) import from the course's root
        sys.path.append(str(ROOT))

    def check(exercise: str) -> None:  # prints its verdict; nothing to show after it
        check_in_notebook(part_name, exercise, namespace, reference)

    return check


def replicate_in_notebook(part_name: str, namespace: dict, **options: Any) -> dict[str, float]:
    """The part's replication on the notebook's code, its figures shown inline (plotly.js embedded once)."""
    import importlib

    from IPython.display import HTML, display

    from exercises import plotting

    part = built_part(part_name)
    module = importlib.import_module(f"{part.folder}.replicate")
    shown = []
    plotting.on_report = shown.extend  # save_report hands over the figures it writes
    try:
        numbers = module.run(target=namespace_module(part.folder, namespace), **{"quick": True, **options})
    except NotImplementedError:
        frame = traceback.extract_tb(sys.exc_info()[2])[-1]
        print(f"{FAILED} the replication runs your code, and {frame.name} is not implemented yet: finish the "
              f"exercises above first")
        return {}
    finally:
        plotting.on_report = None
    for i, figure in enumerate(shown):  # plotly.js embedded in the first figure; no MathJax, so no CDN at all
        html = plotting.fit_to_page(figure).to_html(full_html=False, include_plotlyjs=i == 0, include_mathjax=False,
                                                    default_width="100%")
        display(HTML(html))
    return numbers


# --- the course's kernel, and JupyterLab on a part's notebook ---


def install_kernel() -> Path:
    """The course's Jupyter kernel, in this environment: this Python, started so that a part's own
    exercises.py (the notebook's folder) cannot shadow the toolkit package `exercises` (-P, ignore_cwd)."""
    import json
    import sys

    from exercises.harness.stubs import KERNEL

    folder = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-P", "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.ignore_cwd=True"],
            "display_name": KERNEL, "language": "python", "metadata": {"debugger": True}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


LAB_SETTINGS = {
    # a .py file opens in jupytext's notebook view, not the text editor
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"defaultViewers": {"python": "Jupytext Notebook"}},
    # every cell rendered, so a search of the page finds every output (JupyterLab 4 renders only those in view)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no news fetched from the internet, no prompt asking whether to
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def lab_command(relative: str, port: int = 8888, browser: bool = True) -> tuple[list[str], dict]:
    """The command (and environment) that starts JupyterLab at the course's root, on `relative` as a notebook."""
    import json
    import os
    import sys

    settings = ROOT / ".jupyter" / "lab" / "user-settings"
    for name, value in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings)}
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}", f"--ServerApp.port={port}",
               f"--LabApp.default_url=/lab/tree/{relative}"]
    return command + ([] if browser else ["--no-browser"]), env
