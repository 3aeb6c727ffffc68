"""Every part meets every rule (exercises/maintain/checks.py; README, "The rules a part meets").

The rules that read files run per part. Those that need test runs read one pytest run of every
part's tests with --target=mutants (each test against the generated stubs and each mutant), as
`python -m exercises.maintain check PART` reads one part's. The rule solutions-pass is the suite
itself; recordings-answer is checked here for the solutions and stubs (tests/test_learners_edition.py),
and for the mutants by the one-part check and `python -m exercises.maintain kernels --matrix`.
"""

import pytest

from exercises.maintain import checks
from exercises.parts import built_parts

PARTS = built_parts()
pytestmark = pytest.mark.timeout(1800)  # one pytest run over every part, stubs and mutants


def _say(problems: list[str]) -> str:
    return "\n".join(problems)


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_rules_read_from_the_files(part):
    problems = checks.static_problems(part)
    assert problems == [], _say(problems)


def test_course_wide_rules():
    problems = checks.course_problems() + checks.readme_problems()
    assert problems == [], _say(problems)


@pytest.fixture(scope="module")
def mutant_report() -> dict:
    return checks.run_report([str(p.tests_path) for p in PARTS], "--target=mutants")


@pytest.mark.parametrize("part", PARTS, ids=[p.short for p in PARTS])
def test_rules_read_from_the_stub_and_mutant_run(part, mutant_report):
    problems = (checks.graded_fixture(part, mutant_report) + checks.stubs_fail(part, mutant_report)
                + checks.mutants_caught(part, mutant_report) + checks.checks_reached(part, mutant_report))
    assert problems == [], _say(problems)
