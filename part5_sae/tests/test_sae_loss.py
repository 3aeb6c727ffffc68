import torch

from exercises.testing import call_graded, check, check_close, check_tensor, grading_seed

KEYS = {"loss", "reconstruction", "l1"}


def test_hand_computed(graded):
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    reconstruction = torch.tensor([[1.0, 0.0], [1.0, 1.0]])  # squared errors 4 and 2: mean 3
    latents = torch.tensor([[0.5, 0.0, 1.5], [0.0, 2.0, 0.0]])  # |latents| sums 2 and 2: mean 2
    got = call_graded(graded.sae_loss, x, reconstruction, latents, 0.1)
    check(isinstance(got, dict) and KEYS <= set(got),
          f"sae_loss should return a dict with keys 'loss', 'reconstruction', 'l1'; got {got!r}")
    check_close(got["reconstruction"], 3.0, what="sae_loss(...)['reconstruction'] (squared errors 4 and 2)",
                against="the hand-computed mean over the batch of the squared error summed over d_in",
                hint="sum over d_in, mean over the batch.")
    check_close(got["l1"], 2.0, what="sae_loss(...)['l1'] (|latents| sums 2 and 2)", against="the hand-computed value")
    check_close(got["loss"], 3.2, what="sae_loss(..., l1_coeff=0.1)['loss']", against="3 + 0.1 * 2")


def test_matches_reference(graded, reference):
    generator = torch.Generator().manual_seed(grading_seed(0))
    x, reconstruction = torch.randn(5, 3, generator=generator), torch.randn(5, 3, generator=generator)
    latents = torch.randn(5, 4, generator=generator).requires_grad_()
    got = call_graded(graded.sae_loss, x, reconstruction, latents, 0.3)
    expected = reference.sae_loss(x, reconstruction, latents, 0.3)
    l1_hint = "l1 = latents.abs().sum(dim=-1).mean(): absolute values, summed over d_sae (not averaged), then the mean over the batch."
    try:  # which common mistake the graded 'l1' matches, if any (it only picks the hint)
        got_l1 = float(torch.as_tensor(got["l1"]).detach())
    except Exception:
        got_l1 = None
    latents = latents.detach()
    mistakes = {"latents.sum(dim=-1).mean(), without absolute values: the L1 norm takes |latents| (latents.abs()), or "
                "negative latents would lower the penalty": latents.sum(dim=-1).mean(),
                "latents.abs().mean(), averaged over d_sae: sum |latents| over d_sae (dim=-1), not averaged, then take the "
                "mean over the batch": latents.abs().mean(),
                "latents.abs().sum(), summed over the batch too: sum over d_sae (dim=-1), then the mean over the batch "
                "(5 inputs here)": latents.abs().sum()}
    for why, value in mistakes.items():
        if got_l1 is not None and abs(got_l1 - float(value)) <= 1e-4 * max(1.0, abs(float(value))):
            l1_hint = f"your l1 matches {why}."
    hints = {"reconstruction": "the squared error summed over d_in (dim=-1), then the mean over the batch (5 inputs here).",
             "l1": l1_hint,
             "loss": "loss = reconstruction + l1_coeff * l1."}
    for key in ("reconstruction", "l1", "loss"):
        check_tensor(torch.as_tensor(got[key]).reshape(()), expected[key].detach(),
                     what=f"sae_loss(random x and reconstruction [5, 3], latents [5, 4] with negative entries, l1_coeff=0.3)[{key!r}]",
                     hint=hints[key])


def _inputs_reached(term) -> set[tuple]:
    """The shapes of the tensors requiring grad that `term`'s autograd graph leads back to."""
    shapes, seen, stack = set(), set(), [getattr(term, "grad_fn", None)]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if variable is not None:
            shapes.add(tuple(variable.shape))
        stack.extend(parent for parent, _ in node.next_functions)
    return shapes


def test_every_term_keeps_the_graph(graded):
    """train_sae calls backward on 'loss': each term must carry its gradient back to the SAE's outputs."""
    generator = torch.Generator().manual_seed(grading_seed(4))
    x = torch.randn(6, 3, generator=generator)
    reconstruction = torch.randn(6, 3, generator=generator).requires_grad_()  # as the SAE's outputs are
    latents = torch.randn(6, 5, generator=generator).relu().requires_grad_()
    got = call_graded(graded.sae_loss, x, reconstruction, latents, 0.2)
    check(isinstance(got, dict) and KEYS <= set(got),
          f"sae_loss should return a dict with keys 'loss', 'reconstruction', 'l1'; got {type(got).__name__}")
    inputs = {"reconstruction": ((6, 3), "the decoder (W_dec, b_dec) and encoder"), "latents": ((6, 5), "the encoder (W_enc, b_enc)")}
    for key, needs in (("reconstruction", ["reconstruction"]), ("l1", ["latents"]), ("loss", ["reconstruction", "latents"])):
        term, what = got[key], f"sae_loss(x, reconstruction, latents, 0.2)[{key!r}]"
        if not isinstance(term, torch.Tensor):
            problem = (f"{what} is a {type(term).__name__}, not a tensor: no gradient can flow through it. Return the "
                       f"0-d tensor itself (no .item() or float(...)).")
        else:
            reached = _inputs_reached(term)
            missing = [name for name in needs if inputs[name][0] not in reached]
            problem = "" if not missing else (
                f"{what} is detached from `{missing[0]}` (its autograd graph does not lead back to it), so backward on it "
                f"sends no gradient to {inputs[missing[0]][1]}, and train_sae cannot train them. Compute it from "
                f"`{missing[0]}` with tensor operations: no .detach(), .data, .item(), torch.tensor(...) or torch.no_grad() "
                f"on the way.")
        check(not problem, problem)
