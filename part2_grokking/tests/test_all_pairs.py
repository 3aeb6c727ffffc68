import torch

from exercises.testing import call_graded, check, check_tensor, grading_pick


def test_matches_reference(graded, reference):
    p = grading_pick((7, 11, 13))
    tokens, labels = call_graded(graded.all_pairs, p, returns=("tokens", "labels"))
    ref_tokens, ref_labels = reference.all_pairs(p)
    check_tensor(tokens, ref_tokens, what=f"all_pairs({p}) tokens", hint="row i is [i // p, i % p, p].")
    check_tensor(labels, ref_labels, what=f"all_pairs({p}) labels", hint="(a + b) mod p, not a + b.")


def test_rows_by_hand(graded):
    tokens, labels = call_graded(graded.all_pairs, 5, returns=("tokens", "labels"))
    check(tokens.shape == (25, 3) and labels.shape == (25,), f"all_pairs(5) shapes: got {tuple(tokens.shape)}, {tuple(labels.shape)}; expected (25, 3), (25,)")
    check(tokens[:, 2].eq(5).all().item(), f"all_pairs(5): the last token of every row is '=' (token p = 5); the last column holds {tokens[:, 2].unique().tolist()}")
    check(tokens[7].tolist() == [1, 2, 5], f"all_pairs(5) row 7 should be a=1, b=2, '='=5: got {tokens[7].tolist()}")
    wrong = (labels != (tokens[:, 0] + tokens[:, 1]) % 5).nonzero().flatten().tolist()
    first = wrong[0] if wrong else 0
    a, b = tokens[first, :2].tolist()
    check(not wrong, f"all_pairs(5): every label is (a + b) mod p, but {len(wrong)} of 25 are not; e.g. row {first}, "
          f"{a} + {b}: label {labels[first].item()}, expected {(a + b) % 5}")
