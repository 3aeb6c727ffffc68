import json

import torch

from exercises.testing import call_graded, check, check_tensor, grading_seed

from ._tiny import tiny_sae


def _x(n=6, d=5, seed=grading_seed(3)):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def _closed_form(x, W_enc, b_enc, W_dec, b_dec):
    latents = torch.relu((x - b_dec) @ W_enc + b_enc)
    return latents @ W_dec + b_dec, latents


def test_matches_reference(graded, reference):
    sae, x = tiny_sae(graded), _x()
    reconstruction, latents = call_graded(sae.forward, x, returns=("reconstruction", "latents"))
    expected_reconstruction, expected_latents = reference.SparseAutoencoder.forward(tiny_sae(reference), x)
    check_tensor(latents, expected_latents, what="SparseAutoencoder(5, 8).forward(x)[1], the latents",
                 hint="subtract b_dec before encoding (the pre-encoder bias), add b_enc, then self.activation (ReLU).")
    check_tensor(reconstruction, expected_reconstruction, what="SparseAutoencoder(5, 8).forward(x)[0], the reconstruction",
                 hint="reconstruction = latents @ W_dec + b_dec.")


def test_tied_encoder_is_the_decoder_transposed(graded):
    sae, x = tiny_sae(graded, tied=True), _x()
    reconstruction, latents = call_graded(sae.forward, x, returns=("reconstruction", "latents"))
    W_dec = sae.W_dec.detach().clone().requires_grad_()  # the closed form's own copy, for its gradient
    expected_reconstruction, expected_latents = _closed_form(x, W_dec.T, sae.b_enc.detach(), W_dec, sae.b_dec.detach())
    what = "a tied SAE(5, 8, tied=True).forward(x)"
    check_tensor(latents, expected_latents.detach(), what=f"{what}[1], the latents",
                 against="relu((x - b_dec) @ W_dec^T + b_enc)",
                 hint="pre = (x - self.b_dec) @ self.encoder_weights() + self.b_enc, then self.activation(pre): subtract b_dec "
                      "first (the pre-encoder bias), add b_enc, and take the encoder from self.encoder_weights(), which is "
                      "W_dec^T for a tied SAE (its W_enc is None).")
    check_tensor(reconstruction, expected_reconstruction.detach(), what=f"{what}[0], the reconstruction (the latents are right)",
                 against="latents @ W_dec + b_dec", hint="reconstruction = latents @ self.W_dec + self.b_dec: add the decoder bias back.")
    # the values are right; the gradient says whether the encoder is W_dec itself, in the autograd graph
    weights = torch.randn(6, 5, generator=torch.Generator().manual_seed(grading_seed(7)))
    check(isinstance(reconstruction, torch.Tensor) and reconstruction.requires_grad,
          f"{what}[0] does not require grad, so training cannot reach the SAE's parameters: compute it from self.W_dec, "
          f"self.b_dec, ... with tensor operations (no .detach(), .data or torch.no_grad() in forward).")
    sae.zero_grad()
    (reconstruction * weights).sum().backward()
    (expected_reconstruction * weights).sum().backward()
    got_grad = sae.W_dec.grad if sae.W_dec.grad is not None else torch.zeros_like(W_dec)
    check_tensor(got_grad, W_dec.grad, atol=1e-5,
                 what=f"W_dec.grad after backward of a loss on {what}'s reconstruction (the values are right)",
                 against="the closed form's gradient, which reaches W_dec through the encoder (W_dec^T) and the decoder",
                 hint="the gradient flows only through the decoder: keep the encoder in the autograd graph. Use "
                      "self.encoder_weights() (W_dec.T for a tied SAE), with no .detach() or .data of W_dec, so "
                      "training moves W_dec as both encoder and decoder.")


def test_topk_sae_uses_its_activation(graded):
    sae, x = tiny_sae(graded, k=2), _x()
    _, latents = call_graded(sae.forward, x, returns=("reconstruction", "latents"))
    counts = (latents > 0).sum(dim=-1)
    check(bool((counts <= 2).all()), f"an SAE with k=2 keeps at most 2 latents per input; got {counts.tolist()} "
          f"(apply self.activation(pre), not torch.relu, so a TopK SAE works too)")


def test_saelens_round_trip(graded, reference, tmp_path):
    """save_sae writes SAELens's layout with the normalisation folded in; load_sae reads it back."""
    from safetensors.torch import load_file

    scale, x = 0.25, 4 * _x()
    original = tiny_sae(reference)
    reference.save_sae(original, tmp_path / "sae", scale=scale, metadata={"hook_name": "blocks.0.hook_resid_post"})
    weights = load_file(str(tmp_path / "sae" / "sae_weights.safetensors"))  # SAELens's file and key names
    config = json.loads((tmp_path / "sae" / "cfg.json").read_text())
    read_back, _ = reference.load_sae(tmp_path / "sae")
    loaded = graded.SparseAutoencoder(config["d_in"], config["d_sae"])  # your forward, the weights read back
    loaded.load_state_dict(read_back.state_dict())
    reconstruction, _ = call_graded(loaded.forward, x, returns=("reconstruction", "latents"))
    raw_space = _closed_form(x, weights["W_enc"], weights["b_enc"], weights["W_dec"], weights["b_dec"])[0]
    # the given save/load code: the file's weights on raw x equal the original SAE on x * scale
    torch.testing.assert_close(raw_space, reference.SparseAutoencoder.forward(original, x * scale)[0].detach() / scale)
    check_tensor(reconstruction, raw_space, atol=1e-4, what=f"forward of an SAE read back from SAELens's layout ({config['architecture']})",
                 against="the saved weights, W_enc [d_in, d_sae] and W_dec [d_sae, d_in]")
