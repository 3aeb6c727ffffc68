"""The teachers' adapters: the GitHub Actions workflow, the Classroom 50 bundle, the Gradescope zip.

Each bundle is also run here the way its platform runs it, on this checkout's Python environment
instead of the one it would install (Gradescope: AUTOGRADER_VENV; Classroom 50: AUTOGRADER_PYTHON),
and grading with the course unpacked from the bundle, not this checkout:

- Gradescope: run_autograder as root in a folder laid out like /autograder (AUTOGRADER_ROOT):
  the solutions and the stubs on every part (about 65 s each on two CPU cores), and, on parts 0
  and 1, a submission that attacks the unpacked course, in each sandbox kind this machine allows.
- Classroom 50: autograder.py from the submission's checkout, with TMPDIR a fresh folder that
  must be empty afterwards, whether the grade succeeded, failed or was stopped.
"""

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from exercises import editions
from exercises.grader import sandbox
from exercises.parts import ROOT, built_parts, find_part

pytestmark = pytest.mark.timeout(300)
EVERY_PART = built_parts()
FIRST_TWO = [find_part("0"), find_part("1")]
RUN_LIMIT = 240  # seconds, for one grading run of a bundle


def test_workflow_is_up_to_date():
    assert editions.WORKFLOW.read_text() == editions.workflow_text(), (
        "the grading workflow is out of date: run python -m exercises.editions workflow"
    )


def test_github_classroom_workflow_is_gone():
    assert not (ROOT / ".github" / "workflows" / "editions.yml").exists(), (
        "GitHub Classroom was retired: its workflow graded by exit code in files the learner controls"
    )


