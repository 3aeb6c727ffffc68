import torch

from exercises.testing import call_graded, check_close, check_tensor


def test_matches_reference(graded, reference):
    image, W = torch.rand(784), torch.randn(10, 784)
    check_tensor(
        call_graded(graded.pixel_attribution, image, W, 3),
        reference.pixel_attribution(image, W, 3),
        what="pixel_attribution(image [784], W [10, 784], target=3)",
        hint="image * W[target], reshaped to 28x28.",
    )


def test_sums_to_logit_minus_bias(graded):
    image, W, b = torch.rand(784), torch.randn(10, 784), torch.randn(10)
    logit = (image @ W[7] + b[7]).item()
    check_close(
        call_graded(graded.pixel_attribution, image, W, 7).sum(),
        logit - b[7].item(),
        what="the sum of pixel_attribution(image, W, 7)",
        against="logit 7 minus its bias, image @ W[7]",
        atol=1e-3,
    )
