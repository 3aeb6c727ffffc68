"""The rules every part meets, each checked by one function here, and the one-part check.

A broken rule is reported as ``rule <name>: <what is wrong>; <what to do>``, with the rule's name
as the README's section "The rules a part meets" lists it. `tests/` applies every rule to every
part (one stub-and-mutant run for all parts); ``python -m exercises.maintain check PART`` applies
them to one part, in seconds for a small one.
"""

import ast
import io
import json
import math
import re
import subprocess
import sys
import tempfile
import time
import tokenize
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from exercises.harness.stubs import (exercise_functions, exercise_names, expected_solutions_notebook, expected_stub,
                                     is_exercise_decorator, solutions_notebook_path)
from exercises.parts import PARTS, ROOT, Part, exercise_file_stem

SIZE = range(7, 13)  # exercises in a finished part (the course design: 7-12)
PLACEHOLDER = "TODO(scaffold)"  # marks the text python -m exercises.maintain new-part leaves for you to write


@dataclass(frozen=True)
class Rule:
    name: str
    says: str  # the rule, as the README states it


RULES = {rule.name: rule for rule in (
    Rule("registered", "A part is registered once, as Part(...) in PARTS (exercises/parts.py); pyproject.toml's "
                       "testpaths and the README's table of parts list it."),
    Rule("files", "A part has its lesson README.md, exercises.py, replicate.py, __init__.py, tests/__init__.py, "
                  "solutions/partN_x.py and solutions/mutants/partN_x.py."),
    Rule("size", "A finished part has 7-12 exercises; a draft (Part(..., draft=True)) may have fewer."),
    Rule("hints", "Every exercise's docstring has a line starting 'Hint:' (the progress view shows it)."),
    Rule("placeholders", f"A finished part keeps none of the scaffold's placeholders ({PLACEHOLDER}) in its "
                         "solutions, mutants, tests, lesson or replicate.py."),
    Rule("stubs-generated", "exercises.py (also the part's notebook) and solutions/notebooks/partN_x.py are generated "
                            "from the solutions and the lesson (python -m exercises.maintain stubs): every stub body "
                            "only raises NotImplementedError, and exercises.py never imports solutions."),
    Rule("test-file-per-exercise", "Each exercise has one test file, tests/test_<snake_case name>.py "
                                   "(ToyModel.forward: test_toy_model_forward.py), and each test file an exercise."),
    Rule("mutant-per-exercise", "Every exercise has at least one known-wrong version, @mutant(\"name\", \"why\") "
                                "in solutions/mutants/partN_x.py, and every mutant names an exercise."),
    Rule("graded-fixture", "Every test asks for the `graded` fixture (a test that grades nothing cannot fail)."),
    Rule("stubs-fail", "Every test fails on the stubs, in one line: 'not implemented yet: partN <exercise>'."),
    Rule("solutions-pass", "Every test passes on the solutions."),
    Rule("mutants-caught", "Every mutant fails at least one test of its exercise."),
    Rule("checks-reached", "Every check in a test file (an assert, a call of check*() or fail()) is where some "
                           "stub or mutant fails: a check no wrong code can fail is a defect."),
    Rule("grading-seeds", "Every seed a test writes is grading_seed(N), so that a grading run moves it (an input "
                          "chosen without a seed, a modulus or a size, goes through grading_pick((...)): no check "
                          "can see those, so review them)."),
    Rule("recordings-current", "tests/golden.pt is recorded from the current solutions and tests "
                               "(python -m exercises.maintain record PART) and holds only data."),
    Rule("recordings-answer", "Graded against the recordings (as in the learners' edition), the solutions pass, "
                              "the stubs fail and every mutant is caught: a test feeds the reference only inputs "
                              "it made itself, never the graded code's output."),
    Rule("replication", "replicate.py's run(target, quick, device, out_dir) returns finite numbers, 'seconds' among "
                        "them, writes its report with exercises.plotting.save_report, and QUICK_EXPECTATIONS names "
                        "only numbers run returns."),
)}


def broken(rule: str, text: str) -> str:
    if rule not in RULES:
        raise KeyError(f"no rule {rule!r}: the rules are {', '.join(RULES)}")
    return f"rule {rule}: {text}"


def _exercises(part: Part) -> list[str]:
    return exercise_names(part.solutions_path.read_text(encoding="utf-8"))


# --- rules read from the files ---


