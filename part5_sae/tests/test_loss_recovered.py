import torch

from exercises.grading import call_graded, check, check_close

from ._tiny import tiny_model, tiny_tokens


def _noisy(activation):
    return activation + torch.sin(7 * activation)  # deterministic, and far from the truth


def test_perfect_and_useless_reconstructions(graded):
    model, tokens = tiny_model(), tiny_tokens(4, 8)
    perfect = call_graded(graded.loss_recovered, model, tokens, 1, lambda a: a.clone())
    check(isinstance(perfect, dict) and {"clean", "spliced", "zero_ablated", "recovered"} <= set(perfect),
          f"loss_recovered should return a dict with 'clean', 'spliced', 'zero_ablated', 'recovered'; got {perfect!r}")
    check_close(perfect["recovered"], 1.0, atol=1e-4, what="loss_recovered(..., reconstruct=identity)['recovered']",
                against="1 (splicing in the activation itself changes nothing)",
                hint="recovered = (zero_ablated - spliced) / (zero_ablated - clean).")
    useless = call_graded(graded.loss_recovered, model, tokens, 1, torch.zeros_like)
    check_close(useless["recovered"], 0.0, atol=1e-4, what="loss_recovered(..., reconstruct=zeros)['recovered']",
                against="0 (splicing in zeros is zero-ablation)", hint="zero-ablation replaces the activation by zeros.")


def test_matches_reference_with_a_mask(graded, reference):
    model, tokens = tiny_model(), tiny_tokens(4, 8)
    where = torch.rand(4, 8, generator=torch.Generator().manual_seed(0)) < 0.5
    got = call_graded(graded.loss_recovered, model, tokens, 2, _noisy, where)
    expected = reference.loss_recovered(model, tokens, 2, _noisy, where)
    for key in ("clean", "spliced", "zero_ablated"):
        check_close(got[key], expected[key], atol=1e-5, what=f"loss_recovered(tiny model, layer 2, noisy reconstruction, half the positions)[{key!r}]",
                    hint="the mean next-token cross-entropy (next_token_loss); replace the activation only where `where` is True.")
