import torch

from exercises.grading import call_graded, check, check_tensor

from ._tiny import tiny_sae


def _data(reference, n=256):
    features = reference.random_features(8, 5, torch.Generator().manual_seed(0))
    return reference.toy_feature_data(features, n, 0.2, torch.Generator().manual_seed(1))[0]


SETTINGS = dict(steps=6, batch_size=16, lr=1e-2, l1_coeff=0.05, seed=3)


def test_matches_reference(graded, reference):
    data = _data(reference)
    sae, expected_sae = tiny_sae(graded), tiny_sae(reference)
    losses = call_graded(graded.train_sae, sae, data, **SETTINGS, changes=("sae",))
    expected = reference.train_sae(expected_sae, data, **SETTINGS)
    check(isinstance(losses, list) and len(losses) == 6 and all(isinstance(v, float) for v in losses),
          f"train_sae(steps=6) should return a list of 6 floats, got {losses!r}")
    check_tensor(torch.tensor(losses), torch.tensor(expected), atol=1e-5,
                 what="the losses of train_sae(tiny SAE, toy data, steps=6, batch_size=16, lr=1e-2, l1_coeff=0.05, seed=3)",
                 hint="Adam(sae.parameters(), lr); one generator seeded once; a batch of random rows each step; zero the grads.")
    check_tensor(sae.W_dec.detach(), expected_sae.W_dec.detach(), atol=1e-5, what="the decoder W_dec after train_sae(..., steps=6)",
                 hint="before optimizer.step(): sae.W_dec.grad = remove_parallel_gradient(sae.W_dec.grad, sae.W_dec); "
                      "after it: sae.normalise_decoder_().")


def test_decoder_rows_keep_unit_norm(graded, reference):
    sae = tiny_sae(graded)
    call_graded(graded.train_sae, sae, _data(reference), steps=20, batch_size=32, lr=3e-2, l1_coeff=0.05, changes=("sae",))
    norms = sae.W_dec.detach().norm(dim=-1)
    check(torch.allclose(norms, torch.ones_like(norms), atol=1e-5),
          f"after training every decoder row should have norm 1 (the L1 penalty means nothing otherwise); got {norms.tolist()}. "
          f"Call sae.normalise_decoder_() after every optimizer step.")


def test_dead_features_are_resampled(graded, reference):
    data = _data(reference)
    sae, expected_sae = tiny_sae(graded), tiny_sae(reference)
    for model in (sae, expected_sae):
        with torch.no_grad():
            model.b_enc[:4] = -100.0  # features 0-3 can never fire: dead
    settings = dict(steps=5, batch_size=16, lr=1e-2, l1_coeff=0.05, seed=0, resample_every=4)
    call_graded(graded.train_sae, sae, data, **settings, changes=("sae",))
    reference.train_sae(expected_sae, data, **settings)
    check(bool((sae.b_enc.detach()[:4] > -50).all()),
          f"features 0-3 never fire (encoder bias -100); with resample_every=4 they should be resampled after step 4 "
          f"(their encoder bias reset to 0), but their biases are {sae.b_enc.detach()[:4].tolist()}")
    check_tensor(sae.W_dec.detach(), expected_sae.W_dec.detach(), atol=1e-5, what="W_dec after resampling at step 4 of 5",
                 hint="record which latents fired (> 0) since the last resampling; after step s with s % resample_every == 0 "
                      "and s < steps, draw RESAMPLE_INPUTS rows with the same generator and call resample_dead_features(sae, ~fired, ...).")
