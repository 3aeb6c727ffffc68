import torch

from exercises.testing import call_graded, check_tensor, grading_seed


def test_hand_computed(graded):
    acts = torch.zeros(3, 4)
    acts[2, 1], acts[0, 3], acts[1, 0] = 5.0, 4.0, 3.0
    values, where = call_graded(graded.top_activating_examples, acts, 2, returns=("values", "positions"))
    check_tensor(values, torch.tensor([5.0, 4.0]), what="top_activating_examples(acts, 2)[0], the values",
                 against="the hand-computed case", hint="largest first: topk(k).")
    check_tensor(where, torch.tensor([[2, 1], [0, 3]]), what="top_activating_examples(acts, 2)[1], [sequence, position] pairs",
                 against="the hand-computed case (3 sequences of 4 positions)",
                 hint="flat index i of a [n_seq, pos] tensor is sequence i // pos, position i % pos.")


def test_matches_reference_on_random_activations(graded, reference):
    acts = torch.randn(8, 6, generator=torch.Generator().manual_seed(grading_seed(2))).relu()  # 8 sequences of 6 positions
    values, where = call_graded(graded.top_activating_examples, acts, 5, returns=("values", "positions"))
    expected_values, expected_where = reference.top_activating_examples(acts, 5)
    what = "top_activating_examples(random ReLU'd activations of 8 sequences x 6 positions, k=5)"
    hint = ("the k largest over every (sequence, position), largest first: one sequence may supply several of them "
            "(here sequence {} supplies {}), so take topk over feature_acts.flatten(), not the best position of each sequence.")
    sequences = expected_where[:, 0].tolist()
    busiest = max(set(sequences), key=sequences.count)
    hint = hint.format(busiest, sequences.count(busiest))
    check_tensor(values, expected_values, what=f"{what}[0], the values", hint=hint)
    check_tensor(where, expected_where, what=f"{what}[1], [sequence, position] pairs",
                 hint="flat index i of a [n_seq, pos] tensor is sequence i // pos, position i % pos.")