def test_workflow_is_one_job_with_one_grading_run_from_a_pristine_course():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(editions.WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    grading = [run for run in runs if "-m exercises grade" in run]
    assert len(grading) == 1 and "--summary \"$GITHUB_STEP_SUMMARY\"" in grading[0]
    assert not any("pytest" in run or "MECH_INTERP_TARGET" in run for run in runs)
    course = next(step for step in job["steps"] if step.get("with", {}).get("path") == "course")
    assert "vars.COURSE_REPOSITORY" in course["with"]["repository"]
    steps = [step.get("run", "") for step in job["steps"]]
    installs = next(i for i, run in enumerate(steps) if "apt-get install -y bubblewrap" in run)
    assert installs < steps.index(grading[0]), "bubblewrap is installed before the grading step"
    assert "--sandbox $SANDBOX" in grading[0] and "SANDBOX=none" in grading[0], (
        "where no sandbox can run, the workflow grades without one (and says so)")



def _probe_step() -> str:
    """The workflow's lines that choose the sandbox, up to the grading command."""
    step = next(run for run in re.findall(r"(?ms)^        run: \|\n(.*?)(?=^      - )", editions.workflow_text())
                if "SANDBOX=auto" in run)
    return "\n".join(line.strip() for line in step.splitlines()[:step.splitlines().index(next(
        line for line in step.splitlines() if "-m exercises grade" in line))])


@pytest.mark.parametrize("probe_exit, expected", [(0, "sandbox auto"), (sandbox.NONE_CAN_RUN, "sandbox none"), (1, "exit 1")])
def test_workflow_grades_without_a_sandbox_only_when_none_can_run(tmp_path, probe_exit, expected):
    """A probe that fails for another reason (the course does not import) stops the job: no grade without a sandbox."""
    (tmp_path / "python").write_text(f"#!/bin/sh\nexit {probe_exit}\n")
    (tmp_path / "python").chmod(0o755)
    script = _probe_step() + '\necho "sandbox $SANDBOX"'
    done = subprocess.run(["bash", "-e", "-c", script], env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
                          capture_output=True, text=True)
    said = f"exit {done.returncode}" if done.returncode else done.stdout.strip().splitlines()[-1]
    assert said == expected, done.stdout + done.stderr


def test_classroom50_refuses_to_grade_when_its_sandbox_probe_breaks(tmp_path):
    """The bundle's probe runs the course's python -m exercises.grader.sandbox: exit NONE_CAN_RUN means
    grade without a sandbox, and any other failure is an error, not a reason to drop the sandbox."""
    script = tmp_path / "autograder.py"
    script.write_text(editions.classroom50_autograder_text())
    namespace = {"__name__": "autograder", "__file__": str(script)}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    broken = tmp_path / "course" / "exercises"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('a broken course')\n")
    with pytest.raises(RuntimeError, match="(?s)sandbox probe failed .exit 1.*a broken course"):
        namespace["sandbox_kind"](sys.executable, tmp_path / "course", dict(os.environ))

# --- helpers ---


def _submission(root: Path, parts: list, kind: str = "stubs", texts: dict | None = None) -> Path:
    """A learner's copy: each part's exercises.py is the stub, the solution, or texts[part.short]."""
    for part in parts:
        text = (texts or {}).get(part.short)
        if text is None:
            text = (part.solutions_path if kind == "solutions" else part.exercises_path).read_text()
        target = root / part.folder / "exercises.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def _points_by_part(tests: list[dict], score: str, max_score: str, name: str) -> dict[str, tuple[int, int]]:
    by_part: dict[str, tuple[int, int]] = {}
    for test in tests:
        got, most = by_part.get(test[name].split()[0], (0, 0))
        by_part[test[name].split()[0]] = (got + test[score], most + test[max_score])
    return by_part


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command and int(entry.name) != os.getpid():
            found.append(f"{entry.name}: {command[:200]}")
    return found


# --- Gradescope ---


@pytest.fixture(scope="module")
def gradescope_zips(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("gradescope")
    return {"every part": editions.write_gradescope_zip(out / "autograder.zip"),
            "parts 0 1": editions.write_gradescope_zip(out / "autograder-01.zip", ["0", "1"])}


@contextmanager
def _autograder_folder(zip_path: Path):
    """A folder laid out as Gradescope lays out /autograder: source/ (the zip), run_autograder (its
    copy), submission/, results/. Under /tmp and open to others, so only run_autograder's own
    chmod keeps an unprivileged uid out of source/."""
    root = Path(tempfile.mkdtemp(prefix="autograder-test-"))
    try:
        root.chmod(0o755)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root / "source")
            for info in archive.infolist():
                (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        (root / "submission").mkdir()
        (root / "results").mkdir()
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_gradescope(root: Path, sandbox_kind: str | None = None, env: dict | None = None) -> dict:
    """run_autograder as Gradescope runs it (as root, from /autograder), on this checkout's environment."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_VENV": sys.prefix, **(env or {})}
    if sandbox_kind:
        env["AUTOGRADER_SANDBOX"] = sandbox_kind
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=RUN_LIMIT)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    seed = re.search(r"grading seed (\d+)", done.stdout)
    return {"results": results, "stdout": done.stdout, "seed": int(seed.group(1)) if seed else None}


def _check_gradescope_format(results: dict, parts: list) -> None:
    assert {"score", "execution_time", "output", "tests"} <= set(results) and results["stdout_visibility"] == "hidden"
    assert results["score"] == sum(test["score"] for test in results["tests"])
    names = {test["name"].split()[0] for test in results["tests"]}
    assert names == {part.short for part in parts}
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] == ("passed" if test["score"] == test["max_score"] else "failed")
        assert re.fullmatch(r"\d+\.\d+", test["number"]) and test["max_score"] == 10


@pytest.fixture(scope="module")
def gradescope_every_part(gradescope_zips):
    """Grades the solutions or the stubs of every part with the full zip, once each per session."""
    runs: dict[str, dict] = {}

    def run(kind: str) -> dict:
        if kind not in runs:
            with _autograder_folder(gradescope_zips["every part"]) as root:
                _submission(root / "submission", EVERY_PART, kind)
                start = time.perf_counter()
                runs[kind] = {**_run_gradescope(root), "seconds": time.perf_counter() - start}
        return runs[kind]

    return run


def test_gradescope_zip(gradescope_zips):
    with zipfile.ZipFile(gradescope_zips["every part"]) as archive:
        names = archive.namelist()
        for script in ("setup.sh", "run_autograder"):
            assert script in names, f"Gradescope needs {script} at the root of the zip"
            assert (archive.getinfo(script).external_attr >> 16) & stat.S_IXUSR
        run, setup = archive.read("run_autograder").decode(), archive.read("setup.sh").decode()
        config = archive.read("course/pyproject.toml").decode()
    for part in EVERY_PART:  # the zip is the teacher's alone: it grades with the live reference
        assert f"course/solutions/{part.folder}.py" in names and f"course/{part.folder}/exercises.py" in names
    assert not any(n.startswith(("course/solutions/mutants/", "course/tests/", "course/.ci/", "course/.github/"))
                   for n in names), "the mutants and the maintainers' checks stay out of the zip"
    assert editions._packages_line([*editions.toolkit_packages(), "solutions"]) in config and '"tests"' not in config
    for text in (run, setup):
        assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0
    lines = [line for line in run.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert lines[-1].startswith('exec "$VENV/bin/python" -m exercises grade "$ROOT/submission" --format gradescope')
    assert '--sandbox "${AUTOGRADER_SANDBOX:-auto}"' in lines[-1] and '"$ROOT/results/results.json"' in lines[-1]
    assert lines.index('chmod -R go-rwx "$ROOT/source"') < len(lines) - 1, "close the teacher's copy first"
    assert 'ROOT="${AUTOGRADER_ROOT:-/autograder}"' in run
    assert "apt-get install -y -qq bubblewrap" in setup and '$PIP -e "$ROOT/source/course"' in setup, (
        "an editable install keeps solutions/ out of the environment the learner's code can read")


def test_gradescope_solutions_score_full_marks_on_every_part(gradescope_every_part):
    run = gradescope_every_part("solutions")
    _check_gradescope_format(run["results"], EVERY_PART)
    by_part = _points_by_part(run["results"]["tests"], "score", "max_score", "name")
    assert all(got == most for got, most in by_part.values()), by_part
    assert run["results"]["score"] == 10 * len(run["results"]["tests"]), run["stdout"]
    print(f"every part, solutions: {run['seconds']:.0f} s")


def test_gradescope_stubs_score_zero_on_every_part(gradescope_every_part):
    run = gradescope_every_part("stubs")
    _check_gradescope_format(run["results"], EVERY_PART)
    assert run["results"]["score"] == 0 and all(test["status"] == "failed" for test in run["results"]["tests"])
    print(f"every part, stubs: {run['seconds']:.0f} s")


def test_gradescope_draws_a_new_grading_seed_each_run(gradescope_every_part):
    first, second = gradescope_every_part("solutions"), gradescope_every_part("stubs")
    assert first["seed"] is not None and second["seed"] is not None, first["stdout"] + second["stdout"]
    assert first["seed"] != second["seed"], "each run draws its own grading seed"
    if sandbox.bwrap_works():
        assert "sandbox bwrap" in first["stdout"]


CANARY = """
import os as _os
if _os.environ.get("CANARY"):  # test_editions.py: which copy of the course each grading process runs
    with open(_os.environ["CANARY"], "a") as _file:
        _file.write(__file__ + "\\n")
"""

ATTACK = """
import json, os
ROOT, tried = {root!r}, {{}}

def attempt(what, path, mode):
    try:
        with open(path, mode) as file:
            file.read() if mode == "r" else file.write("\\necho forged; exit 0\\n")
        tried[what] = "done"
    except OSError as error:
        tried[what] = type(error).__name__

attempt("read the solutions", ROOT + "/source/course/solutions/part0_mnist.py", "r")
attempt("add a test", ROOT + "/source/course/part0_mnist/tests/test_forged.py", "w")
attempt("change the grader", ROOT + "/source/course/exercises/grader/grade.py", "a")
attempt("append to run_autograder", ROOT + "/run_autograder", "a")
attempt("append to its source", ROOT + "/source/run_autograder", "a")
attempt("forge results.json", ROOT + "/results/results.json", "w")
raise RuntimeError("ATTACK " + json.dumps(tried))
"""


def _sandbox_kinds() -> list:
    user = pytest.mark.skipif(not sandbox.user_mode_works(), reason="the user sandbox needs root, setpriv and a Python "
                                                                  "other users can run")
    bwrap = pytest.mark.skipif(not sandbox.bwrap_works(), reason="bubblewrap cannot make namespaces here")
    return [pytest.param("auto", marks=bwrap), pytest.param("user", marks=user)]


@pytest.mark.parametrize("kind", _sandbox_kinds())
def test_gradescope_grades_with_its_own_course_out_of_the_learners_reach(gradescope_zips, tmp_path, kind):
    """The grading processes run the unpacked course (not this checkout, which the environment's
    editable install points at), and a submission that tries to read the solutions, change the
    course, append to run_autograder or forge results.json changes nothing and scores 0."""
    with _autograder_folder(gradescope_zips["parts 0 1"]) as root:
        course = root / "source" / "course"
        with open(course / "exercises" / "__init__.py", "a") as init:
            init.write(CANARY)
        part0 = find_part("0")
        _submission(root / "submission", FIRST_TWO, texts={"part0": part0.exercises_path.read_text() + ATTACK.format(root=str(root))})
        before = {**_tree(root / "source"), "run_autograder": (root / "run_autograder").read_bytes()}
        canary = tmp_path / "canary.txt"
        run = _run_gradescope(root, None if kind == "auto" else kind, env={"CANARY": str(canary)})
        after = {**_tree(root / "source"), "run_autograder": (root / "run_autograder").read_bytes()}
        assert not sandbox.readable_by_others(course / "solutions"), "run_autograder closes the teacher's copy"
        assert sorted(p.name for p in (root / "results").iterdir()) == ["results.json"]

    assert f"sandbox {'bwrap' if kind == 'auto' else 'user'}" in run["stdout"], run["stdout"]
    used = canary.read_text().splitlines()
    assert set(used) == {str(course / "exercises" / "__init__.py")} and len(used) >= 1 + len(FIRST_TWO), (
        f"the grader and each part's grading process import the unpacked course's exercises package: {used}")
    outputs = [test["output"] for test in run["results"]["tests"] if test["name"].startswith("part0 ")]
    assert outputs and all("ATTACK " in output for output in outputs), outputs
    tried = json.loads(outputs[0].split("ATTACK ", 1)[1].splitlines()[0])
    assert len(tried) == 6 and "done" not in tried.values(), tried
    if kind == "user":  # source/ is where it was, open to all but for run_autograder's chmod
        assert tried["read the solutions"] == "PermissionError", tried
    assert before == after, "the unpacked zip and run_autograder are as they were"
    assert run["results"]["score"] == 0


# --- Classroom 50 ---


@pytest.fixture(scope="module")
def classroom50_bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("classroom50")
    script, _archive = editions.write_classroom50_bundle(out, ["0", "1"])
    return script


def _has_no_reference(names: list[str]) -> None:
    assert not any(n.startswith(("course/solutions/", "course/tests/", "course/.ci/")) for n in names), (
        "the Classroom 50 bundle must not carry the reference, the mutants or the maintainers' checks"
    )
    for part in built_parts():
        assert f"course/{part.folder}/tests/golden.pt" in names, f"{part.folder}'s recorded reference outputs"
        assert f"course/{part.folder}/exercises.py" in names


def test_classroom50_bundle(tmp_path):
    script, archive = editions.write_classroom50_bundle(tmp_path)
    assert script.name == "autograder.py" and script.stat().st_mode & stat.S_IXUSR
    text = script.read_text()
    compile(text, str(script), "exec")
    assert '"result.json", "release-body.md"' in text and "unlink" in text, "a committed result.json must not count"
    assert "__PARTS__" not in text and "PARTS = []" in text and f'TORCH = "{editions.TORCH}"' in text
    with tarfile.open(archive) as tar:
        _has_no_reference(tar.getnames())


def _run_classroom50(script: Path, submission: Path, temp: Path, env: dict | None = None,
                     python: str = sys.executable) -> subprocess.CompletedProcess:
    """autograder.py as the runner runs it: from the learner's checkout; TMPDIR a folder of its own."""
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp), "AUTOGRADER_PYTHON": python, **(env or {})}
    return subprocess.run([sys.executable, str(script)], cwd=submission, env=env, capture_output=True, text=True,
                          timeout=RUN_LIMIT)