def registered(part: Part) -> list[str]:
    problems = []
    if sum(p.folder == part.folder for p in PARTS) != 1:
        problems.append(broken("registered", f"{part.folder} is not registered exactly once in PARTS (exercises/parts.py)"))
    if part.folder not in _testpaths():
        problems.append(broken("registered", f"pyproject.toml's testpaths lacks {part.folder!r}: CI never runs its tests"))
    if f"[{part.folder}]({part.folder}/README.md)" not in (ROOT / "README.md").read_text(encoding="utf-8"):
        problems.append(broken("registered", f"README.md's table of parts lacks the row "
                                             f"| [{part.folder}]({part.folder}/README.md) | idea | paper |"))
    return problems


def _testpaths() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]


def files(part: Part) -> list[str]:
    needed = [part.path / "README.md", part.exercises_path, part.path / "replicate.py", part.path / "__init__.py",
              part.tests_path / "__init__.py", part.solutions_path, mutants_path(part)]
    return [broken("files", f"{path.relative_to(ROOT)} is missing") for path in needed if not path.exists()]


def mutants_path(part: Part) -> Path:
    return ROOT / "solutions" / "mutants" / f"{part.folder}.py"


def size(part: Part) -> list[str]:
    count = len(_exercises(part))
    if count == 0:
        return [broken("size", f"{part.folder} has no exercise: decorate at least one function with @exercise")]
    if part.draft or count in SIZE:
        return []
    return [broken("size", f"{part.folder} has {count} exercises, a finished part {SIZE.start}-{SIZE.stop - 1}: "
                           "add or merge exercises, or mark it Part(..., draft=True) while you write it")]


def hints(part: Part) -> list[str]:
    missing = [name for name, node in exercise_functions(part.solutions_path.read_text(encoding="utf-8"))
               if not any(line.strip().startswith("Hint:") for line in (ast.get_docstring(node) or "").splitlines())]
    return [broken("hints", f"{part.short} {name}'s docstring has no line starting 'Hint:'") for name in missing]


def placeholders(part: Part) -> list[str]:
    if part.draft:
        return []
    paths = [part.solutions_path, mutants_path(part), part.path / "README.md", *sorted(part.path.rglob("*.py"))]
    found = [(path, number, line) for path in paths if path.name != "exercises.py"  # generated: the solutions say it
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if PLACEHOLDER in line]
    found += [(ROOT / "README.md", number, line)  # its row in the table of parts
              for number, line in enumerate((ROOT / "README.md").read_text(encoding="utf-8").splitlines(), 1)
              if f"[{part.folder}](" in line and PLACEHOLDER in line]
    return [broken("placeholders", f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}: write it")
            for path, number, line in found]


def stubs_generated(part: Part) -> list[str]:
    if not part.exercises_path.exists() or part.exercises_path.read_text(encoding="utf-8") != expected_stub(part):
        return [broken("stubs-generated", f"{part.exercises_path.relative_to(ROOT)} is not what solutions/"
                                          f"{part.folder}.py generates: run python -m exercises.maintain stubs")]
    notebook = solutions_notebook_path(part)
    if not notebook.exists() or notebook.read_text(encoding="utf-8") != expected_solutions_notebook(part):
        return [broken("stubs-generated", f"{notebook.relative_to(ROOT)} (the reference's notebook) is not what "
                                          f"solutions/{part.folder}.py generates: run python -m exercises.maintain stubs")]
    source = part.exercises_path.read_text(encoding="utf-8")
    problems = []
    for name, node in exercise_functions(source):
        body = node.body[1:]  # after the docstring
        if not (len(body) == 1 and isinstance(body[0], ast.Raise) and ast.unparse(body[0].exc) == "NotImplementedError"):
            problems.append(broken("stubs-generated", f"{part.short} {name}: the stub must only raise NotImplementedError"))
    solutions = part.solutions_path.read_text(encoding="utf-8")
    if without_exercise_bodies(source) != without_exercise_bodies(solutions):
        problems.append(broken("stubs-generated", f"{part.short}: exercises.py and the solutions differ outside the "
                                                  "exercise bodies: the stub generator is broken"))
    if imports_solutions(source):
        problems.append(broken("stubs-generated", f"{part.exercises_path.relative_to(ROOT)} imports solutions: "
                                                  "the given code may use only the toolkit and the part's own modules"))
    return problems


