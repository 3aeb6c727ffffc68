"""A correct solution passes whatever the grading seed (python -m exercises grade draws one per run).

The grader moves every seed the tests write down (exercises.testing.grading_seed), so a test
must not hold only for the inputs of seed 0: this runs every part's tests on the solutions under
other seeds, as a grading run would draw them. (Twenty seeds, by hand: see the README.)
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


def _literal_seeds(path) -> list[str]:
    """'file:line' of each seed written as a bare number (seed=3, manual_seed(3)) instead of grading_seed(3)."""
    import io
    import tokenize

    tokens = [t for t in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
              if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    found = []
    for i, token in enumerate(tokens[:-3]):
        after = tokens[i + 3] if tokens[i + 1].string == ":" else tokens[i + 1]
        value = tokens[i + 5] if tokens[i + 1].string == ":" and i + 5 < len(tokens) else tokens[i + 2]
        if token.string == "seed" and after.string == "=" and value.type == tokenize.NUMBER:
            found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
        if token.string == "manual_seed" and tokens[i + 1].string == "(" and tokens[i + 2].type == tokenize.NUMBER:
            found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    return found


def test_every_seed_a_test_writes_goes_through_grading_seed():
    """A bare seed gives the same inputs in every grading run: the answers recorded in the learners'
    edition (tests/golden.pt) would then earn the points without any code."""
    bare = [where for part in built_parts() for path in sorted(part.tests_path.rglob("*.py"))
            for where in _literal_seeds(path)]
    assert not bare, ("write these seeds as grading_seed(N) (from exercises.testing), so a grading run moves "
                      f"them: {bare}")
