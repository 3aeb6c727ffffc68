import pytest
import torch

from exercises.testing import call_graded, check_close, check_tensor, grading_seed

from ._models import SHAPES, batches, tiny_model

SIZES = [0, 1, 3, 7, 12]


def _scores(model, seed):
    """Random scores, half of them negative (a ranking by the score as given, not by its size)."""
    return torch.randn(model.cfg.n_layers, model.cfg.n_heads, generator=torch.Generator().manual_seed(grading_seed(seed)))


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_reference(graded, reference, shape):
    model = tiny_model(shape)
    data, abc = batches(model)
    scores = _scores(model, 21)
    got = call_graded(graded.top_circuit_logit_diffs, model, data, abc, scores, SIZES)
    expected = reference.top_circuit_logit_diffs(model, data, abc, scores, SIZES)
    check_tensor(got, expected, atol=1e-4, what=f"top_circuit_logit_diffs(sizes={SIZES}) on a tiny {shape} model, scores "
                 f"{[[round(v, 2) for v in row] for row in scores.tolist()]}",
                 hint="keep the n heads with the LARGEST scores (as given: a negative score ranks low), mean-ablate every "
                 "other head at every position over the ABC prompts, and read each prompt's logit difference at its END.")


def test_agrees_with_circuit_logit_diffs(graded, reference):
    """Each size's value is circuit_logit_diffs' 'circuit' for the top-n heads (this test ranks the heads itself)."""
    model = tiny_model("llama")
    data, abc = batches(model)
    scores = _scores(model, 22)
    heads = reference.all_heads(model)
    ranked = sorted(heads, key=lambda head: -scores[head].item())
    got = call_graded(graded.top_circuit_logit_diffs, model, data, abc, scores, SIZES)
    for i, n in enumerate(SIZES):
        expected = reference.circuit_logit_diffs(model, data, abc, ranked[:n])["circuit"]
        check_close(got[i].item(), expected, atol=1e-4, what=f"top_circuit_logit_diffs(...)[{i}] (n = {n}), tiny llama model",
                    against=f"circuit_logit_diffs(...)['circuit'] for the {n} top-scoring heads {ranked[:n]}",
                    hint="the circuit of size n is the n heads with the largest scores; all other heads are mean-ablated.")


def test_ties_follow_the_order_of_the_heads(graded, reference):
    """Equal scores: the earlier head (layer by layer, then by head) is kept first."""
    model = tiny_model("gpt2")
    data, abc = batches(model)
    scores = torch.zeros(model.cfg.n_layers, model.cfg.n_heads)
    scores[2, 1] = 1.0
    sizes = [1, 2, 5]
    got = call_graded(graded.top_circuit_logit_diffs, model, data, abc, scores, sizes)
    heads = [(2, 1)] + [h for h in reference.all_heads(model) if h != (2, 1)]
    for i, n in enumerate(sizes):
        expected = reference.circuit_logit_diffs(model, data, abc, heads[:n])["circuit"]
        check_close(got[i].item(), expected, atol=1e-4, what=f"top_circuit_logit_diffs with one score 1 and the rest 0, n = {n}",
                    against=f"the circuit {heads[:n]}",
                    hint="break ties by the order of all_heads(model): argsort(descending=True, stable=True) does.")
