"""Part 5's going-further code on the reference: BatchTopK's inference and saving, the frontier's recipes,
the causal test and the HTML dashboards (tiny models and SAEs; the quick replication runs in test_notebooks)."""

import json
import re
import shutil
import subprocess

import pytest
import torch

from part5_sae import causal, dashboards, frontier
from part5_sae.tests._tiny import tiny_model, tiny_tokens
from part5_sae.training import Recipe
from solutions import part5_sae as reference


def _trained_batch_topk(k=2, steps=60):
    sae = reference.SparseAutoencoder(5, 8, k=k, batch_topk=True, seed=1)
    x = torch.randn(256, 5, generator=torch.Generator().manual_seed(0))
    reference.train_sae(sae, x, steps=steps, batch_size=32, lr=1e-2, l1_coeff=0.0)
    return sae.eval(), x


def test_batch_topk_infers_with_its_threshold():
    """In training a batch keeps k per input on average; in eval mode a latent fires when it passes the threshold."""
    sae, x = _trained_batch_topk()
    threshold = sae.threshold[0].item()
    assert threshold > 0 and bool((sae.threshold == threshold).all())
    with torch.no_grad():
        pre = (x - sae.b_dec) @ sae.W_enc + sae.b_enc
        latents = sae.encode(x)
    torch.testing.assert_close(latents, pre * (pre > threshold))
    assert 1.0 < (latents > 0).float().sum(dim=-1).mean().item() < 3.5  # about k = 2 per input, not every positive one
    sae.train()
    with torch.no_grad():
        assert int((sae.encode(x[:32]) > 0).sum()) <= 2 * 32  # exactly k * batch, minus kept zeros


def test_the_first_batch_sets_the_threshold():
    sae, _ = _trained_batch_topk(steps=1)
    assert sae.threshold[0].item() > 0.05  # not 0.01 times the smallest kept value, as a running mean from 0 would give


def test_batch_topk_saves_as_saelens_jumprelu_and_reads_back(tmp_path):
    sae, x = _trained_batch_topk()
    reference.save_sae(sae, tmp_path / "sae", scale=0.5, metadata={"hook_name": "blocks.0.hook_resid_post"})
    config = json.loads((tmp_path / "sae" / "cfg.json").read_text())
    assert config["architecture"] == "jumprelu" and "k" not in config and config["metadata"]["batch_topk_k"] == 2
    loaded, _ = reference.load_sae(tmp_path / "sae")
    assert not loaded.training and loaded.batch_topk
    with torch.no_grad():  # the saved SAE reads raw activations: x / 0.5 in, the same latents out
        torch.testing.assert_close(loaded.encode(x / 0.5), sae.encode(x))
        torch.testing.assert_close(loaded(x / 0.5)[0], sae(x)[0] / 0.5)


def test_an_architecture_the_course_cannot_read_is_refused(tmp_path):
    reference.save_sae(reference.SparseAutoencoder(4, 6), tmp_path / "sae")
    config = json.loads((tmp_path / "sae" / "cfg.json").read_text())
    (tmp_path / "sae" / "cfg.json").write_text(json.dumps(config | {"architecture": "gated"}))
    with pytest.raises(ValueError, match="'gated'; this course reads 'standard', 'topk' and 'jumprelu'"):
        reference.load_sae(tmp_path / "sae")


def test_batch_topk_needs_k():
    with pytest.raises(ValueError, match="batch_topk=True needs k"):
        reference.SparseAutoencoder(4, 6, batch_topk=True)


def test_recipes_cover_every_architecture_with_the_headline_points():
    settings = {"frontier": {"L1": (3.0, 0.75), "k": (20, 80)}, "l1_coeff": 1.5}
    recipes = frontier.recipes(settings, matched_k=51)
    assert [r.label for r in recipes] == [
        "L1 SAE (coefficient 3)", "L1 SAE (coefficient 1.5)", "L1 SAE (coefficient 0.75)",
        "TopK SAE (k=20)", "TopK SAE (k=51)", "TopK SAE (k=80)",
        "BatchTopK SAE (k=20)", "BatchTopK SAE (k=51)", "BatchTopK SAE (k=80)"]
    assert Recipe("TopK", 51) in recipes  # the headline run is found, not trained again
    with pytest.raises(ValueError, match="use 'L1', 'TopK' or 'BatchTopK'"):
        Recipe("Gated", 1.0)


