"""part3_induction/natural_text.py (part 3's going-further run on natural text), copy_statistics.py
and the fast twin of the learner's model: their pieces, their errors, and a tiny end-to-end run
on the reference (the full run takes minutes: see part 3's lesson)."""

import math
import re

import numpy as np
import pytest
import torch

from exercises.data import load_moby_dick, load_python_stdlib, load_state_of_the_union
from part3_induction import copy_statistics, fast_attn_only, natural_text
from part3_induction.fast_attn_only import AttnOnlyTwin, copy_into
from solutions.part3_induction import make_attn_only_model


def test_the_tokenizer_learns_word_pieces_and_round_trips():
    text = "the whale, the white whale; the sea. " * 50
    tokenizer = natural_text.train_tokenizer(text, 300)
    assert tokenizer.get_vocab_size() <= 300
    tokens = natural_text.encode(tokenizer, "the white whale")
    assert len(tokens) < len("the white whale")  # merges, not bytes
    assert tokenizer.decode(tokens.tolist()) == "the white whale"
    assert natural_text.encode(tokenizer, "Queequeg!").max() < 300  # unseen text still encodes, byte by byte
    with pytest.raises(ValueError, match="more than 256 tokens"):
        natural_text.train_tokenizer(text, 200)
    paragraphs = "Call me Ishmael.\n\nThe whale, the whale!\n\n\nMr. Speaker, the state of the Union"
    assert natural_text.encode(tokenizer, paragraphs).tolist() == tokenizer.encode(paragraphs).ids  # paragraph by paragraph, the same ids


def test_each_book_keeps_its_end_for_held_out():
    moby, sotu = load_moby_dick()[:10_000], load_state_of_the_union()[:10_000]
    train, held_out = natural_text.split_texts("english", characters=10_000)
    assert train == moby[:9_500] + "\n\n" + sotu[:9_500]
    assert held_out == moby[9_500:] + "\n\n" + sotu[9_500:]


def test_every_twentieth_module_is_held_out_whole():
    modules = load_python_stdlib()
    assert len(modules) == 477 and "asyncio/tasks.py" in modules
    names = sorted(modules)
    train, held_out = natural_text.split_texts("python")
    assert held_out == "\n\n".join(modules[name] for name in names[19::20])
    assert len(train) + len(held_out) + 2 == len("\n\n".join(modules.values()))
    assert modules[names[19]] not in train and modules[names[18]] in train
    assert natural_text.split_texts("python", characters=1000) == (train[:1000], held_out[:1000])
    with pytest.raises(ValueError, match="unknown corpus 'latin': choose one of python, english"):
        natural_text.split_texts("latin")


