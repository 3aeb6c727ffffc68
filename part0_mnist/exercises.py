# Your exercises. Replace each `raise NotImplementedError` with your code, one function at a
# time, and run `python -m exercises check part0` (or pytest on one test file) for feedback.
# Generated from solutions/part0_mnist.py by `python -m exercises.maintain stubs`: edit the solutions.
"""Part 0: weights are interpretable. A linear MNIST classifier's weights are ten pictures.

Work through the functions marked @exercise in order; the others are given.
Images are flattened to 784 = 28 * 28 pixels scaled to [0, 1].
"""

from typing import Callable

import torch
from jaxtyping import Float, Int
from torch import Tensor

from exercises import exercise

N_PIXELS = 28 * 28
N_CLASSES = 10


def flatten_images(images: Tensor) -> Float[Tensor, "n 784"]:
    """uint8 images [n, 28, 28] (as load_mnist returns them) -> floats in [0, 1], flattened."""
    return images.reshape(len(images), -1).float() / 255.0


def init_linear(n_in: int = N_PIXELS, n_classes: int = N_CLASSES) -> list[Tensor]:
    """The linear classifier's parameters [W, b], all zeros: a fair start for a convex problem."""
    return [torch.zeros(n_classes, n_in), torch.zeros(n_classes)]


def init_mlp(hidden: int, n_in: int = N_PIXELS, n_classes: int = N_CLASSES, seed: int = 0) -> list[Tensor]:
    """A one-hidden-layer MLP's parameters [W1, b1, W2, b2] (Kaiming-uniform weights, zero biases)."""
    generator = torch.Generator().manual_seed(seed)
    W1 = (torch.rand(hidden, n_in, generator=generator) * 2 - 1) * (6 / n_in) ** 0.5
    W2 = (torch.rand(n_classes, hidden, generator=generator) * 2 - 1) * (6 / hidden) ** 0.5
    return [W1, torch.zeros(hidden), W2, torch.zeros(n_classes)]


def accuracy(logits: Float[Tensor, "n classes"], labels: Int[Tensor, " n"]) -> float:
    """The fraction of rows whose largest logit is at the true label."""
    return (logits.argmax(dim=-1) == labels).float().mean().item()


@exercise
def linear_forward(
    images: Float[Tensor, "n pixels"], W: Float[Tensor, "classes pixels"], b: Float[Tensor, " classes"]
) -> Float[Tensor, "n classes"]:
    """The logits of a linear classifier: logits[i, c] = images[i] . W[c] + b[c].

    Each row W[c] scores how much an image looks like class c.
    Hint: one matrix product with W transposed, plus the bias (broadcast over the batch).
    """
    raise NotImplementedError


@exercise
def cross_entropy(logits: Float[Tensor, "n classes"], labels: Int[Tensor, " n"]) -> Float[Tensor, ""]:
    """The mean cross-entropy loss, written from scratch (no torch.nn.functional).

    loss = mean over i of ( logsumexp_c logits[i, c] - logits[i, labels[i]] ).
    Hint: subtract each row's max before exp() so that large logits do not overflow to inf.
    """
    raise NotImplementedError


@exercise
def train_classifier(
    forward: Callable[..., Tensor],
    params: list[Tensor],
    images: Float[Tensor, "n pixels"],
    labels: Int[Tensor, " n"],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
) -> tuple[list[Tensor], list[float]]:
    """Minibatch SGD on cross_entropy(forward(batch, *params), batch_labels). Returns (params, losses).

    `forward` is the model, called as forward(batch_images, *params): linear_forward with [W, b],
    or mlp_forward with an MLP's [W1, b1, W2, b2]; train and return every parameter given, in order.
    The procedure, exactly, so your result matches the reference:
      - start from copies of `params` that require grad (do not modify the inputs);
      - make one generator, `torch.Generator().manual_seed(seed)`, and at the start of every
        epoch shuffle with `torch.randperm(n, generator=generator)`;
      - walk through that order in consecutive batches of `batch_size` (the last may be smaller);
      - per batch: loss (one call of `forward`), backward, then `p -= lr * p.grad` for every
        parameter, and zero the grads.
    `losses` holds every batch's loss as a float, in order.
    Hint: torch.optim.SGD(params, lr) does the update and zeroing for you, if you prefer.
    """
    raise NotImplementedError


@exercise
def weight_templates(W: Float[Tensor, "rows pixels"]) -> Float[Tensor, "rows 28 28"]:
    """Each row of a weight matrix (one per class, or per hidden neuron) as a 28x28 image.

    Hint: the pixels were flattened row by row (pixel (r, c) is index 28 * r + c); undo exactly that.
    """
    raise NotImplementedError


@exercise
def class_mean_images(
    images: Float[Tensor, "n pixels"], labels: Int[Tensor, " n"], n_classes: int = N_CLASSES
) -> Float[Tensor, "classes 28 28"]:
    """The average image of each class, as 28x28 images (row c is the mean of all images of class c).

    The result has n_classes images, one per class 0 .. n_classes - 1, whichever labels occur;
    a class with no images gets an all-zero image (not NaN from dividing by a count of zero).

    Hint: a boolean mask per class, or index_add_ on a zero tensor and a count per class.
    """
    raise NotImplementedError


@exercise
def template_similarity(
    templates: Float[Tensor, "classes 28 28"], class_means: Float[Tensor, "classes 28 28"]
) -> Float[Tensor, "classes classes"]:
    """Cosine similarity of every template (row) with every class-mean image (column), both centred.

    Centre each set by subtracting its average over classes first: adding the same image to every
    template changes no prediction, and every digit shares the bright centre; what tells classes
    apart is how each one differs from the rest.
    Hint: flatten, subtract the mean over the class dimension, normalise rows, one matrix product.
    """
    raise NotImplementedError


@exercise
def pixel_attribution(
    image: Float[Tensor, " pixels"], W: Float[Tensor, "classes pixels"], target: int
) -> Float[Tensor, "28 28"]:
    """How much each pixel adds to the `target` logit: image * W[target], as a 28x28 image.

    The attributions sum to the target logit minus its bias: for a linear model this is exact.
    Hint: an element-wise product, then reshape like weight_templates.
    """
    raise NotImplementedError


@exercise
def flip_perturbation(
    image: Float[Tensor, " pixels"],
    W: Float[Tensor, "classes pixels"],
    b: Float[Tensor, " classes"],
    source: int,
    target: int,
    margin: float = 1.0,
) -> Float[Tensor, " pixels"]:
    """The smallest step along the template difference that makes `target` beat `source`.

    Move the image along the unit vector d = (W[target] - W[source]) / |W[target] - W[source]|
    by the distance eps at which logit[target] - logit[source] becomes exactly `margin`;
    return image + eps * d. The logit gap grows by |W[target] - W[source]| per unit of distance.
    Hint: eps = (logit[source] - logit[target] + margin) / |W[target] - W[source]|.
    """
    raise NotImplementedError


@exercise
def mlp_forward(
    images: Float[Tensor, "n pixels"],
    W1: Float[Tensor, "hidden pixels"],
    b1: Float[Tensor, " hidden"],
    W2: Float[Tensor, "classes hidden"],
    b2: Float[Tensor, " classes"],
) -> Float[Tensor, "n classes"]:
    """A one-hidden-layer MLP: logits = W2 ReLU(W1 x + b1) + b2, for each image x.

    Each row of W1 is a hidden neuron's template: weight_templates(W1) shows them.
    Hint: it is linear_forward twice with a ReLU in between.
    """
    raise NotImplementedError
