# ---
# jupyter:
#   kernelspec:
#     display_name: learn-mech-interp
#     language: python
#     name: learn-mech-interp
# ---

# %% [markdown]
# The reference solutions of part0_mnist, as a notebook (spoilers). Generated from solutions/part0_mnist.py
# by `python -m exercises.maintain stubs`: edit that file.

# %% [markdown]
# # Part 0 — Weights are interpretable: you can just look
#
# **The big idea.** Before reaching for clever tools, look at the weights. A linear classifier on
# MNIST computes `logits = W x + b`: one row `W[c]` of 784 numbers per digit, scored against the
# image by a dot product. Reshape a row to 28x28 and it *is* a picture: a template whose red pixels
# are evidence for the digit and whose blue pixels are evidence against it. This part trains such a
# model with your own code, reads its ten templates, checks them against the data, and shows they
# are *causal*: moving an image along `W[target] - W[source]` changes the prediction, by an amount
# you can compute in closed form. Then it trains a small MLP and shows that its first-layer
# templates are already much harder to read: the motivation for the rest of the course.
#
# Reference: the MNIST data set (LeCun, Bottou, Bengio, Haffner 1998, *Gradient-based learning
# applied to document recognition*); softmax regression on raw pixels reaches about 92% test
# accuracy.

# %%
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


# %% active="ipynb"
# from exercises.notebook import checker, replicate_in_notebook
# check = checker("part0", globals(), reference=True)  # check("name") tests that exercise as this notebook has it

# %%
def flatten_images(images: Tensor) -> Float[Tensor, "n 784"]:
    """uint8 images [n, 28, 28] (as load_mnist returns them) -> floats in [0, 1], flattened."""
    return images.reshape(len(images), -1).float() / 255.0


# %%
def init_linear(n_in: int = N_PIXELS, n_classes: int = N_CLASSES) -> list[Tensor]:
    """The linear classifier's parameters [W, b], all zeros: a fair start for a convex problem."""
    return [torch.zeros(n_classes, n_in), torch.zeros(n_classes)]


# %%
def init_mlp(hidden: int, n_in: int = N_PIXELS, n_classes: int = N_CLASSES, seed: int = 0) -> list[Tensor]:
    """A one-hidden-layer MLP's parameters [W1, b1, W2, b2] (Kaiming-uniform weights, zero biases)."""
    generator = torch.Generator().manual_seed(seed)
    W1 = (torch.rand(hidden, n_in, generator=generator) * 2 - 1) * (6 / n_in) ** 0.5
    W2 = (torch.rand(n_classes, hidden, generator=generator) * 2 - 1) * (6 / hidden) ** 0.5
    return [W1, torch.zeros(hidden), W2, torch.zeros(n_classes)]


# %%
def accuracy(logits: Float[Tensor, "n classes"], labels: Int[Tensor, " n"]) -> float:
    """The fraction of rows whose largest logit is at the true label."""
    return (logits.argmax(dim=-1) == labels).float().mean().item()


# %% [markdown]
# ### Exercise 1: `linear_forward`
#
# a classifier is `images @ W.T + b`; each row of `W` scores one class

# %%
@exercise
def linear_forward(
    images: Float[Tensor, "n pixels"], W: Float[Tensor, "classes pixels"], b: Float[Tensor, " classes"]
) -> Float[Tensor, "n classes"]:
    """The logits of a linear classifier: logits[i, c] = images[i] . W[c] + b[c].

    Each row W[c] scores how much an image looks like class c.
    Hint: one matrix product with W transposed, plus the bias (broadcast over the batch).
    """
    return images @ W.T + b

# %% active="ipynb"
# check("linear_forward")

# %% [markdown]
# ### Exercise 2: `cross_entropy`
#
# the loss from scratch, and why `logsumexp` subtracts the max (try logits of 1000)

# %%
@exercise
def cross_entropy(logits: Float[Tensor, "n classes"], labels: Int[Tensor, " n"]) -> Float[Tensor, ""]:
    """The mean cross-entropy loss, written from scratch (no torch.nn.functional).

    loss = mean over i of ( logsumexp_c logits[i, c] - logits[i, labels[i]] ).
    Hint: subtract each row's max before exp() so that large logits do not overflow to inf.
    """
    row_max = logits.max(dim=-1, keepdim=True).values
    log_sum_exp = (logits - row_max).exp().sum(dim=-1).log() + row_max.squeeze(-1)
    correct = logits.gather(-1, labels[:, None]).squeeze(-1)
    return (log_sum_exp - correct).mean()

# %% active="ipynb"
# check("cross_entropy")

# %% [markdown]
# ### Exercise 3: `train_classifier`
#
# a seeded minibatch SGD loop that trains any `forward(images, *params)`

# %%
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
    params = [p.detach().clone().requires_grad_(True) for p in params]
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for batch in order.split(batch_size):
            loss = cross_entropy(forward(images[batch], *params), labels[batch])
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad = None
            losses.append(loss.item())
    return [p.detach() for p in params], losses

# %% active="ipynb"
# check("train_classifier")

# %% [markdown]
# ### Exercise 4: `weight_templates`
#
# a weight row is an image: undo the flattening exactly (a transpose mirrors it)

