import torch

from exercises.testing import call_graded, check, grading_seed

from ._models import NAMES, TEMPLATES, expect_value_error


def _prompts(fn, n=8):
    return call_graded(fn, TEMPLATES, NAMES, n, torch.Generator().manual_seed(grading_seed(3)))


def test_matches_reference(graded, reference):
    clean, abc = _prompts(graded.ioi_prompts)
    expected_clean, expected_abc = _prompts(reference.ioi_prompts)
    check([vars(p) for p in clean] == [vars(p) for p in expected_clean],
          f"ioi_prompts: the clean prompts differ from the reference.\n  got      {[p.text for p in clean[:2]]}\n"
          f"  expected {[p.text for p in expected_clean[:2]]}\nHint: prompt i uses templates[i % len(templates)]; "
          f"even i is ABBA (a=n0, b=n1), odd i is BABA (a=n1, b=n0); the repeated name c is n1.")
    check([vars(p) for p in abc] == [vars(p) for p in expected_abc],
          f"ioi_prompts: the ABC prompts differ from the reference.\n  got      {[p.text for p in abc[:2]]}\n"
          f"  expected {[p.text for p in expected_abc[:2]]}\nHint: the ABC prompt keeps the template and uses "
          f"the other three names drawn for it: A=n2, B=n3, S=n4.")


def test_one_name_repeated_abc_none(graded):
    clean, abc = _prompts(graded.ioi_prompts, 6)
    for i, (p, q) in enumerate(zip(clean, abc)):
        check(p.c in (p.a, p.b) and p.io != p.c and (p.a == p.io) == (i % 2 == 0),
              f"ioi_prompts: clean prompt {i} ({p.text!r}) should repeat one name and be "
              f"{'ABBA (IO first)' if i % 2 == 0 else 'BABA (S first)'}.")
        check(len({q.a, q.b, q.c, p.a, p.b}) == 5,
              f"ioi_prompts: ABC prompt {i} ({q.text!r}) should use three names different from each other and "
              f"from its clean prompt's ({p.text!r}).")


def test_bad_input(graded):
    expect_value_error(graded.ioi_prompts, ["When {A} and {B} went to the store, gave a drink to"], NAMES, 2,
                       torch.Generator(), mentions="went to the store", why="a template without {S}")
    expect_value_error(graded.ioi_prompts, TEMPLATES, NAMES[:4], 2, torch.Generator(), mentions="names",
                       why="only four names (a prompt and its ABC copy need five different ones)")
