"""Known-wrong versions of part 5's exercises: the course checks that the tests catch each one."""

import torch

from exercises.testing import mutant
from solutions import part5_sae as ref


@mutant("toy_feature_data", "magnitudes drawn before the on/off mask")
def toy_data_order(features, n_samples, p_active, generator):
    shape = (n_samples, features.shape[0])
    magnitudes = torch.rand(shape, generator=generator)
    coefficients = (torch.rand(shape, generator=generator) < p_active) * magnitudes
    return coefficients @ features, coefficients


@mutant("toy_feature_data", "p_active is the probability of being off")
def toy_data_inverted(features, n_samples, p_active, generator):
    shape = (n_samples, features.shape[0])
    coefficients = (torch.rand(shape, generator=generator) > p_active) * torch.rand(shape, generator=generator)
    return coefficients @ features, coefficients


@mutant("toy_feature_data", "samples normalised to unit norm")
def toy_data_normalised(features, n_samples, p_active, generator):
    x, coefficients = ref.toy_feature_data(features, n_samples, p_active, generator)
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-8), coefficients


@mutant("SparseAutoencoder.forward", "no pre-encoder bias")
def forward_no_pre_bias(self, x):
    latents = self.activation(x @ self.encoder_weights() + self.b_enc)
    return latents @ self.W_dec + self.b_dec, latents


@mutant("SparseAutoencoder.forward", "decoder bias not added back")
def forward_no_b_dec(self, x):
    latents = self.activation((x - self.b_dec) @ self.encoder_weights() + self.b_enc)
    return latents @ self.W_dec, latents


@mutant("SparseAutoencoder.forward", "always ReLU (ignores TopK)")
def forward_always_relu(self, x):
    latents = torch.relu((x - self.b_dec) @ self.encoder_weights() + self.b_enc)
    return latents @ self.W_dec + self.b_dec, latents


@mutant("SparseAutoencoder.forward", "tied encoder detached (W_dec.detach().T): no gradient through the encoder")
def forward_tied_detached(self, x):
    W_enc = self.W_dec.detach().T if self.tied else self.W_enc
    latents = self.activation((x - self.b_dec) @ W_enc + self.b_enc)
    return latents @ self.W_dec + self.b_dec, latents


@mutant("SparseAutoencoder.forward", "computed under torch.no_grad(): nothing can train")
def forward_no_grad(self, x):
    with torch.no_grad():
        latents = self.activation((x - self.b_dec) @ self.encoder_weights() + self.b_enc)
        return latents @ self.W_dec + self.b_dec, latents


@mutant("sae_loss", "L1 averaged over d_sae, not summed")
def loss_l1_mean_over_d_sae(x, reconstruction, latents, l1_coeff):
    error = ((reconstruction - x) ** 2).sum(dim=-1).mean()
    l1 = latents.abs().mean()
    return {"loss": error + l1_coeff * l1, "reconstruction": error, "l1": l1}


@mutant("sae_loss", "returns a tuple")
def loss_tuple(x, reconstruction, latents, l1_coeff):
    out = ref.sae_loss(x, reconstruction, latents, l1_coeff)
    return out["loss"], out["reconstruction"], out["l1"]


@mutant("sae_loss", "mean squared error over d_in too")
def loss_mean_over_d(x, reconstruction, latents, l1_coeff):
    mse = ((reconstruction - x) ** 2).mean()
    l1 = latents.abs().sum(dim=-1).mean()
    return {"loss": mse + l1_coeff * l1, "reconstruction": mse, "l1": l1}


@mutant("sae_loss", "L1 summed over the batch")
def loss_l1_batch_sum(x, reconstruction, latents, l1_coeff):
    error = ((reconstruction - x) ** 2).sum(dim=-1).mean()
    l1 = latents.abs().sum()
    return {"loss": error + l1_coeff * l1, "reconstruction": error, "l1": l1}


@mutant("sae_loss", "coefficient on the reconstruction term")
def loss_coeff_swapped(x, reconstruction, latents, l1_coeff):
    out = ref.sae_loss(x, reconstruction, latents, l1_coeff)
    return {**out, "loss": l1_coeff * out["reconstruction"] + out["l1"]}


