import torch

from exercises.testing import call_graded, check, check_close, check_tensor, grading_seed

from ._tiny import tiny_sae


def _data(reference, n=256):
    features = reference.random_features(8, 5, torch.Generator().manual_seed(grading_seed(0)))
    return reference.toy_feature_data(features, n, 0.2, torch.Generator().manual_seed(grading_seed(1)))[0]


SETTINGS = dict(steps=6, batch_size=16, lr=1e-2, l1_coeff=0.05, seed=grading_seed(3))
CALL = "train_sae(tiny SAE, toy data, steps=6, batch_size=16, lr=1e-2, l1_coeff=0.05, seed=3)"
UNIT_NORM = ("decoder rows must have unit norm after every step: call sae.normalise_decoder_() right after every "
             "optimizer.step() (the L1 penalty means nothing otherwise: the SAE would shrink its latents and grow the decoder)")


def _norms_off(sae) -> str:
    norms = sae.W_dec.detach().norm(dim=-1)
    off = (norms - 1).abs() > 1e-5
    return ", ".join(f"row {i}: {norms[i]:.6f}" for i in off.nonzero().flatten().tolist()[:5])


def test_matches_reference(graded, reference):
    data = _data(reference)
    sae, expected_sae = tiny_sae(graded), tiny_sae(reference)
    losses = call_graded(graded.train_sae, sae, data, **SETTINGS, changes=("sae",))
    expected = reference.train_sae(expected_sae, data, **SETTINGS)
    check(isinstance(losses, list) and len(losses) == 6 and all(isinstance(v, float) for v in losses),
          f"train_sae(steps=6) should return a list of 6 floats, got {losses!r}")
    check(not _norms_off(sae), f"after {CALL} some decoder rows do not have norm 1 ({_norms_off(sae)}): {UNIT_NORM}.")
    check_tensor(torch.tensor(losses[:1]), torch.tensor(expected[:1]), atol=1e-5,
                 what=f"the first loss of {CALL}", against="the reference (the untrained SAE's loss on the first batch)",
                 hint="the first loss comes before any update: make one generator torch.Generator().manual_seed(seed) and draw "
                      "every batch with it, activations[torch.randint(0, n, (batch_size,), generator=generator)]; "
                      "the loss is sae_loss(x, *sae(x), l1_coeff)['loss'], recorded with .item().")
    check_tensor(torch.tensor(losses), torch.tensor(expected), atol=1e-5,
                 what=f"the losses of {CALL} (the first one is right, so an update differs)",
                 hint="Adam(sae.parameters(), lr=lr), made once; every step optimizer.zero_grad() before loss.backward() "
                      "(gradients add up otherwise), then optimizer.step(), then sae.normalise_decoder_().")
    check_tensor(sae.W_dec.detach(), expected_sae.W_dec.detach(), atol=1e-5, what=f"the decoder W_dec after {CALL}",
                 hint="before optimizer.step(): sae.W_dec.grad = remove_parallel_gradient(sae.W_dec.grad, sae.W_dec) "
                      "(the decoder-norm constraint in the update); after it: sae.normalise_decoder_().")


def test_decoder_rows_keep_unit_norm_after_every_step(graded, reference):
    sae, seen = tiny_sae(graded), []

    def progress(step, info):
        seen.append((step, _norms_off(sae)))

    call_graded(graded.train_sae, sae, _data(reference), steps=20, batch_size=32, lr=3e-2, l1_coeff=0.05,
                progress=progress, changes=("sae",))
    steps = [step for step, _ in seen]
    check(steps == list(range(1, 21)),
          f"train_sae(tiny SAE, toy data, steps=20, progress=fn) should call fn(step, {{'loss': ..., 'l0': ...}}) once "
          f"after every step, step counting from 1 to 20; it called it with steps {steps}")
    bad = [(step, off) for step, off in seen if off]
    check(not bad, f"train_sae(tiny SAE, toy data, steps=20, lr=3e-2): after step {bad[0][0] if bad else 0} (when progress "
                   f"was called) decoder rows have norms {bad[0][1] if bad else ''}: {UNIT_NORM}.")


