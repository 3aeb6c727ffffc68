"""The course's parts, and turning whatever a learner types ("0", "part0", "mnist") into one."""

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Part:
    number: int
    folder: str  # e.g. "part0_mnist": the lesson folder and the solutions module name
    title: str
    draft: bool = False  # being written: the size rule lets it have fewer than 7 exercises

    @property
    def short(self) -> str:
        return f"part{self.number}"

    @property
    def path(self) -> Path:
        return ROOT / self.folder

    @property
    def exercises_path(self) -> Path:
        return self.path / "exercises.py"

    @property
    def solutions_path(self) -> Path:
        return ROOT / "solutions" / f"{self.folder}.py"

    @property
    def tests_path(self) -> Path:
        return self.path / "tests"

    @property
    def source_path(self) -> Path:
        """Where the exercises' names and docstrings are read: the solutions or, in the learners'
        edition (no solutions/), exercises.py, generated from them."""
        return self.solutions_path if self.solutions_path.exists() else self.exercises_path

    @property
    def missing_files(self) -> list[str]:
        """The files this part needs that this copy of the course lacks: its exercises (exercises.py, or
        the exercises.ipynb made from it), and its reference solutions or (in the learners' edition) their
        recorded outputs."""
        golden = self.tests_path / "golden.pt"
        exercises = self.exercises_path if not (self.path / "exercises.ipynb").exists() else self.path / "exercises.ipynb"
        needed = [exercises] + ([] if self.solutions_path.exists() else [golden])
        return [str(path.relative_to(ROOT)) for path in needed if not path.exists()]

    @property
    def is_built(self) -> bool:
        return not self.missing_files


PARTS = (
    Part(0, "part0_mnist", "Weights are interpretable: MNIST templates"),
    Part(1, "part1_superposition", "Toy models of superposition (Elhage et al. 2022)"),
    Part(2, "part2_grokking", "Grokking modular addition (Nanda et al. 2023)"),
    Part(3, "part3_induction", "Induction heads (Olsson et al. 2022)"),
    Part(4, "part4_ioi", "The IOI circuit (Wang et al. 2022)"),
    Part(5, "part5_sae", "Sparse autoencoders (Cunningham et al. 2023)"),
)


class UnknownPart(ValueError):
    pass


class PartNotBuilt(ValueError):
    pass


def find_part(name: str) -> Part:
    """Accepts "0", "part0", "part0_mnist" or "mnist"; raises UnknownPart with the choices."""
    key = name.strip().lower().rstrip("/")
    for part in PARTS:
        topic = part.folder.split("_", 1)[1]
        if key in {str(part.number), part.short, part.folder, topic}:
            return part
    choices = ", ".join(f"{p.short} ({p.folder})" for p in PARTS)
    raise UnknownPart(f"unknown part {name!r}. The parts are: {choices}.")


def built_part(name: str) -> Part:
    """Like find_part, but also raises PartNotBuilt for a part whose files this copy lacks."""
    part = find_part(name)
    if not part.is_built:
        missing = part.missing_files
        raise PartNotBuilt(
            f"{part.folder} is incomplete in this copy of the course: {' and '.join(missing)} missing. "
            f"Restore {'it' if len(missing) == 1 else 'them'} from the course's repository "
            f"(git checkout -- {' '.join(missing)}). "
            f"Complete parts: {', '.join(p.short for p in PARTS if p.is_built) or 'none'}."
        )
    return part


def built_parts() -> list[Part]:
    return [p for p in PARTS if p.is_built]


def unregistered_parts(root: Path | None = None) -> list[str]:
    """Lesson folders (partN_x/) and solutions modules (solutions/partN_x.py) that PARTS does not
    list. Without its entry in PARTS a part does not exist for the tools, so they refuse to run."""
    root = root or ROOT
    found = {d.name for d in root.glob("part*_*") if d.is_dir() and re.fullmatch(r"part\d+_\w+", d.name)}
    found |= {f.stem for f in (root / "solutions").glob("part*_*.py") if re.fullmatch(r"part\d+_\w+", f.stem)}
    return sorted(found - {part.folder for part in PARTS})


def part_of_path(path: Path) -> Part | None:
    """The part whose folder contains `path` (a test file, say), or None."""
    path = Path(path).resolve()
    for part in PARTS:
        if part.path in path.parents or path == part.path:
            return part
    return None


def exercise_file_stem(qualname: str) -> str:
    """The stem of an exercise's test file name: ToyModel.forward -> toy_model_forward."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", qualname.replace(".", "_"))
    return re.sub(r"_+", "_", snake).lower()
