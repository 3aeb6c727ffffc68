import torch

from exercises.grading import call_graded, check_tensor


def test_hand_computed(graded):
    acts = torch.zeros(3, 4)
    acts[2, 1], acts[0, 3], acts[1, 0] = 5.0, 4.0, 3.0
    values, where = call_graded(graded.top_activating_examples, acts, 2, returns=("values", "positions"))
    check_tensor(values, torch.tensor([5.0, 4.0]), what="top_activating_examples(acts, 2)[0], the values",
                 against="the hand-computed case", hint="largest first: topk(k).")
    check_tensor(where, torch.tensor([[2, 1], [0, 3]]), what="top_activating_examples(acts, 2)[1], [sequence, position] pairs",
                 against="the hand-computed case (3 sequences of 4 positions)",
                 hint="flat index i of a [n_seq, pos] tensor is sequence i // pos, position i % pos.")