def test_progress_reports_each_steps_loss_and_l0(graded, reference):
    """progress(step, info): info["loss"] is the step's loss and info["l0"] the mean number of latents > 0 per input
    of the step's batch, both Python floats; the expected l0 of step s comes from the reference SAE after s - 1 steps."""
    data, settings = _data(reference), dict(batch_size=16, lr=1e-2, l1_coeff=0.05, seed=grading_seed(3))
    sae, infos = tiny_sae(graded), []
    call_graded(graded.train_sae, sae, data, steps=3, **settings, progress=lambda step, info: infos.append(info),
                changes=("sae",))
    expected_losses = reference.train_sae(tiny_sae(reference), data, steps=3, **settings)
    check(len(infos) == 3 and all(isinstance(info, dict) and {"loss", "l0"} <= set(info) for info in infos),
          f"train_sae(tiny SAE, toy data, steps=3, progress=fn) should call fn(step, {{'loss': ..., 'l0': ...}}) once per "
          f"step; fn got {[type(i).__name__ if not isinstance(i, dict) else sorted(i) for i in infos]}")
    generator = torch.Generator().manual_seed(settings["seed"])  # the batches the docstring prescribes
    for step, info in enumerate(infos, start=1):
        call = f"train_sae(tiny SAE, toy data, steps=3, batch_size=16, lr=1e-2, l1_coeff=0.05, seed=3, progress=fn): step {step}'s info"
        wrong_type = {key: type(info[key]).__name__ for key in ("loss", "l0") if not isinstance(info[key], float)}
        check(not wrong_type, f"{call} has {', '.join(f'{k!r}: a {t}' for k, t in wrong_type.items())}; both should be Python "
                              f"floats (use .item()): a loss tensor keeps the step's whole autograd graph alive.")
        check_close(info["loss"], expected_losses[step - 1], what=f"{call}['loss']",
                    against="the reference's loss of that step",
                    hint="info['loss'] is the step's loss, loss.item(), the value the returned list holds for that step (when "
                         "test_matches_reference fails too, fix that first: the training itself differs).")
        batch = data[torch.randint(0, data.shape[0], (settings["batch_size"],), generator=generator)]
        before = tiny_sae(reference)
        reference.train_sae(before, data, steps=step - 1, **settings)  # the SAE the step's batch went through
        _, latents = reference.SparseAutoencoder.forward(before, batch)
        expected_l0 = (latents > 0).float().sum(dim=-1).mean().item()
        check_close(info["l0"], expected_l0, what=f"{call}['l0']",
                    against=f"the mean number of latents > 0 per input of step {step}'s batch (of the SAE's 8)",
                    hint="l0 is the mean over the batch of the number of latents > 0 per input: (latents > 0).float().sum(dim=-1)"
                         ".mean().item(), a count between 0 and d_sae, not a fraction of the latents.")


DEAD = dict(batch_size=16, lr=0.1, l1_coeff=0.3, seed=grading_seed(0), resample_every=4)


def _dead_call(steps: int) -> str:
    return (f"train_sae(tiny SAE with features 0-3 dead, toy data, steps={steps}, batch_size=16, lr=0.1, l1_coeff=0.3, "
            f"seed=0, resample_every=4)")


def _sae_with_dead_features(module):
    sae = tiny_sae(module)
    with torch.no_grad():
        sae.b_enc[:4] = -100.0  # features 0-3 can never fire: dead
    return sae