# %%
@exercise
def weight_templates(W: Float[Tensor, "rows pixels"]) -> Float[Tensor, "rows 28 28"]:
    """Each row of a weight matrix (one per class, or per hidden neuron) as a 28x28 image.

    Hint: the pixels were flattened row by row (pixel (r, c) is index 28 * r + c); undo exactly that.
    """
    return W.reshape(len(W), 28, 28)

# %% active="ipynb"
# check("weight_templates")

# %% [markdown]
# ### Exercise 5: `class_mean_images`
#
# what each digit looks like on average

# %%
@exercise
def class_mean_images(
    images: Float[Tensor, "n pixels"], labels: Int[Tensor, " n"], n_classes: int = N_CLASSES
) -> Float[Tensor, "classes 28 28"]:
    """The average image of each class, as 28x28 images (row c is the mean of all images of class c).

    The result has n_classes images, one per class 0 .. n_classes - 1, whichever labels occur;
    a class with no images gets an all-zero image (not NaN from dividing by a count of zero).

    Hint: a boolean mask per class, or index_add_ on a zero tensor and a count per class.
    """
    sums = torch.zeros(n_classes, images.shape[1]).index_add_(0, labels, images)
    counts = torch.bincount(labels, minlength=n_classes).clamp(min=1)
    return (sums / counts[:, None]).reshape(n_classes, 28, 28)

# %% active="ipynb"
# check("class_mean_images")

# %% [markdown]
# ### Exercise 6: `template_similarity`
#
# templates resemble *centred* class means; why centring is needed (softmax ignores a shared offset)

# %%
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
    def centred_unit_rows(x: Tensor) -> Tensor:
        flat = x.reshape(len(x), -1)
        flat = flat - flat.mean(dim=0, keepdim=True)
        return flat / flat.norm(dim=-1, keepdim=True)

    return centred_unit_rows(templates) @ centred_unit_rows(class_means).T

# %% active="ipynb"
# check("template_similarity")

# %% [markdown]
# ### Exercise 7: `pixel_attribution`
#
# input x weight: which pixels voted for a prediction; they sum to the logit minus the bias

# %%
@exercise
def pixel_attribution(
    image: Float[Tensor, " pixels"], W: Float[Tensor, "classes pixels"], target: int
) -> Float[Tensor, "28 28"]:
    """How much each pixel adds to the `target` logit: image * W[target], as a 28x28 image.

    The attributions sum to the target logit minus its bias: for a linear model this is exact.
    Hint: an element-wise product, then reshape like weight_templates.
    """
    return (image * W[target]).reshape(28, 28)

# %% active="ipynb"
# check("pixel_attribution")

# %% [markdown]
# ### Exercise 8: `flip_perturbation`
#
# the template is causal: the closed-form step along `W[t] - W[s]` that makes `t` beat `s`

# %%
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
    difference = W[target] - W[source]
    logits = linear_forward(image[None], W, b)[0]
    eps = (logits[source] - logits[target] + margin) / difference.norm()
    return image + eps * difference / difference.norm()

# %% active="ipynb"
# check("flip_perturbation")

# %% [markdown]
# ### Exercise 9: `mlp_forward`
#
# a ReLU MLP; its first-layer rows are templates too, but blurrier in meaning

# %%
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
    return linear_forward(torch.relu(linear_forward(images, W1, b1)), W2, b2)

# %% active="ipynb"
# check("mlp_forward")


# %% [markdown]
# ## The replication
#
#
# ```bash
# python -m exercises replicate part0                      # on your code
# python -m exercises replicate part0 --target solutions   # on the reference
# ```
#
# It trains on all 60,000 training images (10 epochs of SGD, batch 100) and prints the numbers
# below; `figures/part0_report.html` (one offline page) shows the ten templates, the class means,
# the template/class-mean similarity matrix, the loss curve, a pixel attribution, five flipped
# digits and the MLP's first-layer weights; `figures/part0_templates.png` is the template grid.
#
# | result | expected | ours (reference solutions) |
# |---|---|---|
# | linear test accuracy | about 92% (softmax regression on raw pixels) | **92.19%** |
# | MLP (32 hidden ReLU units) test accuracy | higher than linear | **96.57%** |
# | templates most similar to their own class mean (centred cosine) | 10/10 | **10/10** |
# | mean cosine, template vs own class / vs other classes | high / near 0 | **0.637 / -0.070** |
# | `flip_perturbation(margin=1)`: images reaching the target digit | — | **56%** (the rest: a third class wins) |
# | median step, relative to the image's norm | — | **19%** |
# | wall time on a 2-core CPU | under 60 s | **34.3 s** with another process keeping one core busy and other jobs at load average 7 (10.8 s of CPU time; one torch thread) |
#
# Measured with `python -m exercises replicate part0 --target solutions` on the course's
# 2-core, no-GPU machine. The replication uses one torch thread: under the same load, torch's
# default of two threads that wait for each other took 479 s. `flip_perturbation` only makes the target beat the *source*: in 44% of
# cases some third digit's logit is then the largest, which is itself a lesson: a linear model's
# decision regions are 10 half-space intersections, not pairwise contests.

# %% active="ipynb"
# numbers = replicate_in_notebook("part0", globals())  # on your code, at the quick size; figures below