@mutant("sae_loss", "no absolute value in the L1 term")
def loss_no_abs(x, reconstruction, latents, l1_coeff):
    error = ((reconstruction - x) ** 2).sum(dim=-1).mean()
    l1 = latents.sum(dim=-1).mean()
    return {"loss": error + l1_coeff * l1, "reconstruction": error, "l1": l1}


@mutant("sae_loss", "values returned as floats (graph lost)")
def loss_floats(x, reconstruction, latents, l1_coeff):
    return {k: v.item() for k, v in ref.sae_loss(x, reconstruction, latents, l1_coeff).items()}


@mutant("sae_loss", "reconstruction term detached from the graph")
def loss_reconstruction_detached(x, reconstruction, latents, l1_coeff):
    error = ((reconstruction.detach() - x) ** 2).sum(dim=-1).mean()
    l1 = latents.abs().sum(dim=-1).mean()
    return {"loss": error + l1_coeff * l1, "reconstruction": error, "l1": l1}


@mutant("sae_loss", "L1 term rebuilt with torch.tensor (graph lost)")
def loss_l1_rebuilt(x, reconstruction, latents, l1_coeff):
    error = ((reconstruction - x) ** 2).sum(dim=-1).mean()
    l1 = torch.tensor(latents.abs().sum(dim=-1).mean().item())
    return {"loss": error + l1_coeff * l1, "reconstruction": error, "l1": l1}


@mutant("sae_loss", "squared error divided by d_in, not by the batch size (right when they are equal)")
def loss_divided_by_d_in(x, reconstruction, latents, l1_coeff):
    error = ((reconstruction - x) ** 2).sum() / x.shape[-1]
    l1 = latents.abs().sum(dim=-1).mean()
    return {"loss": error + l1_coeff * l1, "reconstruction": error, "l1": l1}


