"""A correct solution passes whatever the grading seed (python -m exercises grade draws one per run).

The grader moves every seed the tests write down (exercises.testing.grading_seed), so a test
must not hold only for the inputs of seed 0: this runs every part's tests on the solutions under
other seeds, as a grading run would draw them (twenty seeds, by hand: see the README). That every
seed goes through grading_seed is the rule grading-seeds (tests/test_part_rules.py).
"""

import subprocess
import sys

import pytest

from exercises.parts import ROOT, built_parts

pytestmark = pytest.mark.timeout(600)


@pytest.mark.parametrize("seed", [977])
def test_solutions_pass_under_other_grading_seeds(seed):
    command = [sys.executable, "-m", "pytest", *[str(p.tests_path) for p in built_parts()], "--target=solutions",
               f"--grading-seed={seed}", "-q", "--no-header", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"under --grading-seed={seed}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
