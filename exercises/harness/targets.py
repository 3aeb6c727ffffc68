"""What the part tests grade: the learner's exercises.py, the reference, or (maintainers) a variant.

    pytest part0_mnist                      # the learner's exercises.py (the default)
    pytest --target=solutions               # the reference (also MECH_INTERP_TARGET=solutions)
    pytest part0_mnist --target=mutants     # the generated stubs and each known-wrong version

conftest.py's `graded` fixture asks this module for the module a test grades.
"""

import hashlib
import importlib
import linecache
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Callable

import pytest

from exercises.harness.stubs import exercise_names, expected_stub
from exercises.ipynb import LearnerCode, is_learner_file, learner_code, where
from exercises.parts import Part, built_part, exercise_file_stem, part_of_path

TARGET_ENV = "MECH_INTERP_TARGET"
TARGETS = ("exercises", "solutions")
STUB = "stub"  # the variant id of the generated stubs in --target=mutants runs
# A graded module handed to the `graded` fixture instead of importing exercises.py: the grader's proxies to
# its sandboxed worker (exercises/grader/grade.py), or a notebook's own code (exercises/notebook.py).
HANDED_IN = pytest.StashKey[types.ModuleType]()
# Where the learner's code lives, for failure reports that show its lines: exercises.py, and the files of a
# notebook's cells (a Jupyter kernel compiles each cell as a file of its own).
LEARNER_FILES = pytest.StashKey[set[str]]()


def default_target() -> str:
    target = os.environ.get(TARGET_ENV, "exercises")
    if target not in TARGETS:
        raise ValueError(f"{TARGET_ENV}={target!r}: use one of {', '.join(TARGETS)}")
    return target


def load_target(part: Part | str, target: "str | types.ModuleType | None" = None) -> types.ModuleType:
    """The module graded for `part`: the learner's exercises.py or the reference solutions (or, handed
    in as a module, a notebook's code: exercises/notebook.py)."""
    part = built_part(part) if isinstance(part, str) else part
    if isinstance(target, types.ModuleType):
        return target
    target = target or default_target()
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")
    if target == "solutions":
        return importlib.import_module(f"solutions.{part.folder}")
    code = learner_code(part.path)
    return notebook_module(part, code) if code.is_notebook else importlib.import_module(f"{part.folder}.exercises")


def notebook_module(part: Part, code: LearnerCode) -> types.ModuleType:
    """The module exercises.ipynb's code cells make, run cell by cell as `part.exercises` (each cell compiled
    as a file of its own, so a traceback names the cell); made again only when the cells change."""
    name = f"{part.folder}.exercises"
    key = hashlib.sha256(repr(code.cells).encode()).hexdigest()
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__cells_key__", None) == key:
        return module
    module = types.ModuleType(name, f"the code cells of {code.path}")
    module.__file__, module.__cells_key__ = str(code.path), key
    sys.modules[name] = module  # as an import would: the part's other modules then see the same code
    try:
        for filename, source in code.cells:
            linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
            exec(compile(source, filename, "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def import_problem(part: Part) -> str | None:
    """Why the learner's exercises.py (or exercises.ipynb) of `part` does not import, in a line or three;
    None if it does. The code is compiled first, so a syntax error is reported at its line without running
    anything."""
    try:
        code = learner_code(part.path)
    except ValueError as error:  # two files that both changed; a notebook that is not one
        return str(error)
    does_not = f"{part.folder}/{code.path.name} does not import:"
    for filename, source in code.cells:
        try:
            compile(source, filename, "exec")
        except SyntaxError as error:
            text = (error.text or "").rstrip("\n")
            line = text.lstrip()
            caret = " " * max((error.offset or 1) - 1 - (len(text) - len(line)), 0) + "^"
            return f"{does_not} {type(error).__name__} at {where(filename, error.lineno)}: {error.msg}\n    {line}\n    {caret}"
    try:
        load_target(part, "exercises")
    except (Exception, SystemExit) as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if is_learner_file(f.filename)]
        at = f" at {where(frames[-1].filename, frames[-1].lineno)}: {frames[-1].line}" if frames else ""
        return f"{does_not} {type(error).__name__}{at}\n    {error}"
    return None


def load_reference(part: Part) -> types.ModuleType:
    return importlib.import_module(f"solutions.{part.folder}")


def exercise_of_test_file(path: Path) -> str:
    """test_toy_model_forward.py -> the exercise whose snake-case name matches (ToyModel.forward)."""
    part = part_of_path(path)
    stem = path.stem.removeprefix("test_")
    for name in exercise_names(part.solutions_path.read_text(encoding="utf-8")):
        if exercise_file_stem(name) == stem:
            return name
    raise pytest.UsageError(f"{path}: no exercise of {part.folder} matches this test file name")


# --- variants graded in --target=mutants runs (maintainers: proves the tests bite) ---


def mutants_of(part: Part) -> dict[str, dict[str, Callable]]:
    """{exercise qualname: {why: mutant function}} from solutions/mutants/<part>.py."""
    module = importlib.import_module(f"solutions.mutants.{part.folder}")
    found: dict[str, dict[str, Callable]] = {}
    for obj in vars(module).values():
        if callable(obj) and hasattr(obj, "mutant_of"):
            found.setdefault(obj.mutant_of, {})[obj.mutant_why] = obj
    return found


def stub_module(part: Part) -> types.ModuleType:
    """The exercises.py a learner starts from, generated fresh from the solutions."""
    module = types.ModuleType(f"{part.folder}.exercises", f"stubs of {part.folder}")
    module.__file__ = str(part.exercises_path)
    code = compile(expected_stub(part), str(part.exercises_path), "exec")
    exec(code, module.__dict__)
    return module


def with_replaced(module: types.ModuleType, qualname: str, fn: Callable) -> types.ModuleType:
    """A copy of `module` whose `qualname` ("f" or "Class.method") is `fn`; the rest untouched."""
    copied = types.ModuleType(module.__name__, module.__doc__)
    copied.__dict__.update(vars(module))
    owner_name, _, attr = qualname.rpartition(".")
    if owner_name:
        owner = getattr(module, owner_name)
        setattr(copied, owner_name, type(owner.__name__, (owner,), {attr: fn}))
    else:
        setattr(copied, attr, fn)
    return copied


def variant_module(part: Part, qualname: str, variant: str) -> types.ModuleType:
    if variant == STUB:
        return stub_module(part)
    return with_replaced(load_reference(part), qualname, mutants_of(part)[qualname][variant])
