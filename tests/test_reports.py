"""Every report's figures carry data: save_report refuses a figure with an empty or all-NaN
trace, so each replication's smoke run (tests/test_notebooks.py: every solutions notebook's replication cell)
checks its whole report."""

import numpy as np
import plotly.graph_objects as go
import pytest

from exercises.plotting import PAGE_WIDTH, fit_to_page, image_grid, missing_data, save_report


def test_a_figure_with_data_passes():
    assert missing_data(go.Figure(go.Scatter(y=[1.0, 2.0]))) == []
    assert missing_data(go.Figure(go.Heatmap(z=[[1.0, np.nan]]))) == []
    assert missing_data(image_grid(np.ones((3, 4, 4)), ["a", "b", "c"], cols=3)) == []


@pytest.mark.parametrize("figure, why", [
    (go.Figure(), "no traces"),
    (go.Figure(go.Scatter(y=[])), "trace 0 (scatter) has no data"),
    (go.Figure([go.Scatter(y=[1.0]), go.Heatmap(z=[[np.nan, np.nan]])]), "trace 1 (heatmap) has no data"),
])
def test_an_empty_figure_is_named(figure, why, tmp_path):
    assert missing_data(figure) == [why]
    figure.update_layout(title="the broken one")
    with pytest.raises(ValueError, match=rf"figure 0 \(the broken one\): {why.replace('(', '.').replace(')', '.')}"):
        save_report(tmp_path / "report.html", "Part X", [figure], {})
    assert not (tmp_path / "report.html").exists()


def test_figures_fit_a_1400px_window():
    wide = go.Figure(go.Scatter(y=[1]), layout=dict(width=2000, title="short"))
    assert fit_to_page(wide).layout.width == PAGE_WIDTH
    long_title = "a title that is much longer than the figure it sits on " * 3
    narrow = fit_to_page(go.Figure(go.Scatter(y=[1]), layout=dict(width=400, title=long_title)))
    assert narrow.layout.width == 400
    assert all(9 * len(line) + 100 <= 400 for line in narrow.layout.title.text.split("<br>"))
    grid = image_grid(np.ones((16, 28, 28)), [f"neuron {j}" for j in range(16)], cols=8)
    assert grid.layout.width <= PAGE_WIDTH