def test_the_twin_computes_the_bridges_logits_and_hands_over_its_weights():
    bridge = make_attn_only_model(d_vocab=40, n_ctx=12, d_model=16, n_heads=2, seed=0)
    twin = AttnOnlyTwin.of(bridge)
    tokens = torch.randint(0, 40, (3, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(twin(tokens), bridge(tokens), atol=1e-5)
        for parameter in twin.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
        before = bridge(tokens)
        copy_into(bridge, twin)
        assert not torch.allclose(bridge(tokens), before, atol=1e-3)
        assert torch.allclose(twin(tokens), bridge(tokens), atol=1e-5)


def test_the_twin_refuses_models_it_cannot_copy():
    with pytest.raises(ValueError, match="layer_norm=True"):
        AttnOnlyTwin.of(make_attn_only_model(d_vocab=40, n_ctx=12, d_model=16, n_heads=2, layer_norm=False))
    bridge = make_attn_only_model(d_vocab=40, n_ctx=12, d_model=16, n_heads=2)
    with pytest.raises(ValueError, match=r"pos.weight: the bridge's is \(12, 16\), the twin's \(20, 16\)"):
        copy_into(bridge, AttnOnlyTwin(d_vocab=40, n_ctx=20, d_model=16, n_heads=2))


def test_windows_are_consecutive_tokens_of_the_text():
    tokens = torch.arange(1000)
    windows = natural_text.text_windows(tokens, 8, 50, torch.Generator().manual_seed(0))
    assert windows.shape == (8, 50)
    assert (windows.diff(dim=1) == 1).all()
    with pytest.raises(ValueError, match="a text of 40 tokens has no window of 50"):
        natural_text.text_windows(tokens[:40], 1, 50, torch.Generator())


def test_the_icl_score_averages_eleven_positions_around_each_end():
    losses = torch.arange(60.0).repeat(3, 1)  # the loss at position p is p
    band = natural_text.banded(losses, early=10, late=40)
    assert band.tolist() == [[10.0, 40.0]] * 3  # means of 5..15 and 35..45
    assert natural_text.banded(losses, early=2, late=40)[0, 0] == 3.5  # clipped at position 0: mean of 0..7
    assert natural_text.icl_label(20, 204) == "loss at tokens 199-209 minus at 15-25"


def test_the_random_probe_draws_only_tokens_the_text_uses():
    from exercises.harness.targets import load_target

    train = torch.tensor([3, 7, 7, 300, 3, 41] * 50)
    settings = {"n_ctx": 40, "probes": 4}
    inputs = natural_text.probes(load_target("part3", "solutions"), train, train, settings)
    assert set(inputs["random"].unique().tolist()) <= {3, 7, 41, 300}
    assert inputs["random"].shape == (64, 2 * inputs["period"]) and inputs["period"] == 8


def test_the_crossing_step_is_the_first_checkpoint_half_way():
    steps = [0, 100, 200, 300, 400]
    assert natural_text.crossing_step(steps, [0.0, 0.1, 0.2, 0.8, 1.0]) == 300
    assert natural_text.crossing_step(steps, [0.0, -0.1, -0.3, -0.35, -0.4], rising=False) == 200
    assert math.isnan(natural_text.crossing_step(steps, [0.0, 0.02, 0.01, 0.03, 0.05], least=natural_text.CHANGE))  # no change to time


def test_the_report_shows_counts_whole_and_the_rest_rounded():
    assert [natural_text.shown(v) for v in (10000.0, 20_480_000, 0.329123, 463.94, float("nan"))] == [
        "10,000", "20,480,000", "0.3291", "463.9", "never"]


def test_the_running_mean_starts_short():
    assert np.allclose(natural_text.smoothed([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0])


@pytest.mark.smoke
def test_a_tiny_run_on_the_reference_writes_its_report(tmp_path):
    numbers = natural_text.run("solutions", quick=True, out_dir=tmp_path)
    assert all(math.isfinite(v) for k, v in numbers.items() if "half-way" not in k)
    low, high = natural_text.QUICK_EXPECTATIONS["final held-out loss"]
    assert low <= numbers["final held-out loss"] <= high
    assert numbers["training tokens"] == natural_text.QUICK["steps"] * natural_text.QUICK["batch"] * natural_text.QUICK["n_ctx"]
    page = (tmp_path / "part3_natural_report.html").read_text()
    assert f"On Python source: {natural_text.outcome(numbers, natural_text.QUICK['steps'])}" in page


def _history(icl: list[float]) -> dict:
    steps = len(icl)
    scores = torch.linspace(0, 1, steps)[:, None, None].expand(steps, 2, 2)
    return {"step": [100 * i for i in range(steps)], "icl": icl, "loss by position": torch.arange(120.0).repeat(steps, 1),
            "previous": scores, "induction (text)": scores, "induction (random)": scores}


@pytest.mark.parametrize("icl, title, lines", [
    ([0.0] * 6 + [-0.3, -0.4], "On Python source: the ICL score falls as the induction heads form", 1),
    ([0.0, 0.02, 0.01, 0.03, 0.0, 0.02, 0.01, 0.03], "On Python source: no phase change in 700 steps", 0),
])
def test_the_figures_mark_a_phase_change_only_where_there_is_one(icl, title, lines):
    history = _history(icl)
    numbers = {"phase change step (ICL score half-way)": natural_text.crossing_step(history["step"], icl, rising=False,
                                                                                    least=natural_text.CHANGE),
               "layer-1 induction score half-way (repeated text)": 400.0}
    curves, loss, by_position, _ = natural_text.figures(history, [1.0] * 300, numbers, 10, 102, "On Python source")
    assert curves.layout.title.text == title
    assert len(curves.layout.shapes) == len(loss.layout.shapes) == lines
    assert len(by_position.data) == 3 + lines
    early, late = loss.data[1:]  # the held-out loss at both ends of the ICL score, at every checkpoint
    assert (early.name, late.name) == ("held-out loss at tokens 5-15", "held-out loss at tokens 97-107")
    assert list(early.y) == [10.0] * len(icl) and list(late.y) == [102.0] * len(icl)


def test_a_fall_of_the_icl_score_is_the_phase_change_only_with_an_induction_head():
    def numbers(phase, induction):
        return {"phase change step (ICL score half-way)": phase, "layer-1 induction score half-way (repeated text)": induction}
    assert natural_text.outcome(numbers(13000.0, 13000.0), 20000) == "the ICL score falls as the induction heads form"
    assert natural_text.outcome(numbers(10.0, math.nan), 20) == "the ICL score falls, but no induction head forms"
    assert natural_text.outcome(numbers(math.nan, 13000.0), 20000) == "no phase change in 20000 steps"


def test_unfinished_exercises_get_a_message_not_a_traceback(monkeypatch):
    def unfinished(*args):
        raise NotImplementedError
    monkeypatch.setattr(natural_text, "run", unfinished)
    with pytest.raises(SystemExit, match="finish them first"):
        natural_text.main([])


def test_a_step_count_below_one_is_refused(capsys):
    with pytest.raises(SystemExit):
        natural_text.main(["--steps", "0"])
    assert "--steps must be at least 1, got 0" in capsys.readouterr().err


def test_the_twin_benchmark_prints_both_times(capsys):
    fast_attn_only.main(["--target", "solutions", "--repeats", "1", "--steps", "2"])
    assert re.fullmatch(r"2 x 256 tokens, 512 pieces, d_model 128, 1 thread\(s\): bridge [\d.]+ ms, twin [\d.]+ ms a step "
                        r"\(medians of 1\); the twin is [\d.]+ times faster\n", capsys.readouterr().out)


def test_copy_statistics_count_repeats_and_what_copying_saves():
    uniform = torch.full((4, 4), 0.25)
    cycle = copy_statistics.copy_statistics(copy_statistics.copy_terms(torch.tensor([[1, 2, 3, 1, 2, 3, 1, 2]]), uniform))
    assert cycle["frequency"] == pytest.approx(4 / 7) and cycle["reliability"] == 1.0  # positions 3-6 repeat, and copy right
    assert cycle["bigram loss"] == pytest.approx(math.log(4))
    assert cycle["copying mixture loss"] == pytest.approx((3 * math.log(4) - 4 * math.log(0.1 * 0.25 + 0.9)) / 7)
    broken = copy_statistics.copy_statistics(copy_statistics.copy_terms(torch.tensor([[1, 2, 1, 3]]), uniform))
    assert (broken["frequency"], broken["reliability"], broken["gain"]) == (pytest.approx(1 / 3), 0.0, 0.0)  # 1 2 1 -> not 2


def test_bigram_probabilities_are_the_pair_counts_normalised():
    p = copy_statistics.bigram_probabilities(torch.tensor([0, 1, 0, 1, 0, 2]), 3)
    assert p.sum(-1).allclose(torch.ones(3, dtype=torch.float64))
    assert p[0, 1] / p[0, 2] == pytest.approx((2 + copy_statistics.SMOOTHING) / (1 + copy_statistics.SMOOTHING))


def test_copy_statistics_measure_a_corpus_and_refuse_no_windows(capsys):
    numbers = copy_statistics.measure("python", 3, d_vocab=300, n_ctx=32, characters=30_000)
    assert 0 < numbers["frequency"] < 1 and 0 <= numbers["reliability"] <= 1
    assert numbers["gain"] == pytest.approx(numbers["bigram loss"] - numbers["copying mixture loss"]) and numbers["gain"] >= 0
    with pytest.raises(SystemExit):
        copy_statistics.main(["--windows", "0"])
    assert "--windows must be at least 1, got 0" in capsys.readouterr().err