def imports_solutions(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        if any(n == "solutions" or n.startswith("solutions.") for n in names):
            return True
    return False


def without_exercise_bodies(source: str) -> str:
    """The module's AST with every exercise's body cut to its docstring: the given code and the signatures."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(map(is_exercise_decorator, node.decorator_list)):
            node.body = node.body[:1]
    return ast.dump(tree)


def test_files(part: Part) -> list[str]:
    expected = {f"test_{exercise_file_stem(n)}.py" for n in _exercises(part)}
    present = {p.name for p in part.tests_path.glob("test_*.py")}
    problems = [broken("test-file-per-exercise", f"{part.short}: no test file {part.folder}/tests/{name}")
                for name in sorted(expected - present)]
    problems += [broken("test-file-per-exercise", f"{part.folder}/tests/{name} matches no exercise of {part.short} "
                                                  f"(its exercises: {', '.join(_exercises(part))})")
                 for name in sorted(present - expected)]
    return problems


def mutants(part: Part) -> list[str]:
    from exercises.harness.targets import mutants_of

    names, found = _exercises(part), mutants_of(part)
    where = mutants_path(part).relative_to(ROOT)
    problems = [broken("mutant-per-exercise", f"{part.short} {name} has no mutant in {where}")
                for name in names if not found.get(name)]
    problems += [broken("mutant-per-exercise", f"{where} has mutants of {name!r}, which is no exercise of {part.short}")
                 for name in sorted(set(found) - set(names))]
    return problems


def literal_seeds(path: Path) -> list[int]:
    """Lines of `path` that write a seed as a bare number (seed=3, manual_seed(3)) instead of grading_seed(3)."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
              if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    found = []
    for i, token in enumerate(tokens[:-3]):
        annotated = tokens[i + 1].string == ":"
        after = tokens[i + 3] if annotated else tokens[i + 1]
        value = tokens[i + 5] if annotated and i + 5 < len(tokens) else tokens[i + 2]
        if token.string == "seed" and after.string == "=" and value.type == tokenize.NUMBER:
            found.append(token.start[0])
        if token.string == "manual_seed" and tokens[i + 1].string == "(" and tokens[i + 2].type == tokenize.NUMBER:
            found.append(token.start[0])
    return found


def grading_seeds(part: Part) -> list[str]:
    return [broken("grading-seeds", f"{path.relative_to(ROOT)}:{line}: write this seed as grading_seed(N) "
                                    "(from exercises.testing)")
            for path in sorted(part.tests_path.rglob("*.py")) for line in literal_seeds(path)]


def recordings_current(part: Part) -> list[str]:
    import torch

    from exercises.harness import recordings

    why = recordings.staleness(part)
    if why:
        return [broken("recordings-current", f"{why}: run python -m exercises.maintain record {part.short}")]
    recorded = torch.load(recordings.golden_path(part), weights_only=True)  # refuses anything but data
    if recorded["stub"] != part.exercises_path.read_text(encoding="utf-8"):
        return [broken("recordings-current", f"{part.short}'s golden file holds another exercises.py: "
                                             f"run python -m exercises.maintain record {part.short}")]
    return []


def replication_file(part: Part) -> list[str]:
    text = (part.path / "replicate.py").read_text(encoding="utf-8")
    tree = ast.parse(text)
    run = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run"), None)
    problems = []
    wanted = ["target", "quick", "device", "out_dir"]
    if run is None or [a.arg for a in run.args.args][:4] != wanted:
        problems.append(broken("replication", f"{part.folder}/replicate.py needs def run({', '.join(wanted)}, ...)"))
    if "save_report(" not in text:
        problems.append(broken("replication", f"{part.folder}/replicate.py must write its report with "
                                              "exercises.plotting.save_report (it checks every figure has data)"))
    return problems


def replication_numbers(part: Part, numbers: dict, expectations: dict, reports: list[Path]) -> list[str]:
    """What a quick run of replicate.py returned and wrote (tests/test_notebooks.py checks each notebook's run)."""
    problems = []
    if not isinstance(numbers, dict) or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in numbers.values()):
        return [broken("replication", f"{part.folder}'s run() should return {{name: finite number}}, got {numbers!r}"[:400])]
    if "seconds" not in numbers:
        problems.append(broken("replication", f"{part.folder}'s run() returns no 'seconds' (how long it took)"))
    for name, (low, high) in expectations.items():
        if name not in numbers:
            problems.append(broken("replication", f"{part.folder}'s QUICK_EXPECTATIONS names {name!r}, which run() "
                                                  f"does not return (it returns {', '.join(numbers)})"))
        elif not low <= numbers[name] <= high:
            problems.append(broken("replication", f"{part.folder} quick run: {name} = {numbers[name]:.4g}, "
                                                  f"QUICK_EXPECTATIONS says [{low}, {high}]"))
    if not reports or any(r.stat().st_size < 100_000 for r in reports):
        problems.append(broken("replication", f"{part.folder}'s run() wrote no report with its figures (plotly "
                                              "embedded, so it opens offline) into out_dir"))
    return problems


