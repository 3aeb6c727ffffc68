"""A stand-in for Colab, run by hand (not part of the suite: it installs a whole environment, ~2 min):

    .venv/bin/python tests/colab_stand_in.py [PART]

A fresh Python holding only what Colab has for us (torch, ipykernel), `google.colab` faked, runs PART's
exercises.ipynb (made as `python -m exercises notebook PART --ipynb` makes it, COURSE = this checkout's
committed HEAD as a git address): its first cell clones and installs the course into /content, then every
check cell must say "not implemented yet" in one line. Prints the time and each check's line.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from exercises.ipynb import COLAB_ROOT, make_notebook
from exercises.parts import ROOT, built_part

FAKE_COLAB = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')"
RUN = """
import sys, time, nbformat, nbclient
notebook = nbformat.reads(open(sys.argv[1]).read(), as_version=4)
notebook.cells.insert(0, nbformat.v4.new_code_cell(sys.argv[2]))
notebook.cells = [c for c in notebook.cells if "replicate_in_notebook(\\"" not in c.source]
start = time.perf_counter()
nbclient.NotebookClient(notebook, kernel_name="python3", timeout=1200, allow_errors=True).execute()
print(f"executed in {time.perf_counter() - start:.0f} s")
for cell in (c for c in notebook.cells if c.cell_type == "code"):
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            print("ERROR in", cell.source[:60].replace(chr(10), " | "), out.ename, out.evalue[:300])
        elif out.output_type == "stream" and "check(" in cell.source:
            print(out.text.strip())
"""


def main(part_name: str = "part0") -> int:
    part = built_part(part_name)
    if Path(COLAB_ROOT).exists():
        print(f"error: {COLAB_ROOT} exists: remove it first (the first cell installs only where it is absent)")
        return 2
    with tempfile.TemporaryDirectory(prefix="colab-") as tmp:
        python = Path(tmp) / "venv" / "bin" / "python"
        subprocess.run([sys.executable, "-m", "venv", str(python.parent.parent)], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "torch==2.13.0", "ipykernel", "nbclient"], check=True)
        notebook = Path(tmp) / "exercises.ipynb"
        notebook.write_text(make_notebook(part.exercises_path.read_text(encoding="utf-8"), f"file://{ROOT}"))
        return subprocess.run([python, "-c", RUN, str(notebook), FAKE_COLAB], cwd=tmp).returncode


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