def _train(sae, activations, *, steps, batch_size, lr, l1_coeff, seed=0, resample_every=0, progress=None,
           project=True, normalise="every step", zero_grad=True, resample=True, record="reset", seeded=True,
           report=True, resample_last=False, report_first=False, l0="per input", loss_item=True):
    optimizer = torch.optim.Adam(sae.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    n = activations.shape[0]
    fired = torch.zeros(sae.d_sae, dtype=torch.bool)
    losses = []
    for step in range(1, steps + 1):
        x = activations[torch.randint(0, n, (batch_size,), generator=generator if seeded else None)]
        reconstruction, latents = sae(x)
        loss = ref.sae_loss(x, reconstruction, latents, l1_coeff)["loss"]
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        if project:
            sae.W_dec.grad = ref.remove_parallel_gradient(sae.W_dec.grad, sae.W_dec.detach())
        optimizer.step()
        if normalise == "every step" or (normalise == "at the end" and step == steps):
            sae.normalise_decoder_()
        if record == "last batch":
            fired = (latents > 0).any(dim=0)
        else:
            fired |= (latents > 0).any(dim=0)
        losses.append(loss.item())
        info = {"loss": loss.item() if loss_item else loss,
                "l0": (latents > 0).float().sum(dim=-1).mean().item() if l0 == "per input" else (latents > 0).float().mean().item()}
        if progress is not None and report and report_first:
            progress(step, info)
        if resample and resample_every > 0 and step % resample_every == 0 and (step < steps or resample_last):
            inputs = activations[torch.randint(0, n, (ref.RESAMPLE_INPUTS,), generator=generator)]
            ref.resample_dead_features(sae, ~fired, inputs, optimizer, generator)
            if record != "never reset":
                fired = torch.zeros_like(fired)
        if progress is not None and report and not report_first:
            progress(step, info)
    return losses


@mutant("train_sae", "no decoder-norm constraint on the gradient")
def train_no_projection(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, project=False)


@mutant("train_sae", "decoder rows never renormalised")
def train_no_normalise(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, normalise="never")


@mutant("train_sae", "decoder rows renormalised once, after the last step")
def train_normalise_at_the_end(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, normalise="at the end")


@mutant("train_sae", "batches drawn from the global random state, not the seeded generator")
def train_unseeded_batches(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, seeded=False)


@mutant("train_sae", "dead-feature record never reset after resampling")
def train_record_never_reset(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, record="never reset")


@mutant("train_sae", "dead-feature record holds only the last batch")
def train_record_last_batch(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, record="last batch")


@mutant("train_sae", "progress never called")
def train_no_progress(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, report=False)


@mutant("train_sae", "resamples after the last step too")
def train_resample_after_last_step(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, resample_last=True)


@mutant("train_sae", "progress called before the resampling")
def train_progress_before_resampling(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, report_first=True)


@mutant("train_sae", "progress's l0 is the fraction of latents > 0, not their number")
def train_l0_fraction(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, l0="fraction")


@mutant("train_sae", "progress's loss is the loss tensor (with its graph), not a float")
def train_progress_loss_tensor(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, loss_item=False)


@mutant("train_sae", "grads never zeroed")
def train_no_zero_grad(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, zero_grad=False)


@mutant("train_sae", "never resamples")
def train_no_resampling(sae, activations, **kwargs):
    return _train(sae, activations, **kwargs, resample=False)


@mutant("train_sae", "returns the loss tensors")
def train_tensor_losses(sae, activations, **kwargs):
    return [torch.tensor(v) for v in _train(sae, activations, **kwargs)]


@mutant("mean_max_cosine_similarity", "dot products, not cosines")
def mmcs_unnormalised(learned, true):
    return (true @ learned.T).max(dim=-1).values.mean().item()


@mutant("mean_max_cosine_similarity", "absolute cosines")
def mmcs_abs(learned, true):
    learned = learned / learned.norm(dim=-1, keepdim=True)
    true = true / true.norm(dim=-1, keepdim=True)
    return (true @ learned.T).abs().max(dim=-1).values.mean().item()


@mutant("mean_max_cosine_similarity", "mean over the learned rows")
def mmcs_over_learned(learned, true):
    return ref.mean_max_cosine_similarity(true, learned)


@mutant("mean_max_cosine_similarity", "returns a 0-d tensor, not a float")
def mmcs_tensor(learned, true):
    learned = learned / learned.norm(dim=-1, keepdim=True)
    true = true / true.norm(dim=-1, keepdim=True)
    return (true @ learned.T).max(dim=-1).values.mean()


@mutant("mean_max_cosine_similarity", "median instead of mean")
def mmcs_median(learned, true):
    learned = learned / learned.norm(dim=-1, keepdim=True)
    true = true / true.norm(dim=-1, keepdim=True)
    return (true @ learned.T).max(dim=-1).values.median().item()


@mutant("collect_activations", "residual stream before the block (resid_pre)")
def collect_resid_pre(model, tokens, layer, batch_size=8):
    name = f"blocks.{layer}.hook_resid_pre"
    with torch.no_grad():
        chunks = [model.run_with_cache(tokens[i : i + batch_size], names_filter=name, stop_at_layer=layer + 1)[1][name]
                  for i in range(0, len(tokens), batch_size)]
    return torch.cat(chunks)


@mutant("collect_activations", "no names_filter: caches every hook")
def collect_every_hook(model, tokens, layer, batch_size=8):
    name = ref.hook_name(layer)
    with torch.no_grad():
        chunks = [model.run_with_cache(tokens[i : i + batch_size], stop_at_layer=layer + 1)[1][name]
                  for i in range(0, len(tokens), batch_size)]
    return torch.cat(chunks)


@mutant("collect_activations", "only the first batch")
def collect_first_batch(model, tokens, layer, batch_size=8):
    return ref.collect_activations(model, tokens[:batch_size], layer, batch_size)


@mutant("collect_activations", "runs the whole model")
def collect_full_pass(model, tokens, layer, batch_size=8):
    name = ref.hook_name(layer)
    with torch.no_grad():
        chunks = [model.run_with_cache(tokens[i : i + batch_size], names_filter=name)[1][name]
                  for i in range(0, len(tokens), batch_size)]
    return torch.cat(chunks)


@mutant("reconstruction_metrics", "returns a tuple")
def metrics_tuple(activations, reconstructions, latents):
    return tuple(ref.reconstruction_metrics(activations, reconstructions, latents).values())


@mutant("loss_recovered", "values are 0-d tensors, not floats")
def loss_recovered_tensors(model, tokens, layer, reconstruct, where=None):
    return {k: torch.tensor(v) for k, v in ref.loss_recovered(model, tokens, layer, reconstruct, where).items()}


@mutant("reconstruction_metrics", "values are 0-d tensors, not floats")
def metrics_tensors(activations, reconstructions, latents):
    return {k: torch.tensor(v) for k, v in ref.reconstruction_metrics(activations, reconstructions, latents).items()}


@mutant("reconstruction_metrics", "L0 counts the inputs per latent")
def metrics_l0_wrong_axis(activations, reconstructions, latents):
    out = ref.reconstruction_metrics(activations, reconstructions, latents)
    return {**out, "l0": (latents > 0).float().sum(dim=0).mean().item()}


@mutant("reconstruction_metrics", "dead means zero on some input")
def metrics_dead_any(activations, reconstructions, latents):
    out = ref.reconstruction_metrics(activations, reconstructions, latents)
    return {**out, "dead_fraction": (latents <= 0).any(dim=0).float().mean().item()}


@mutant("reconstruction_metrics", "variance explained averaged per input")
def metrics_ve_per_input(activations, reconstructions, latents):
    out = ref.reconstruction_metrics(activations, reconstructions, latents)
    residual = (activations - reconstructions).pow(2).sum(dim=-1)
    total = (activations - activations.mean(dim=0)).pow(2).sum(dim=-1)
    return {**out, "variance_explained": (1 - residual / total).mean().item()}


@mutant("reconstruction_metrics", "variance explained without subtracting the mean")
def metrics_ve_uncentred(activations, reconstructions, latents):
    out = ref.reconstruction_metrics(activations, reconstructions, latents)
    ve = 1 - (activations - reconstructions).pow(2).sum() / activations.pow(2).sum()
    return {**out, "variance_explained": ve.item()}


def _loss_recovered(model, tokens, layer, reconstruct, where=None, ablate=torch.zeros_like, respect_where=True, flip=False,
                    name=None):
    if not respect_where:
        where = None
    name = name or ref.hook_name(layer)
    mask = (torch.ones(tokens.shape, dtype=torch.bool) if where is None else where)[..., None]

    def replace_with(make):
        return lambda activation, hook: torch.where(mask, make(activation), activation)

    with torch.no_grad():
        clean = ref.next_token_loss(model(tokens), tokens)
        spliced = ref.next_token_loss(model.run_with_hooks(tokens, fwd_hooks=[(name, replace_with(reconstruct))]), tokens)
        ablated = ref.next_token_loss(model.run_with_hooks(tokens, fwd_hooks=[(name, replace_with(ablate))]), tokens)
    recovered = (spliced - clean) / (ablated - clean) if flip else (ablated - spliced) / (ablated - clean)
    return {"clean": clean, "spliced": spliced, "zero_ablated": ablated, "recovered": recovered}


@mutant("loss_recovered", "returns a tuple")
def recovered_tuple(model, tokens, layer, reconstruct, where=None):
    return tuple(_loss_recovered(model, tokens, layer, reconstruct, where).values())


@mutant("loss_recovered", "the fraction lost, not recovered")
def recovered_flipped(model, tokens, layer, reconstruct, where=None):
    return _loss_recovered(model, tokens, layer, reconstruct, where, flip=True)


@mutant("loss_recovered", "mean-ablation instead of zero-ablation")
def recovered_mean_ablation(model, tokens, layer, reconstruct, where=None):
    return _loss_recovered(model, tokens, layer, reconstruct, where,
                           ablate=lambda a: a.mean(dim=(0, 1), keepdim=True).expand_as(a))


@mutant("loss_recovered", "hooks the residual stream before block `layer` (hook_resid_pre)")
def recovered_resid_pre(model, tokens, layer, reconstruct, where=None):
    return _loss_recovered(model, tokens, layer, reconstruct, where, name=f"blocks.{layer}.hook_resid_pre")


@mutant("loss_recovered", "`where` ignored")
def recovered_everywhere(model, tokens, layer, reconstruct, where=None):
    return _loss_recovered(model, tokens, layer, reconstruct, where, respect_where=False)


@mutant("top_activating_examples", "smallest activations")
def top_smallest(feature_acts, k):
    return ref.top_activating_examples(-feature_acts, k)[0].neg(), ref.top_activating_examples(-feature_acts, k)[1]


@mutant("top_activating_examples", "index unravelled with n_seq instead of pos")
def top_wrong_unravel(feature_acts, k):
    values, flat = feature_acts.flatten().topk(k)
    n_seq = feature_acts.shape[0]
    return values, torch.stack([flat // n_seq, flat % n_seq], dim=-1)


@mutant("top_activating_examples", "[position, sequence] order")
def top_swapped(feature_acts, k):
    values, where = ref.top_activating_examples(feature_acts, k)
    return values, where.flip(-1)


@mutant("top_activating_examples", "one example per sequence (its best position)")
def top_one_per_sequence(feature_acts, k):
    best, positions = feature_acts.max(dim=1)
    values, sequences = best.topk(k)
    return values, torch.stack([sequences, positions[sequences]], dim=-1)


@mutant("topk_activation", "threshold from an ascending sort (right only when d_sae = 2k)")
def topk_ascending_threshold(pre, k):
    threshold = pre.sort(dim=-1).values[..., k : k + 1]
    return torch.where(pre >= threshold, pre.relu(), torch.zeros_like(pre))


@mutant("topk_activation", "threshold pre >= k-th largest: ties keep more than k")
def topk_ties_kept(pre, k):
    kth = pre.topk(k, dim=-1).values[..., -1:]
    return torch.where(pre >= kth, pre.relu(), torch.zeros_like(pre))


@mutant("topk_activation", "threshold pre > k-th largest: ties at the k-th value dropped")
def topk_ties_dropped(pre, k):
    kth = pre.topk(k, dim=-1).values[..., -1:]
    return torch.where(pre > kth, pre.relu(), torch.zeros_like(pre))


@mutant("topk_activation", "returns the k values per row, not a [batch, d_sae] tensor")
def topk_values_only(pre, k):
    return pre.topk(k, dim=-1).values.relu()


@mutant("topk_activation", "no ReLU on the kept values")
def topk_no_relu(pre, k):
    values, indices = pre.topk(k, dim=-1)
    return torch.zeros_like(pre).scatter(-1, indices, values)


@mutant("topk_activation", "top k over the batch, not per row")
def topk_over_batch(pre, k):
    values, indices = pre.topk(k, dim=0)
    return torch.zeros_like(pre).scatter(0, indices, values.relu())


@mutant("topk_activation", "ReLU only, no top k")
def topk_relu_only(pre, k):
    return pre.relu()


@mutant("batch_topk_activation", "k per row (TopK), not k * batch over the whole batch")
def batch_topk_per_row(pre, k):
    return ref.topk_activation(pre, k)


@mutant("batch_topk_activation", "the k largest of the whole batch, not k * batch")
def batch_topk_only_k(pre, k):
    values, indices = pre.flatten().topk(k)
    return torch.zeros_like(pre).flatten().scatter(0, indices, values.relu()).reshape(pre.shape)


@mutant("batch_topk_activation", "no ReLU on the kept values")
def batch_topk_no_relu(pre, k):
    values, indices = pre.flatten().topk(k * pre.shape[0])
    return torch.zeros_like(pre).flatten().scatter(0, indices, values).reshape(pre.shape)


@mutant("batch_topk_activation", "threshold pre >= the cut: ties keep more than k * batch")
def batch_topk_ties_kept(pre, k):
    cut = pre.flatten().topk(k * pre.shape[0]).values[-1]
    return torch.where(pre >= cut, pre.relu(), torch.zeros_like(pre))


@mutant("batch_topk_activation", "threshold pre > the cut: ties at the cut dropped")
def batch_topk_ties_dropped(pre, k):
    cut = pre.flatten().topk(k * pre.shape[0]).values[-1]
    return torch.where(pre > cut, pre.relu(), torch.zeros_like(pre))


@mutant("batch_topk_activation", "the k largest of each latent over the batch (dim 0), not of the whole batch")
def batch_topk_per_latent(pre, k):
    values, indices = pre.topk(min(k, pre.shape[0]), dim=0)
    return torch.zeros_like(pre).scatter(0, indices, values.relu())


def _steering(model, tokens, layer, direction, coefficient, token_ids, name=None, per_position=True, unit=False,
              last_only=False, combine="logsumexp", reverse_kl=False, unweighted_kl=False, normalise=True, baseline=True):
    amount = torch.as_tensor(coefficient, dtype=direction.dtype)
    if not per_position:
        amount = amount.mean()
    direction = direction / direction.norm() if unit else direction
    push = (amount[..., None] if amount.ndim else amount) * direction

    def add_push(activation, hook):
        if last_only:
            activation = activation.clone()
            activation[:, -1] += push if push.ndim == 1 else push[:, -1]
            return activation
        return activation + push

    with torch.no_grad():
        clean_logits = model(tokens)
        steered_logits = model.run_with_hooks(tokens, fwd_hooks=[(name or ref.hook_name(layer), add_push)])
    clean = clean_logits.log_softmax(dim=-1) if normalise else clean_logits
    steered = steered_logits.log_softmax(dim=-1) if normalise else steered_logits
    pick = {"logsumexp": lambda lp: lp[..., token_ids].logsumexp(dim=-1), "mean": lambda lp: lp[..., token_ids].mean(dim=-1)}
    shift = pick[combine](steered) - (pick[combine](clean) if baseline else 0)
    lc, ls = clean_logits.log_softmax(dim=-1), steered_logits.log_softmax(dim=-1)
    if unweighted_kl:
        kl = (lc - ls).sum(dim=-1)
    else:
        kl = (ls.exp() * (ls - lc)).sum(dim=-1) if reverse_kl else (lc.exp() * (lc - ls)).sum(dim=-1)
    return {"log_prob_shift": shift, "kl": kl}


@mutant("steering_effect", "hooks the residual stream before block `layer` (hook_resid_pre)")
def steering_resid_pre(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, name=f"blocks.{layer}.hook_resid_pre")


@mutant("steering_effect", "one amount (the mean) for every position")
def steering_mean_amount(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, per_position=False)


@mutant("steering_effect", "the direction normalised to unit length")
def steering_unit_direction(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, unit=True)


@mutant("steering_effect", "pushes only the last position")
def steering_last_only(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, last_only=True)


@mutant("steering_effect", "the mean of the ids' log-probs, not the log of their total probability")
def steering_mean_log_prob(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, combine="mean")


@mutant("steering_effect", "logits, not log-probabilities, for the shift")
def steering_logits(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, normalise=False)


@mutant("steering_effect", "KL(steered || clean), the other way round")
def steering_reverse_kl(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, reverse_kl=True)


@mutant("steering_effect", "steered and clean swapped in the shift")
def steering_swapped(model, tokens, layer, direction, coefficient, token_ids):
    out = ref.steering_effect(model, tokens, layer, direction, coefficient, token_ids)
    return {"log_prob_shift": -out["log_prob_shift"], "kl": out["kl"]}


@mutant("steering_effect", "KL without the clean probabilities as weights (a plain sum of log-ratios)")
def steering_unweighted_kl(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, unweighted_kl=True)


@mutant("steering_effect", "the steered log P(token_ids), not its change from the clean run")
def steering_no_baseline(model, tokens, layer, direction, coefficient, token_ids):
    return _steering(model, tokens, layer, direction, coefficient, token_ids, baseline=False)


@mutant("steering_effect", "returns a tuple")
def steering_tuple(model, tokens, layer, direction, coefficient, token_ids):
    out = ref.steering_effect(model, tokens, layer, direction, coefficient, token_ids)
    return out["log_prob_shift"], out["kl"]


@mutant("steering_effect", "the KL summed over positions too (one number)")
def steering_kl_total(model, tokens, layer, direction, coefficient, token_ids):
    out = ref.steering_effect(model, tokens, layer, direction, coefficient, token_ids)
    return {"log_prob_shift": out["log_prob_shift"], "kl": out["kl"].sum()}


@mutant("batch_topk_activation", "returns only the kept values, not a [batch, d_sae] tensor")
def batch_topk_values_only(pre, k):
    return pre.flatten().topk(k * pre.shape[0]).values.relu()