def test_dead_features_are_resampled_every_round(graded, reference):
    """Three rounds, after steps 4, 8 and 12: the features resampled after step 4 fire at first, then die again.

    A run of 4r + 1 steps ends one step after the r-th resampling (none after the last step), and is the start
    of the longer runs (same seed), so the first run that differs says which round went wrong.
    """
    data = _data(reference)
    for rounds in (1, 2, 3):
        steps = 4 * rounds + 1
        sae, expected_sae = _sae_with_dead_features(graded), _sae_with_dead_features(reference)
        call_graded(graded.train_sae, sae, data, steps=steps, **DEAD, changes=("sae",))
        reference.train_sae(expected_sae, data, steps=steps, **DEAD)
        if rounds == 1:
            check(bool((sae.b_enc.detach()[:4] > -50).all()),
                  f"{_dead_call(steps)}: features 0-3 never fire (encoder bias -100), so they should be resampled after "
                  f"step 4 (their encoder bias reset to 0), but their biases are {sae.b_enc.detach()[:4].tolist()}")
            hint = ("(if test_matches_reference passes, the resampling differs) after step s with s % resample_every == 0 and s < steps, draw RESAMPLE_INPUTS rows with the same "
                    "generator and call resample_dead_features(sae, ~fired, those rows, optimizer, generator), where fired "
                    "marks the latents that were > 0 on any batch since the previous resampling (here: since the start): OR every "
                    "step's (latents > 0).any(dim=0) into it.")
        else:
            hint = (f"the resamplings before step {4 * rounds} match the reference's, the one after step {4 * rounds} does "
                    f"not: a feature is dead at a resampling when its latent was not > 0 on any batch since the previous "
                    f"one. Keep one record, OR every step's (latents > 0).any(dim=0) into it, and reset it to all False "
                    f"right after every resampling: never reset, a feature that fired before step 4 is never resampled "
                    f"again; kept for the last batch only, features that fired earlier in the round are resampled too.")
        check(not _norms_off(sae), f"after {_dead_call(steps)} some decoder rows do not have norm 1 ({_norms_off(sae)}): "
                                   f"{UNIT_NORM}; a resampled row has unit norm too.")
        moved = (sae.W_dec.detach() - expected_sae.W_dec.detach()).norm(dim=-1)
        rows = (moved > 0.1).nonzero().flatten().tolist()  # a row resampled in one run and not the other points elsewhere
        resamplings = {1: "step 4", 2: "steps 4 and 8", 3: "steps 4, 8 and 12"}[rounds]
        check_tensor(sae.W_dec.detach(), expected_sae.W_dec.detach(), atol=1e-5,
                     what=f"W_dec after {_dead_call(steps)} (resampling after {resamplings}; the decoder rows of features {rows} point elsewhere)",
                     hint=hint)


def test_progress_comes_after_the_resampling(graded, reference):
    """Five steps with resample_every=4: progress(4, ...) comes once step 4 is complete, its resampling included."""
    sae, biases = _sae_with_dead_features(graded), {}

    def progress(step, info):
        biases[step] = sae.b_enc.detach()[:4].clone()

    call_graded(graded.train_sae, sae, _data(reference), steps=5, **DEAD, progress=progress, changes=("sae",))
    seen = biases.get(4)
    check(seen is not None and bool((seen > -50).all()),
          f"{_dead_call(5)} with progress=fn: when fn(4, ...) was called, features 0-3 (dead: encoder bias -100) were not "
          f"resampled yet (their encoder biases {None if seen is None else seen.tolist()}). Call progress once the step is "
          f"complete: after the renormalisation and after any resampling of that step.")


def test_no_resampling_after_the_last_step(graded, reference):
    """Four steps with resample_every=4: step 4 is the last, so features 0-3 stay dead (nothing would train new ones)."""
    data = _data(reference)
    sae, expected_sae = _sae_with_dead_features(graded), _sae_with_dead_features(reference)
    call_graded(graded.train_sae, sae, data, steps=4, **DEAD, changes=("sae",))
    reference.train_sae(expected_sae, data, steps=4, **DEAD)
    moved = (sae.W_dec.detach() - expected_sae.W_dec.detach()).norm(dim=-1)
    rows = (moved > 0.1).nonzero().flatten().tolist()
    check_tensor(sae.W_dec.detach(), expected_sae.W_dec.detach(), atol=1e-5,
                 what=f"W_dec after {_dead_call(4)} (no resampling: step 4 is the last; the decoder rows of features {rows} "
                      f"point elsewhere)",
                 hint="no resampling after the last step: nothing would train the new features, and the SAE you return "
                      "would carry untrained directions. Resample after step s only when s % resample_every == 0 and s < steps.")