def _check_classroom50_result(submission: Path, parts: list) -> dict:
    result = json.loads((submission / "result.json").read_text())
    assert result["schema"] == "classroom50/result/v1" and result["score"] == sum(t["score"] for t in result["tests"])
    assert {t["test-name"].split()[0] for t in result["tests"]} == {part.short for part in parts}
    body = (submission / "release-body.md").read_text()
    assert f"### Score: {result['score']} / {result['max-score']}" in body
    return result


def test_classroom50_solutions_score_full_marks_and_leave_nothing_behind(classroom50_bundle, tmp_path):
    submission = _submission(tmp_path / "submission", FIRST_TWO, "solutions")
    (submission / "result.json").write_text('{"score": 999}')  # committed by the learner: must not count
    done = _run_classroom50(classroom50_bundle, submission, tmp_path / "temp")
    assert done.returncode == 0, done.stdout + done.stderr
    result = _check_classroom50_result(submission, FIRST_TWO)
    assert result["score"] == result["max-score"] == 10 * len(result["tests"]), result
    assert "no solutions/" in done.stdout, "graded with the learners' edition unpacked from the bundle"
    if sandbox.bwrap_works():
        assert "sandbox bwrap" in done.stdout
        assert "without a sandbox" not in (submission / "release-body.md").read_text()
    assert not list((tmp_path / "temp").iterdir()), "the work folder and the grader's temporary files are removed"


