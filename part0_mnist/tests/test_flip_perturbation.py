import torch

from exercises.testing import call_graded, check_close, check_tensor


def _inputs():
    return torch.rand(784), torch.randn(10, 784) * 0.1, torch.randn(10)


def test_matches_reference(graded, reference):
    image, W, b = _inputs()
    check_tensor(
        call_graded(graded.flip_perturbation, image, W, b, 2, 5),
        reference.flip_perturbation(image, W, b, 2, 5),
        what="flip_perturbation(image, W, b, source=2, target=5)",
        atol=1e-4,
        hint="step along the unit vector (W[target] - W[source]) / its norm.",
    )


def test_gap_becomes_margin(graded):
    image, W, b = _inputs()
    moved = call_graded(graded.flip_perturbation, image, W, b, 4, 1, margin=0.5)
    logits = W @ moved + b
    check_close(logits[1] - logits[4], 0.5, what="logit[target] - logit[source] after flip_perturbation(margin=0.5)",
                atol=1e-3, against="the requested margin 0.5",
                hint="eps = (logit[source] - logit[target] + margin) / |W[target] - W[source]|.")


def test_moves_only_along_the_difference(graded):
    image, W, b = _inputs()
    step = call_graded(graded.flip_perturbation, image, W, b, 0, 9) - image
    direction = W[9] - W[0]
    check_close(torch.cosine_similarity(step, direction, dim=0).abs(), 1.0,
                what="|cosine| between the step taken and W[target] - W[source]", atol=1e-4,
                against="a step parallel to W[target] - W[source]")
