"""Known-wrong versions of part 0's exercises: the course checks that the tests catch each one."""

import torch

from exercises.testing import mutant
from solutions import part0_mnist as ref


@mutant("linear_forward", "forgets the bias")
def linear_forward_no_bias(images, W, b):
    return images @ W.T


@mutant("linear_forward", "weights viewed as [pixels, classes]")
def linear_forward_reshaped(images, W, b):
    return images @ W.reshape(W.shape[1], W.shape[0]) + b


@mutant("cross_entropy", "no max subtraction: overflows")
def cross_entropy_unstable(logits, labels):
    correct = logits.gather(-1, labels[:, None]).squeeze(-1)
    return (logits.exp().sum(-1).log() - correct).mean()


@mutant("cross_entropy", "sum instead of mean")
def cross_entropy_sum(logits, labels):
    return ref.cross_entropy(logits, labels) * len(labels)


@mutant("cross_entropy", "max subtracted but not added back")
def cross_entropy_forgets_max(logits, labels):
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    correct = logits.gather(-1, labels[:, None]).squeeze(-1)
    return (shifted.exp().sum(-1).log() - correct).mean()


@mutant("train_classifier", "grads never zeroed")
def train_accumulates_grads(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    params = [p.detach().clone().requires_grad_(True) for p in params]
    generator, losses = torch.Generator().manual_seed(seed), []
    for _ in range(epochs):
        for batch in torch.randperm(len(images), generator=generator).split(batch_size):
            loss = ref.cross_entropy(forward(images[batch], *params), labels[batch])
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
            losses.append(loss.item())
    return [p.detach() for p in params], losses


@mutant("train_classifier", "new generator every epoch")
def train_reseeds_each_epoch(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    params, losses = list(params), []
    for _ in range(epochs):
        params, epoch_losses = ref.train_classifier(
            forward, params, images, labels, epochs=1, batch_size=batch_size, lr=lr, seed=seed
        )
        losses += epoch_losses
    return params, losses


@mutant("train_classifier", "gradient ascent")
def train_ascends(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    return ref.train_classifier(forward, params, images, labels, epochs=epochs, batch_size=batch_size, lr=-lr, seed=seed)


@mutant("weight_templates", "transposed images")
def weight_templates_transposed(W):
    return W.reshape(len(W), 28, 28).transpose(1, 2)


@mutant("class_mean_images", "sum instead of mean")
def class_mean_images_sum(images, labels, n_classes=10):
    return torch.zeros(n_classes, images.shape[1]).index_add_(0, labels, images).reshape(n_classes, 28, 28)


@mutant("class_mean_images", "mean over the whole batch for every class")
def class_mean_images_global(images, labels, n_classes=10):
    return images.mean(0).reshape(1, 28, 28).repeat(n_classes, 1, 1)


@mutant("template_similarity", "not centred")
def template_similarity_uncentred(templates, class_means):
    t = torch.nn.functional.normalize(templates.reshape(len(templates), -1), dim=-1)
    m = torch.nn.functional.normalize(class_means.reshape(len(class_means), -1), dim=-1)
    return t @ m.T


@mutant("template_similarity", "rows and columns swapped")
def template_similarity_transposed(templates, class_means):
    return ref.template_similarity(templates, class_means).T


@mutant("template_similarity", "dot product, not cosine")
def template_similarity_unnormalised(templates, class_means):
    t = templates.reshape(len(templates), -1)
    m = class_means.reshape(len(class_means), -1)
    return (t - t.mean(0)) @ (m - m.mean(0)).T


@mutant("pixel_attribution", "weights only, image ignored")
def pixel_attribution_weights_only(image, W, target):
    return W[target].reshape(28, 28)


@mutant("flip_perturbation", "direction not normalised")
def flip_perturbation_unnormalised(image, W, b, source, target, margin=1.0):
    difference = W[target] - W[source]
    logits = W @ image + b
    return image + (logits[source] - logits[target] + margin) / difference.norm() * difference


@mutant("flip_perturbation", "source and target swapped")
def flip_perturbation_swapped(image, W, b, source, target, margin=1.0):
    return ref.flip_perturbation(image, W, b, target, source, margin)


@mutant("mlp_forward", "no ReLU")
def mlp_forward_linear(images, W1, b1, W2, b2):
    return (images @ W1.T + b1) @ W2.T + b2


@mutant("mlp_forward", "ReLU before the first bias")
def mlp_forward_relu_early(images, W1, b1, W2, b2):
    return (torch.relu(images @ W1.T) + b1) @ W2.T + b2


@mutant("train_classifier", "one loss per epoch (the epoch's mean), not per batch")
def train_loss_per_epoch(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    batches_per_epoch = -(-len(images) // batch_size)
    params, losses = ref.train_classifier(forward, params, images, labels, epochs=epochs, batch_size=batch_size,
                                          lr=lr, seed=seed)
    return params, [sum(losses[i : i + batches_per_epoch]) / batches_per_epoch for i in range(0, len(losses), batches_per_epoch)]


@mutant("train_classifier", "returns the parameters it was given, not the trained copies")
def train_returns_the_inputs(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    _, losses = ref.train_classifier(forward, params, images, labels, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
    return params, losses


@mutant("flip_perturbation", "steps along W[target] alone, not the difference W[target] - W[source]")
def flip_perturbation_target_only(image, W, b, source, target, margin=1.0):
    direction = W[target] / W[target].norm()
    logits = W @ image + b
    gap_per_unit = (W[target] - W[source]) @ direction
    return image + (logits[source] - logits[target] + margin) / gap_per_unit * direction


@mutant("train_classifier", "ignores `forward`: always computes linear_forward(batch, params[0], params[1])")
def train_ignores_forward(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    return ref.train_classifier(lambda x, W, b, *rest: ref.linear_forward(x, W, b), params, images, labels,
                                epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)


@mutant("train_classifier", "calls `forward` twice per batch (once more to log the loss)")
def train_forward_twice(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    def twice(*args):
        forward(*args)
        return forward(*args)

    return ref.train_classifier(twice, params, images, labels, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)


@mutant("class_mean_images", "n_classes ignored: always 10 classes")
def class_mean_images_ten_classes(images, labels, n_classes=10):
    return ref.class_mean_images(images, labels)


@mutant("train_classifier", "returns only the first two trained parameters ([W, b] of a linear model)")
def train_returns_two_params(forward, params, images, labels, *, epochs, batch_size, lr, seed=0):
    trained, losses = ref.train_classifier(forward, params, images, labels, epochs=epochs, batch_size=batch_size,
                                           lr=lr, seed=seed)
    return trained[:2], losses
