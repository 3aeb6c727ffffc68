"""Every part's notebook runs top to bottom in a Jupyter kernel (nbclient): with the stubs, each check
cell says "not implemented yet" in one line; with the solutions (their generated notebook), each says
all its tests pass, and the replication cell at the end shows its figures inline, plotly.js embedded, and
reproduces the part's quick numbers (QUICK_EXPECTATIONS): the suite's smoke run of every replication.

The notebook is the part's exercises.py read by jupytext, as JupyterLab opens it; the kernel is the
course's (exercises/notebook.py), importing this checkout's code.
"""

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from exercises.harness.stubs import KERNEL, solutions_notebook_path
from exercises.parts import ROOT, built_parts

jupytext = pytest.importorskip("jupytext", reason="the notebook extras are not installed (bash setup.sh installs them)")
nbclient = pytest.importorskip("nbclient", reason="the notebook extras are not installed (bash setup.sh installs them)")
nbformat = pytest.importorskip("nbformat", reason="the notebook extras are not installed (bash setup.sh installs them)")

PARTS = built_parts()
pytestmark = pytest.mark.timeout(1200)


def _check_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("check(")]


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def _errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


REPLICATION = "numbers = replicate_in_notebook("


def _run(path, part=None, reports=None):
    """The notebook at `path`, executed; with `reports` (a folder), its replication writes its report there and
    a last cell prints what checks.replication_numbers finds wrong with the run (the suite's smoke run)."""
    notebook = jupytext.read(path)
    if reports is not None:
        (cell,) = [c for c in notebook.cells if c.source.startswith(REPLICATION)]
        cell.source = cell.source.replace("globals())", f"globals(), out_dir=__import__('pathlib').Path(r'{reports}'))")
        notebook.cells.append(nbformat.v4.new_code_cell(REPLICATION_CHECK.format(part=part.short, reports=reports)))
    client = nbclient.NotebookClient(notebook, kernel_name=KERNEL, timeout=600, allow_errors=True,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


REPLICATION_CHECK = """\
import importlib, json, pathlib
from exercises.maintain import checks
from exercises.parts import built_part
part = built_part("{part}")
module = importlib.import_module(f"{{part.folder}}.replicate")
reports = sorted(pathlib.Path(r"{reports}").glob("*.html"))
print(json.dumps(checks.replication_numbers(part, numbers, getattr(module, "QUICK_EXPECTATIONS", {{}}), reports)))"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict:
    """{(part, "stubs" | "solutions"): the executed notebook}, two kernels at a time."""
    from exercises.notebook import install_kernel

    install_kernel()
    os.environ["PYTHONPATH"] = str(ROOT)  # the kernels import this checkout
    runs = [(part, kind) for part in PARTS for kind in ("stubs", "solutions")]

    def execute(run):
        part, kind = run
        if kind == "stubs":
            return _run(part.exercises_path)
        return _run(solutions_notebook_path(part), part, tmp_path_factory.mktemp(f"{part.short}-report"))

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(runs, pool.map(execute, runs)))


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_stub_notebook_says_not_implemented_in_one_line_per_check(part, executed):
    notebook = executed[part, "stubs"]
    cells = _check_cells(notebook)
    assert len(cells) == len(_exercise_names(part)), f"{part.short}: one check cell per exercise"
    for cell, name in zip(cells, _exercise_names(part)):
        assert _text(cell).strip() == f"✗ not implemented yet: {part.short} {name}", (cell.source, cell.outputs)
    errors = [(c.source[:60], _errors(c)) for c in notebook.cells if _errors(c)]
    assert errors == [], f"{part.short}: cells that raised in the stub notebook: {errors}"
    (replication,) = [c for c in notebook.cells if c.source.startswith(REPLICATION)]
    assert "✗ the replication runs your code, and" in _text(replication), _text(replication)


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_solutions_notebook_passes_every_check(part, executed):
    notebook = executed[part, "solutions"]
    for cell, name in zip(_check_cells(notebook), _exercise_names(part), strict=True):
        said = _text(cell).strip()
        assert said.startswith(f"✓ {part.short} {name}: all ") and "\n" not in said, (cell.source, said)
    errors = [(c.source[:60], _errors(c)) for c in notebook.cells if _errors(c)]
    assert errors == [], f"{part.short}: cells that raised in the solutions notebook: {errors}"


@pytest.mark.smoke
@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_replication_cell_reproduces_the_quick_numbers(part, executed):
    """The replication at its quick size, as the notebook runs it: its numbers within QUICK_EXPECTATIONS and
    its report written (save_report refuses an empty figure, so the whole report is checked)."""
    import json

    cell = executed[part, "solutions"].cells[-1]
    assert not _errors(cell), _errors(cell)
    problems = json.loads(_text(cell).strip().splitlines()[-1])
    assert problems == [], "\n".join(problems)


@pytest.mark.smoke
@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_replication_cell_shows_its_figures_inline_offline(part, executed):
    notebook = executed[part, "solutions"]
    (cell,) = [c for c in notebook.cells if c.source.startswith(REPLICATION)]
    html = [o["data"]["text/html"] for o in cell.outputs if o.output_type == "display_data" and "text/html" in o["data"]]
    assert "plotly.js v" in html[0] and len(html[0]) > 1_000_000, "the first figure embeds plotly.js itself"
    assert len(html) >= 2 and all("Plotly.newPlot" in h for h in html), [o.output_type for o in cell.outputs]
    assert not any(re.search(r"<script[^>]+src=", h) for h in html), "nothing is fetched: no script loads from a URL"


def _exercise_names(part) -> list[str]:
    from exercises.harness.stubs import exercise_names

    return exercise_names(part.solutions_path.read_text(encoding="utf-8"))


def test_the_ipynb_runs_in_a_plain_kernel_started_in_the_parts_folder():
    """exercises.ipynb as VS Code runs it: the environment's plain python3 kernel, started in the notebook's
    folder, whose exercises.py would hide the course's package `exercises` but for the set-up cell. The Colab
    cell does nothing there; the check cells say what pytest says."""
    import json

    from exercises.ipynb import make_notebook

    part = PARTS[0]
    for kind, source in (("stubs", part.exercises_path), ("solutions", solutions_notebook_path(part))):
        notebook = nbformat_reads(make_notebook(source.read_text(encoding="utf-8")))
        notebook.cells = [c for c in notebook.cells if "replicate_in_notebook(" not in c.source or "import" in c.source]
        client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=300, allow_errors=True,
                                         resources={"metadata": {"path": str(part.path)}})
        client.execute()
        errors = [(c.source[:60], _errors(c)) for c in notebook.cells if _errors(c)]
        assert errors == [], f"{kind}: cells that raised: {errors}"
        checks = [c for c in notebook.cells if c.cell_type == "code" and "\ncheck(" in c.source]
        names = _exercise_names(part)
        assert len(checks) == len(names), json.dumps([c.source for c in checks])
        for cell, name in zip(checks, names):
            said = _text(cell).strip()
            expected = (said == f"✗ not implemented yet: {part.short} {name}" if kind == "stubs"
                        else said.startswith(f"✓ {part.short} {name}: all "))
            assert expected, (kind, cell.source, said)


def nbformat_reads(text: str):
    return nbformat.reads(text, as_version=4)
