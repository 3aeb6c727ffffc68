"""Known-wrong versions of part 1's exercises: the course checks that the tests catch each one."""

import copy

import torch
from einops import einsum

from exercises.testing import mutant
from solutions import part1_superposition as ref


@mutant("generate_batch", "mask drawn before the values")
def generate_batch_mask_first(batch_size, feature_probability, n_features, generator):
    shape = (batch_size, len(feature_probability), n_features)
    present = torch.rand(shape, generator=generator) < feature_probability[:, None]
    return torch.where(present, torch.rand(shape, generator=generator), 0.0)


@mutant("generate_batch", "probability read as sparsity (> instead of <)")
def generate_batch_inverted(batch_size, feature_probability, n_features, generator):
    shape = (batch_size, len(feature_probability), n_features)
    values = torch.rand(shape, generator=generator)
    return torch.where(torch.rand(shape, generator=generator) > feature_probability[:, None], values, 0.0)


@mutant("generate_batch", "normal values instead of uniform")
def generate_batch_normal(batch_size, feature_probability, n_features, generator):
    shape = (batch_size, len(feature_probability), n_features)
    values = torch.randn(shape, generator=generator).abs().clamp(max=1)
    return torch.where(torch.rand(shape, generator=generator) < feature_probability[:, None], values, 0.0)


@mutant("generate_batch", "ignores the generator")
def generate_batch_global_rng(batch_size, feature_probability, n_features, generator):
    return ref.generate_batch(batch_size, feature_probability, n_features, torch.Generator().manual_seed(0))


@mutant("ToyModel.forward", "no ReLU on the output")
def toy_forward_linear(self, features):
    hidden = einsum(features, self.W, "b i f, i h f -> b i h")
    return einsum(hidden, self.W, "b i h, i h f -> b i f") + self.b


@mutant("ToyModel.forward", "bias added after the ReLU")
def toy_forward_bias_outside(self, features):
    hidden = einsum(features, self.W, "b i f, i h f -> b i h")
    return torch.relu(einsum(hidden, self.W, "b i h, i h f -> b i f")) + self.b


@mutant("ToyModel.forward", "ReLU on the hidden layer too")
def toy_forward_hidden_relu(self, features):
    hidden = torch.relu(einsum(features, self.W, "b i f, i h f -> b i h"))
    return torch.relu(einsum(hidden, self.W, "b i h, i h f -> b i f") + self.b)


@mutant("ToyModel.forward", "instance 0's weights for every instance")
def toy_forward_shared_weights(self, features):
    W = self.W[:1].expand_as(self.W)
    hidden = einsum(features, W, "b i f, i h f -> b i h")
    return torch.relu(einsum(hidden, W, "b i h, i h f -> b i f") + self.b)


@mutant("importance_weighted_loss", "importance ignored")
def loss_unweighted(output, features, importance):
    return ((features - output) ** 2).mean(dim=(0, 2))


@mutant("importance_weighted_loss", "importance squared")
def loss_importance_squared(output, features, importance):
    return (importance**2 * (features - output) ** 2).mean(dim=(0, 2))


@mutant("importance_weighted_loss", "one number for all instances")
def loss_scalar(output, features, importance):
    return (importance * (features - output) ** 2).mean()


@mutant("importance_weighted_loss", "sum over features instead of mean")
def loss_sum_features(output, features, importance):
    return (importance * (features - output) ** 2).sum(dim=2).mean(dim=0)


def _train(model, feature_probability, importance, steps, batch_size, lr, seed, *, zero_grad=True,
           fresh_generator=False, optimizer_class=torch.optim.Adam):
    generator = torch.Generator().manual_seed(seed)
    optimizer = optimizer_class(model.parameters(), lr=lr)
    history = torch.zeros(steps, len(feature_probability))
    for step in range(steps):
        if fresh_generator:
            generator = torch.Generator().manual_seed(seed)
        batch = ref.generate_batch(batch_size, feature_probability, model.W.shape[-1], generator)
        losses = ref.importance_weighted_loss(model(batch), batch, importance)
        losses.sum().backward()
        optimizer.step()
        if zero_grad:
            optimizer.zero_grad()
        history[step] = losses.detach()
    return history


@mutant("train_toy_model", "grads never zeroed")
def train_no_zero_grad(model, feature_probability, importance, *, steps, batch_size, lr, seed=0):
    return _train(model, feature_probability, importance, steps, batch_size, lr, seed, zero_grad=False)


@mutant("train_toy_model", "the same batch every step")
def train_same_batch(model, feature_probability, importance, *, steps, batch_size, lr, seed=0):
    return _train(model, feature_probability, importance, steps, batch_size, lr, seed, fresh_generator=True)


@mutant("train_toy_model", "plain SGD instead of Adam")
def train_sgd(model, feature_probability, importance, *, steps, batch_size, lr, seed=0):
    return _train(model, feature_probability, importance, steps, batch_size, lr, seed, optimizer_class=torch.optim.SGD)