def test_classroom50_without_a_sandbox_grades_and_says_so(classroom50_bundle, tmp_path):
    """No bwrap, setpriv, sudo or apt-get on PATH: no sandbox can run, nothing is installed; graded anyway."""
    submission = _submission(tmp_path / "submission", FIRST_TWO, "stubs")
    (tmp_path / "empty-bin").mkdir()
    done = _run_classroom50(classroom50_bundle, submission, tmp_path / "temp", env={"PATH": str(tmp_path / "empty-bin")})
    assert done.returncode == 0, done.stdout + done.stderr
    result = _check_classroom50_result(submission, FIRST_TWO)
    assert result["score"] == 0 and result["max-score"] == 10 * len(result["tests"])
    assert "sandbox none" in done.stdout
    assert (submission / "release-body.md").read_text().startswith("> **Graded without a sandbox.**")
    assert not list((tmp_path / "temp").iterdir())


def test_classroom50_cleans_up_when_grading_fails(classroom50_bundle, tmp_path):
    broken = tmp_path / "python"
    broken.write_text(f"""#!/bin/sh
case " $* " in *" exercises grade "*) mkdir "$TMPDIR/written-by-the-grader"; echo "the grader broke" >&2; exit 3;; esac
exec {sys.executable} "$@"
""")
    broken.chmod(0o755)
    submission = _submission(tmp_path / "submission", FIRST_TWO, "stubs")
    done = _run_classroom50(classroom50_bundle, submission, tmp_path / "temp", python=str(broken))
    assert done.returncode == 3 and "the grader broke" in done.stderr, done.stdout + done.stderr
    assert not (submission / "result.json").exists()
    assert not list((tmp_path / "temp").iterdir()), "removed after a failure too"


def test_classroom50_cleans_up_when_stopped(classroom50_bundle, tmp_path):
    """A cancelled job (SIGTERM while the parts are being graded): no folder and no process is left."""
    submission = _submission(tmp_path / "submission", FIRST_TWO, "solutions")
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "AUTOGRADER_PYTHON": sys.executable}
    process = subprocess.Popen([sys.executable, str(classroom50_bundle)], cwd=submission, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(temp.glob("learn-mech-interp-*/tmp/grade-*")) and time.monotonic() < deadline:
            assert process.poll() is None, "the autograder ended before grading"
            time.sleep(0.1)
        assert list(temp.glob("learn-mech-interp-*/tmp/grade-*")), "grading never started"
        time.sleep(1.0)  # the parts' grading processes and workers are running now
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not list(temp.iterdir()), "the work folder is removed when the job is stopped"
    assert not _processes_mentioning(str(temp)), "every process the grader started has ended"
    assert not (submission / "result.json").exists()