STATIC_RULES = (registered, files, size, hints, placeholders, stubs_generated, test_files, mutants, grading_seeds,
                recordings_current, replication_file)


def static_problems(part: Part) -> list[str]:
    """Every rule that reads files only (no test run); the rules after `files` need its files."""
    problems = files(part)
    if problems:
        return problems
    return [problem for rule in STATIC_RULES if rule is not files for problem in rule(part)]


# --- rules read from test runs (conftest.py's --report-json) ---


def run_report(paths: list[str], *options: str, env: dict | None = None) -> dict:
    """{nodeid: outcome entry} of one pytest run over `paths` (the course's own, in a fresh process)."""
    with tempfile.TemporaryDirectory(prefix="checks-") as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pytest", *paths, *options, f"--report-json={report}", "-q",
                        "-p", "no:cacheprovider", "-p", "no:warnings"],
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        return json.loads(report.read_text()) if report.exists() else {}


def _of_part(part: Part, report: dict) -> dict:
    return {k: v for k, v in report.items() if Path(v["path"]).is_relative_to(part.path)}


def graded_fixture(part: Part, mutant_report: dict) -> list[str]:
    return [broken("graded-fixture", f"{nodeid} does not use the `graded` fixture: it grades nothing")
            for nodeid, result in _of_part(part, mutant_report).items() if result["variant"] is None]


def stubs_fail(part: Part, mutant_report: dict, rule: str = "stubs-fail") -> list[str]:
    runs = {k: v for k, v in _of_part(part, mutant_report).items() if v["variant"] == "stub"}
    if not runs:
        return [broken(rule, f"{part.short}: no test ran against the stubs")]
    problems = []
    for nodeid, result in runs.items():
        if result["outcome"] != "failed":
            problems.append(broken(rule, f"{nodeid} passes on the stubs: it grades nothing"))
        elif not result["message"].startswith(f"not implemented yet: {part.short} "):
            first = result["message"].strip().splitlines()[:3]
            problems.append(broken(rule, f"{nodeid} on the stubs should say 'not implemented yet: {part.short} "
                                                 f"<exercise>' in one line; it says: {' / '.join(first)}"))
    return problems


def mutants_caught(part: Part, mutant_report: dict, rule: str = "mutants-caught") -> list[str]:
    from exercises.harness.targets import mutants_of

    results = _of_part(part, mutant_report)
    problems = []
    for name, variants in mutants_of(part).items():
        stem = f"test_{exercise_file_stem(name)}.py"
        for why in variants:
            outcomes = [r["outcome"] for r in results.values() if Path(r["path"]).name == stem and r["variant"] == why]
            if not outcomes:
                problems.append(broken(rule, f"{part.short} {name}: the mutant {why!r} was not run (no test in {stem}?)"))
            elif "failed" not in outcomes:
                problems.append(broken(rule, f"{part.short} {name}: no test in {stem} catches the mutant {why!r}"))
    return problems


def check_sites(test_file: Path) -> list[ast.AST]:
    """Every check in a test file: asserts and calls of check*/fail, nested in helpers too."""
    sites = []
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assert):
            sites.append(node)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name.startswith("check") or name == "fail":
                sites.append(node)
    return sites


def checks_reached(part: Part, mutant_report: dict) -> list[str]:
    failed_lines: dict[str, set[int]] = {}
    for result in mutant_report.values():
        if result.get("failed_at"):
            failed_lines.setdefault(result["path"], set()).add(result["failed_at"])
    problems = []
    for test_file in sorted(part.tests_path.glob("test_*.py")):
        lines = failed_lines.get(str(test_file), set())
        text = test_file.read_text(encoding="utf-8")
        for site in check_sites(test_file):
            if not any(site.lineno <= line <= site.end_lineno for line in lines):
                problems.append(broken("checks-reached", (
                    f"{test_file.relative_to(ROOT)}:{site.lineno}: {ast.get_source_segment(text, site).splitlines()[0]} "
                    f"fails for no mutant: add one to {mutants_path(part).relative_to(ROOT)} that fails here, "
                    "or drop the check if another one always fails first")))
    return problems


