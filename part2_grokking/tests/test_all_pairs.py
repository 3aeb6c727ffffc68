import torch

from exercises.grading import call_graded, check, check_tensor


def test_matches_reference(graded, reference):
    tokens, labels = call_graded(graded.all_pairs, 7)
    ref_tokens, ref_labels = reference.all_pairs(7)
    check_tensor(tokens, ref_tokens, what="all_pairs(7) tokens", hint="row i is [i // p, i % p, p].")
    check_tensor(labels, ref_labels, what="all_pairs(7) labels", hint="(a + b) mod p, not a + b.")


def test_rows_by_hand(graded):
    tokens, labels = call_graded(graded.all_pairs, 5)
    check(tokens.shape == (25, 3) and labels.shape == (25,), f"all_pairs(5) shapes: got {tuple(tokens.shape)}, {tuple(labels.shape)}; expected (25, 3), (25,)")
    check(tokens[7].tolist() == [1, 2, 5], f"all_pairs(5) row 7 should be a=1, b=2, '='=5: got {tokens[7].tolist()}")
    check(tokens[:, 2].eq(5).all().item(), "all_pairs(5): the last token of every row is '=' (token p = 5)")
    check(labels[24].item() == 3, f"all_pairs(5): the label of 4 + 4 is 8 mod 5 = 3, got {labels[24].item()}")
    check(torch.equal(labels, (tokens[:, 0] + tokens[:, 1]) % 5), "all_pairs(5): every label is (a + b) mod p")
