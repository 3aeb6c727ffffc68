import json

import torch

from exercises.grading import call_graded, check, check_tensor

from ._tiny import tiny_sae


def _x(n=6, d=5, seed=3):
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
    got = call_graded(sae.forward, x, returns=("reconstruction", "latents"))
    expected = _closed_form(x, sae.W_dec.T, sae.b_enc, sae.W_dec, sae.b_dec)
    check_tensor(got[0], expected[0].detach(), what="a tied SAE's reconstruction", against="relu((x - b_dec) W_dec^T + b_enc) W_dec + b_dec",
                 hint="use self.encoder_weights(): it is W_dec^T for a tied SAE, whose W_enc is None.")


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