def solutions_pass(part: Part, solutions_report: dict, rule: str = "solutions-pass") -> list[str]:
    results = _of_part(part, solutions_report)
    if not results:
        return [broken(rule, f"{part.short}: no test ran on the solutions")]
    return [broken(rule, f"{nodeid} {result['outcome']} on the solutions: {result['message'].strip()[:300]}")
            for nodeid, result in results.items() if result["outcome"] != "passed"]


def recordings_answer(part: Part, solutions_report: dict, mutant_report: dict) -> list[str]:
    """The verdicts of solutions, stubs and mutants graded against the recordings (--reference=golden)."""
    return (solutions_pass(part, solutions_report, "recordings-answer") + stubs_fail(part, mutant_report, "recordings-answer")
            + mutants_caught(part, mutant_report, "recordings-answer"))


def test_run_problems(part: Part, with_recordings: bool = True, jobs: int = 2) -> dict[str, list[str]]:
    """The rules that need test runs, for one part: two pytest runs, four with the recordings, `jobs` at a time."""
    runs = {"mutants": ("--target=mutants",), "solutions": ("--target=solutions",)}
    if with_recordings:
        runs |= {"mutants, recorded": ("--target=mutants", "--reference=golden"),
                 "solutions, recorded": ("--target=solutions", "--reference=golden")}
    with ThreadPoolExecutor(jobs) as pool:
        reports = dict(zip(runs, pool.map(lambda options: run_report([str(part.tests_path)], *options), runs.values())))
    mutant_report = reports["mutants"]
    found = {
        "graded-fixture": graded_fixture(part, mutant_report),
        "stubs-fail": stubs_fail(part, mutant_report),
        "mutants-caught": mutants_caught(part, mutant_report),
        "checks-reached": checks_reached(part, mutant_report),
        "solutions-pass": solutions_pass(part, reports["solutions"]),
    }
    if with_recordings:
        found["recordings-answer"] = recordings_answer(part, reports["solutions, recorded"], reports["mutants, recorded"])
    return found


# --- course-wide rules ---


def course_problems() -> list[str]:
    """What concerns the registry as a whole: parts on disk it lacks, testpaths it does not know."""
    from exercises.parts import unregistered_parts

    problems = [broken("registered", f"{name} exists on disk but not in PARTS: add Part(...) to exercises/parts.py "
                                     "(python -m exercises.maintain new-part writes it for a new part)")
                for name in unregistered_parts()]
    known = {p.folder for p in PARTS}
    problems += [broken("registered", f"pyproject.toml's testpaths names {path!r}, which PARTS does not know")
                 for path in _testpaths() if path != "tests" and path not in known]
    if "tests" not in _testpaths():
        problems.append(broken("registered", "pyproject.toml's testpaths lacks 'tests': CI never runs the course checks"))
    return problems


NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()


def rules_table() -> str:
    """The README's table of the rules, as RULES states them."""
    return "| rule | what it asks |\n|---|---|\n" + "".join(f"| `{r.name}` | {r.says} |\n" for r in RULES.values())


def readme_problems() -> list[str]:
    """The README against the registry and the rules: its counts, and its table of the rules."""
    problems = readme_counts()
    if rules_table() not in (ROOT / "README.md").read_text(encoding="utf-8"):
        problems.append(broken("registered", "README.md's table of the rules ('The rules a part meets') is not "
                                             "exercises/maintain/checks.py's RULES: paste checks.rules_table() there"))
    return problems


