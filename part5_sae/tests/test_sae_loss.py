import torch

from exercises.grading import call_graded, check, check_close, check_tensor


def test_hand_computed(graded):
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    reconstruction = torch.tensor([[1.0, 0.0], [1.0, 1.0]])  # squared errors 4 and 2: mean 3
    latents = torch.tensor([[0.5, 0.0, 1.5], [0.0, 2.0, 0.0]])  # |latents| sums 2 and 2: mean 2
    got = call_graded(graded.sae_loss, x, reconstruction, latents, 0.1)
    check(isinstance(got, dict) and {"loss", "reconstruction", "l1"} <= set(got),
          f"sae_loss should return a dict with keys 'loss', 'reconstruction', 'l1'; got {got!r}")
    check_close(got["reconstruction"], 3.0, what="sae_loss(...)['reconstruction'] (squared errors 4 and 2)",
                against="the hand-computed mean over the batch of the squared error summed over d_in",
                hint="sum over d_in, mean over the batch.")
    check_close(got["l1"], 2.0, what="sae_loss(...)['l1'] (|latents| sums 2 and 2)", against="the hand-computed value")
    check_close(got["loss"], 3.2, what="sae_loss(..., l1_coeff=0.1)['loss']", against="3 + 0.1 * 2")


def test_matches_reference_and_keeps_the_graph(graded, reference):
    generator = torch.Generator().manual_seed(0)
    x, reconstruction = torch.randn(5, 3, generator=generator), torch.randn(5, 3, generator=generator)
    latents = torch.randn(5, 4, generator=generator).requires_grad_()
    got = call_graded(graded.sae_loss, x, reconstruction, latents, 0.3)
    expected = reference.sae_loss(x, reconstruction, latents, 0.3)
    check_tensor(torch.as_tensor(got["l1"]).reshape(()), expected["l1"].detach(), what="sae_loss(...)['l1'] with negative latents",
                 hint="the L1 norm takes absolute values: latents.abs().")
    check(isinstance(got["loss"], torch.Tensor) and got["loss"].requires_grad,
          "sae_loss(...)['loss'] should be a tensor that keeps the autograd graph (no .item()): train_sae calls backward on it")