def test_ablating_a_feature_where_it_fires_lowers_what_it_promotes():
    """On a tiny model: the steering shift is positive, ablation (pushing the other way) negative, and a zero push 0."""
    model, tokens = tiny_model(), tiny_tokens(4, 8)
    direction = 3 * torch.randn(16, generator=torch.Generator().manual_seed(1))
    ids = causal.promoted_ids(model, direction, 1.0, k=3)
    pushed = reference.steering_effect(model, tokens, 2, direction, 1.0, ids)["log_prob_shift"]
    firing = torch.zeros(4, 8)
    firing[:, 5] = 1.0
    ablated = reference.steering_effect(model, tokens, 2, direction, -firing, ids)["log_prob_shift"]
    assert pushed.mean() > 0.05
    assert bool((ablated[:, 5] < 0).all()) and bool((ablated[:, :5].abs() < 1e-5).all())


def _write_two_pages(tmp_path):
    tokens = tiny_tokens(6, 12)
    acts = torch.relu(torch.randn(6, 12, 2, generator=torch.Generator().manual_seed(0)))

    class Tokenizer:
        def decode(self, ids):
            return "".join(f"<t{i}>" for i in ids)  # markup characters, which the pages must escape

    logits = {3: torch.linspace(-1, 1, 20), 9: torch.linspace(1, -1, 20)}
    index = dashboards.write(tmp_path, [3, 9], acts, tokens, Tokenizer(), logits.get, {3: 0.01, 9: 0.2},
                             [{"feature": 3, "strength": 2.0, "steering_shift": 0.5, "random_shift_mean": 0.01,
                               "ablation_shift": -0.2, "ablation_positions": 7}])
    return index


def test_dashboards_shade_every_token_and_link_every_page(tmp_path):
    index = _write_two_pages(tmp_path)
    page = (tmp_path / "feature_3.html").read_text()
    assert "href='feature_3.html'" in index.read_text() and "href='feature_9.html'" in index.read_text()
    assert re.search(r"<t\d", page) is None  # the tokens' text is escaped
    assert "&lt;t" in page and "class='tok peak'" in page and "background:rgba(255,127,14,1.00)" in page
    assert "<svg" in page and "promoted" in page and "suppressed" in page and "+0.500" in page
    assert "Causal test" not in (tmp_path / "feature_9.html").read_text()  # no result, no section
    assert not re.search(r"<script|https?://|<link", page + index.read_text())  # offline: nothing to fetch, no code to run


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install -y chromium)")
def test_a_dashboard_renders_in_headless_chromium(tmp_path):
    """The page as a browser builds it: every token span, the histogram's bars and both token tables."""
    _write_two_pages(tmp_path / "pages")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
                           "--dump-dom", (tmp_path / "pages" / "feature_3.html").as_uri()],
                          capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert done.returncode == 0 and "<h1>Feature 3</h1>" in dom, done.stderr[-2000:]
    assert dom.count("class=\"tok") >= 12 * 10 and dom.count("<rect") == 40 and dom.count("<table>") == 2


def test_token_identity_is_the_share_of_variance_between_tokens():
    from part5_sae import control

    ids = torch.tensor([0, 0, 1, 1, 2, 2])
    latents = torch.stack([torch.tensor([1.0, 1.0, 3.0, 3.0, 0.0, 0.0]),  # a function of the token: 1
                           torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0]),  # no token explains it: 0
                           torch.tensor([2.0, 0.0, 2.0, 0.0, 5.0, 5.0]),  # partly the token
                           torch.zeros(6)], dim=1)  # never varies: undefined
    eta = control.token_identity(latents, ids)
    third = latents[:, 2]
    group_means = torch.tensor([1.0, 1.0, 5.0])[ids]
    expected = ((group_means - third.mean()) ** 2).sum() / ((third - third.mean()) ** 2).sum()
    torch.testing.assert_close(eta[:3], torch.tensor([1.0, 0.0, expected.item()]))
    assert torch.isnan(eta[3])