def readme_counts() -> list[str]:
    """The README's counts of parts ("Six parts, each ...", "all six parts") and of points ("580/580"),
    against the registry's finished parts."""
    finished = [p for p in PARTS if not p.draft and p.solutions_path.exists()]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    problems = []
    for phrase, word in re.findall(r"(\b[Aa]ll (\w+) parts\b)", readme) + re.findall(r"(\b(\w+) parts, each\b)", readme):
        if word.lower() not in NUMBER_WORDS or NUMBER_WORDS.index(word.lower()) != len(finished):
            problems.append(broken("registered", f"README.md says '{phrase}'; the course has {len(finished)} finished "
                                                 f"parts ({NUMBER_WORDS[len(finished)] if len(finished) < 13 else len(finished)})"))
    points = 10 * sum(len(_exercises(p)) for p in finished)
    totals = sorted({int(total) for total in re.findall(r"\b\d+/(\d{3,4})\b", readme)} - {points})
    problems += [broken("registered", f"README.md gives {total} as the points total; the course's finished parts "
                                      f"have {points}") for total in totals]
    return problems


# --- python -m exercises.maintain check PART ---


RUN_RULES = ("graded-fixture", "stubs-fail", "solutions-pass", "mutants-caught", "checks-reached", "recordings-answer")


def check_part(part: Part, with_runs: bool = True, seconds: dict | None = None) -> dict[str, list[str]]:
    """{rule name: problems} for the rules checked on one part. Left out: all but `files` when files
    are missing, the test-run rules when with_runs is False, recordings-answer when the recordings are
    stale. `seconds` gets each stage's time."""
    seconds = {} if seconds is None else seconds
    started = time.perf_counter()
    found: dict[str, list[str]] = {name: [] for name in RULES}
    for problem in static_problems(part):
        found[problem.split(":", 1)[0].removeprefix("rule ")].append(problem)
    seconds["files"] = time.perf_counter() - started
    if found["files"]:
        return {"files": found["files"]}
    if not with_runs:
        return {name: problems for name, problems in found.items() if name not in RUN_RULES}
    if found["recordings-current"]:
        del found["recordings-answer"]  # graded against stale recordings, the verdicts would say nothing
    started = time.perf_counter()
    found.update(test_run_problems(part, with_recordings="recordings-answer" in found))
    seconds["test runs"] = time.perf_counter() - started
    started = time.perf_counter()
    found["replication"] += quick_replication(part)
    seconds["quick replication"] = time.perf_counter() - started
    return found


def quick_replication(part: Part) -> list[str]:
    """Runs the part's replication at its quick size on the solutions, as the suite's notebooks do (tests/test_notebooks.py)."""
    import importlib

    with tempfile.TemporaryDirectory(prefix="replication-") as out:
        try:
            module = importlib.import_module(f"{part.folder}.replicate")
            numbers = module.run(target="solutions", quick=True, device="cpu", out_dir=Path(out))
        except Exception as error:  # noqa: BLE001 - reported as the rule it breaks
            return [broken("replication", f"{part.folder}/replicate.py's run(target='solutions', quick=True) raised "
                                          f"{type(error).__name__}: {str(error)[:300]}")]
        return replication_numbers(part, numbers, getattr(module, "QUICK_EXPECTATIONS", {}), list(Path(out).glob("*.html")))


def main(argv: list[str] | None = None) -> int:
    import argparse

    from exercises.parts import UnknownPart, find_part

    parser = argparse.ArgumentParser(prog="python -m exercises.maintain check",
                                     description="Every rule a part meets (README, 'The rules a part meets'), for one part.")
    parser.add_argument("parts", nargs="+", help="part number or name, e.g. 0 or part0_mnist")
    parser.add_argument("--static", action="store_true", help="only what reads files: no test run, no replication")
    args = parser.parse_args(argv)
    try:
        chosen = [find_part(name) for name in args.parts]
    except UnknownPart as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = 0
    for part in chosen:
        seconds: dict[str, float] = {}
        results = check_part(part, with_runs=not args.static, seconds=seconds)
        broken_rules = [name for name, problems in results.items() if problems]
        for name, problems in results.items():
            print(f"  {'ok    ' if not problems else 'BROKEN'} {name}")
            for problem in problems:
                print(f"           {problem.split(': ', 1)[1]}")
        not_run = [name for name in RULES if name not in results]  # see check_part
        print(f"{part.folder}: {len(results) - len(broken_rules)} of {len(results)} rules hold"
              + (f", {len(broken_rules)} broken ({', '.join(broken_rules)})" if broken_rules else "")
              + (f"; not checked: {', '.join(not_run)}" if not_run else "")
              + f" ({sum(seconds.values()):.1f} s: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()) + ")")
        failed += bool(broken_rules)
    for problem in course_problems() + readme_problems():
        print(problem)
        failed += 1
    return 1 if failed else 0
