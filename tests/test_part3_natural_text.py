"""part3_induction/natural_text.py, part 3's going-further run on Moby Dick: its pieces, its errors,
and a tiny end-to-end run on the reference (the full run takes minutes: see part 3's lesson)."""

import math

import numpy as np
import pytest
import torch

from part3_induction import natural_text


def test_the_vocabulary_round_trips_and_names_unknown_characters():
    vocabulary = natural_text.CharVocabulary.of("call me Ishmael.")
    assert vocabulary.chars == " .Iacehlms"
    tokens = vocabulary.encode("me a camel")
    assert tokens.tolist()[:2] == [8, 5]
    assert vocabulary.decode(tokens) == "me a camel"
    with pytest.raises(ValueError, match=r"outside the vocabulary: \['!', 'W'\]"):
        vocabulary.encode("Whale!")


def test_windows_are_consecutive_tokens_of_the_text():
    tokens = torch.arange(1000)
    windows = natural_text.text_windows(tokens, 8, 50, torch.Generator().manual_seed(0))
    assert windows.shape == (8, 50)
    assert (windows.diff(dim=1) == 1).all()
    with pytest.raises(ValueError, match="a text of 40 tokens has no window of 50"):
        natural_text.text_windows(tokens[:40], 1, 50, torch.Generator())


def test_the_crossing_step_is_the_first_checkpoint_half_way():
    steps = [0, 100, 200, 300, 400]
    assert natural_text.crossing_step(steps, [0.0, 0.1, 0.2, 0.8, 1.0]) == 300
    assert natural_text.crossing_step(steps, [0.0, -0.1, -0.3, -0.35, -0.4], rising=False) == 200
    assert math.isnan(natural_text.crossing_step(steps, [0.0, 0.02, 0.01, 0.03, 0.05], least=natural_text.CHANGE))  # no change to time


def test_the_running_mean_starts_short():
    assert np.allclose(natural_text.smoothed([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0])


@pytest.mark.smoke
def test_a_tiny_run_on_the_reference_writes_its_report(tmp_path):
    numbers = natural_text.run("solutions", quick=True, out_dir=tmp_path)
    assert all(math.isfinite(v) for k, v in numbers.items() if "half-way" not in k)
    low, high = natural_text.QUICK_EXPECTATIONS["final held-out loss"]
    assert low <= numbers["final held-out loss"] <= high
    assert numbers["training characters"] == natural_text.QUICK["steps"] * natural_text.QUICK["batch"] * natural_text.QUICK["n_ctx"]
    page = (tmp_path / "part3_natural_report.html").read_text()
    fell = not math.isnan(numbers["phase change step (ICL score half-way)"])
    outcome = "the ICL score falls as the induction heads form" if fell else f"no phase change in {natural_text.QUICK['steps']} steps"
    assert f"On Moby Dick: {outcome}" in page


def _history(icl: list[float]) -> dict:
    steps = len(icl)
    scores = torch.linspace(0, 1, steps)[:, None, None].expand(steps, 2, 2)
    return {"step": [100 * i for i in range(steps)], "icl": icl, "loss by position": torch.ones(steps, 9),
            "previous": scores, "induction (text)": scores, "induction (random)": scores}


@pytest.mark.parametrize("icl, title, lines", [
    ([0.0] * 6 + [-0.3, -0.4], "On Moby Dick: the ICL score falls as the induction heads form", 1),
    ([0.0, 0.02, 0.01, 0.03, 0.0, 0.02, 0.01, 0.03], "On Moby Dick: no phase change in 700 steps", 0),
])
def test_the_figures_mark_a_phase_change_only_where_there_is_one(icl, title, lines):
    history = _history(icl)
    numbers = {"phase change step (ICL score half-way)": natural_text.crossing_step(history["step"], icl, rising=False,
                                                                                    least=natural_text.CHANGE)}
    curves, loss, by_position, _ = natural_text.figures(history, [1.0] * 300, numbers, 10, 102)
    assert curves.layout.title.text == title
    assert len(curves.layout.shapes) == len(loss.layout.shapes) == lines
    assert len(by_position.data) == 3 + lines


def test_unfinished_exercises_get_a_message_not_a_traceback(monkeypatch):
    def unfinished(*args):
        raise NotImplementedError
    monkeypatch.setattr(natural_text, "run", unfinished)
    with pytest.raises(SystemExit, match="finish them first"):
        natural_text.main([])
