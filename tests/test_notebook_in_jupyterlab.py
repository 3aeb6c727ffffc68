"""JupyterLab, as a learner starts it (python -m exercises notebook part0), in headless Chromium:
part 0's exercises.py opens as a notebook with the course's kernel; run top to bottom, its check
cells say "not implemented yet", and the reference's notebook shows passing checks and inline
plotly figures. Notebook 7 does the same with exercises.py and with the exercises.ipynb made from it.
Needs Playwright and Debian's chromium (.ci/run installs both); skipped without."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exercises.harness.stubs import solutions_notebook_path
from exercises.parts import ROOT, find_part

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (.ci/run installs it)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.timeout(600),
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install -y chromium)")]
SCREENSHOT = Path(os.environ.get("NOTEBOOK_SCREENSHOT", "/tmp/part0-notebook.png"))  # kept for a look


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(chromium):
    from exercises.notebook import install_kernel, lab_command

    install_kernel()
    port = _free_port()
    command, env = lab_command(find_part("0").exercises_path.relative_to(ROOT).as_posix(), port, browser=False)
    command += ["--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=", "--allow-root"]
    with _serving(command, {**env, "PYTHONPATH": str(ROOT)}, port) as url:
        yield chromium, url


@contextlib.contextmanager
def _serving(command: list[str], env: dict, port: int):
    """A Jupyter server, started and answering at the address this yields; stopped afterwards."""
    started = time.monotonic()
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - started < 60:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _open_and_run_all(browser, url: str, relative: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/tree/{relative}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector("text=learn-mech-interp | Idle", timeout=60_000)  # the course's kernel, started
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
    return page


def test_the_notebook_opens_runs_and_checks_in_jupyterlab(lab):
    browser, url = lab
    page = _open_and_run_all(browser, url, "part0_mnist/exercises.py")
    page.wait_for_selector("text=✗ not implemented yet: part0 mlp_forward", timeout=120_000)  # the last check cell
    page.get_by_text("✗ not implemented yet: part0 linear_forward").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT))
    assert page.get_by_text("✗ not implemented yet: part0 linear_forward").count() == 1


def test_the_reference_notebook_passes_and_shows_figures_inline(lab):
    browser, url = lab
    page = _open_and_run_all(browser, url, solutions_notebook_path(find_part("0")).relative_to(ROOT).as_posix())
    try:
        page.wait_for_selector("text=✓ part0 mlp_forward: all 2 tests pass", timeout=120_000)
    finally:
        page.screenshot(path=str(SCREENSHOT.with_name("part0-reference-notebook.png")), full_page=True)
    page.wait_for_selector(".jp-OutputArea-output .plotly-graph-div .main-svg", timeout=180_000)  # drawn by plotly.js
    assert page.locator(".jp-OutputArea-output .plotly-graph-div").count() >= 3


@pytest.fixture(scope="module")
def notebook7(chromium, tmp_path_factory):
    """Jupyter Notebook 7 (its own server, the course's settings), on a folder holding part 0's exercises.py
    and the exercises.ipynb made from it, as a learner's part folder would."""
    pytest.importorskip("notebook", reason="Notebook 7 is not installed (bash setup.sh installs it)")
    from exercises.ipynb import IPYNB, make_notebook
    from exercises.notebook import install_kernel, lab_command

    install_kernel()
    part = find_part("0")
    root = tmp_path_factory.mktemp("learner")
    (root / part.folder).mkdir()
    shutil.copy(part.exercises_path, root / part.folder / "exercises.py")
    (root / part.folder / IPYNB).write_text(make_notebook(part.exercises_path.read_text(encoding="utf-8")))
    port = _free_port()
    _, env = lab_command(part.exercises_path.relative_to(ROOT).as_posix(), port, browser=False)  # the settings
    command = [sys.executable, "-m", "notebook", f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}",
               "--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=", "--allow-root"]
    with _serving(command, {**env, "PYTHONPATH": str(ROOT)}, port) as url:
        yield chromium, url


@pytest.mark.parametrize("name", ["exercises.py", "exercises.ipynb"])
def test_the_notebook_opens_runs_and_checks_in_notebook_7(notebook7, name):
    browser, url = notebook7
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/notebooks/part0_mnist/{name}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector("text=learn-mech-interp", timeout=60_000)  # the course's kernel (cells run once it starts)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
    page.wait_for_selector("text=✗ not implemented yet: part0 mlp_forward", timeout=120_000)
    assert page.get_by_text("✗ not implemented yet: part0 linear_forward").count() == 1