@mutant("train_toy_model", "losses recorded after the update")
def train_records_after_update(model, feature_probability, importance, *, steps, batch_size, lr, seed=0):
    history = ref.train_toy_model(model, feature_probability, importance, steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    batches = [ref.generate_batch(batch_size, feature_probability, model.W.shape[-1], generator) for _ in range(steps)]
    return torch.stack([ref.importance_weighted_loss(model(b), b, importance).detach() for b in batches])


@mutant("feature_dimensionality", "W_i not normalised: not scale invariant")
def dimensionality_unnormalised(W):
    gram = einsum(W, W, "i h a, i h b -> i a b")
    return gram.diagonal(dim1=-2, dim2=-1) / (gram**2).sum(-1).clamp(min=1e-12)


@mutant("feature_dimensionality", "absolute dot products, not squared")
def dimensionality_abs(W):
    unit = W / W.norm(dim=1, keepdim=True).clamp(min=1e-8)
    overlap = einsum(unit, W, "i h a, i h b -> i a b").abs().sum(-1)
    return W.norm(dim=1) / overlap.clamp(min=1e-12)


@mutant("feature_dimensionality", "dead features give nan")
def dimensionality_nan(W):
    gram = einsum(W, W, "i h a, i h b -> i a b")
    return gram.diagonal(dim1=-2, dim2=-1) ** 2 / (gram**2).sum(-1)


@mutant("feature_dimensionality", "the j = i term left out of the sum")
def dimensionality_without_self(W):
    gram = ref.interference(W)
    return (W**2).sum(dim=1) ** 2 / (gram**2).sum(-1).clamp(min=1e-12)


@mutant("interference", "diagonal kept")
def interference_with_diagonal(W):
    return einsum(W, W, "i h a, i h b -> i a b")


@mutant("interference", "cosine similarity instead of dot product")
def interference_cosine(W):
    unit = W / W.norm(dim=1, keepdim=True).clamp(min=1e-8)
    return ref.interference(unit)


@mutant("interference", "W W^T (hidden x hidden)")
def interference_wrong_side(W):
    gram = einsum(W, W, "i a f, i b f -> i a b")
    return gram * (1 - torch.eye(W.shape[1]))


@mutant("NeuronModel.forward", "no ReLU on the hidden neurons")
def neuron_forward_no_hidden_relu(self, features):
    return ref.ToyModel.forward(self, features)


@mutant("NeuronModel.forward", "no ReLU on the output")
def neuron_forward_no_output_relu(self, features):
    hidden = torch.relu(einsum(features, self.W, "b i f, i h f -> b i h"))
    return einsum(hidden, self.W, "b i h, i h f -> b i f") + self.b


@mutant("phase_grid", "density as the slow index")
def phase_grid_transposed(relative_importance, density):
    grid_density, grid_importance = torch.meshgrid(density, relative_importance, indexing="ij")
    extra = grid_importance.flatten()
    return torch.stack([torch.ones_like(extra), extra], dim=-1), grid_density.flatten()


@mutant("phase_grid", "main and extra feature swapped")
def phase_grid_swapped_features(relative_importance, density):
    importance, probability = ref.phase_grid(relative_importance, density)
    return importance.flip(-1), probability


@mutant("classify_phase", "signed weights instead of norms")
def classify_signed(W, threshold=0.5):
    main, extra = (W.sum(dim=1) > threshold).unbind(dim=-1)
    return torch.where(extra, torch.where(main, 2, 1), 0).long()


@mutant("classify_phase", "main and extra swapped")
def classify_swapped(W, threshold=0.5):
    return ref.classify_phase(W.flip(-1), threshold)


@mutant("classify_phase", "squared norm against the threshold")
def classify_squared(W, threshold=0.5):
    main, extra = ((W**2).sum(dim=1) > threshold).unbind(dim=-1)
    return torch.where(extra, torch.where(main, 2, 1), 0).long()


@mutant("classify_phase", "threshold fixed at 0.5")
def classify_fixed_threshold(W, threshold=0.5):
    return ref.classify_phase(W)


@mutant("train_toy_model", "trains a private copy: the model it was given stays untrained")
def train_a_copy(model, feature_probability, importance, *, steps, batch_size, lr, seed=0):
    return ref.train_toy_model(copy.deepcopy(model), feature_probability, importance, steps=steps,
                               batch_size=batch_size, lr=lr, seed=seed)


@mutant("train_toy_model", "one summed loss per step, not one per instance")
def train_summed_losses(model, feature_probability, importance, *, steps, batch_size, lr, seed=0):
    return ref.train_toy_model(model, feature_probability, importance, steps=steps, batch_size=batch_size, lr=lr,
                               seed=seed).sum(-1)


@mutant("generate_batch", "axes in the wrong order: [batch, features, instances]")
def generate_batch_axes_swapped(batch_size, feature_probability, n_features, generator):
    shape = (batch_size, n_features, len(feature_probability))
    values = torch.rand(shape, generator=generator)
    return torch.where(torch.rand(shape, generator=generator) < feature_probability, values, 0.0)


@mutant("generate_batch", "values from torch.randn (negative ones too)")
def generate_batch_randn(batch_size, feature_probability, n_features, generator):
    shape = (batch_size, len(feature_probability), n_features)
    values = torch.randn(shape, generator=generator)
    return torch.where(torch.rand(shape, generator=generator) < feature_probability[:, None], values, 0.0)


@mutant("phase_grid", "probability tiled the way importance is (repeat_interleave, not repeat)")
def phase_grid_probability_interleaved(relative_importance, density):
    importance, _ = ref.phase_grid(relative_importance, density)
    return importance, density.repeat_interleave(len(relative_importance))


@mutant("classify_phase", "phase codes as floats")
def classify_float_codes(W, threshold=0.5):
    return ref.classify_phase(W, threshold).float()


@mutant("classify_phase", "a column's largest |weight| against the threshold, not its length")
def classify_max_weight(W, threshold=0.5):
    main, extra = (W.abs().amax(dim=1) > threshold).unbind(dim=-1)
    return torch.where(extra, torch.where(main, 2, 1), 0).long()
