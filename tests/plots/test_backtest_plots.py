"""plot_backtest draws the backtest's own numbers: predicted vs true per law, and coverage bars."""

import dataclasses

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
from bokeh.models import LogScale

from workbench.backtesting import Backtest, Holdout
from workbench.plots import plot_backtest

hv.extension("bokeh")

LAWS = ("chinchilla", "power_law")


@pytest.fixture
def result() -> Backtest:
    rng = np.random.default_rng(0)
    truth = np.array([2.2, 2.1, 2.05])
    frames = []
    for shift, law in zip((0.0, 0.05), LAWS, strict=True):
        median = truth + shift + rng.normal(0, 0.01, truth.size)
        frames.append(
            pd.DataFrame(
                {
                    "law": law,
                    "run": ["a", "b", "c"],
                    "C": [1e21, 2e21, 4e21],
                    "observed": truth,
                    "median": median,
                    "ci_low_50": median - 0.02,
                    "ci_high_50": median + 0.02,
                    "ci_low_90": median - 0.06,
                    "ci_high_90": median + 0.06,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    table = pd.DataFrame(
        {"coverage_50": [2 / 3, 0.0], "coverage_90": [1.0, 1 / 3]},
        index=pd.Index(LAWS, name="law"),
    )
    holdout = Holdout(by="C", cut=1e21, runs=("a", "b", "c"), n_runs=10)
    return Backtest(table, frame, {}, holdout, None, 0.9, 0.5, "loss")


def test_predicted_against_true_has_one_series_per_law(result):
    layout = plot_backtest(result)
    assert isinstance(layout, hv.Layout) and len(layout) == 2
    scatter = [element for element in layout[0] if type(element) is hv.Scatter]
    assert [element.label for element in scatter] == list(LAWS)
    bars = [element for element in layout[0] if type(element) is hv.ErrorBars]
    for points, errors, law in zip(scatter, bars, LAWS, strict=True):
        rows = result.frame[result.frame["law"] == law]
        np.testing.assert_allclose(points.dimension_values(0), rows["observed"])
        np.testing.assert_allclose(points.dimension_values(1), rows["median"])
        np.testing.assert_allclose(errors.dimension_values("above"), 0.06)
    colors = {element.opts.get().kwargs["color"] for element in scatter}
    assert len(colors) == 2
    assert "true loss" in layout[0].get_dimension(0).pprint_label


def test_error_bars_are_the_backtests_credible_level(result):
    narrower = dataclasses.replace(
        result,
        frame=result.frame.rename(columns={"ci_low_50": "ci_low_80", "ci_high_50": "ci_high_80"}),
        table=result.table.rename(columns={"coverage_50": "coverage_80"}),
        ci_prob=0.8,
        inner_prob=None,
    )
    overlay = plot_backtest(narrower)[0]
    errors = next(element for element in overlay if type(element) is hv.ErrorBars)
    np.testing.assert_allclose(errors.dimension_values("below"), 0.02)
    assert "80 % intervals" in overlay.opts.get().kwargs["title"]


def test_coverage_bars_show_the_table(result):
    bars = next(element for element in plot_backtest(result)[1] if type(element) is hv.Bars)
    shown = {
        (law, interval): coverage
        for law, interval, coverage in zip(
            *(bars.dimension_values(i) for i in range(3)), strict=True
        )
    }
    assert shown[("chinchilla", "50 %")] == pytest.approx(2 / 3)
    assert shown[("power_law", "90 %")] == pytest.approx(1 / 3)
    assert len(shown) == 4
    lines = [element for element in plot_backtest(result)[1] if type(element) is hv.HLine]
    assert sorted(line.data for line in lines) == [0.5, 0.9]


def test_renders_with_log_axes_for_the_predictions(result):
    root = hv.render(plot_backtest(result), backend="bokeh")
    figures = [child[0] for child in root.children]
    assert isinstance(figures[0].x_scale, LogScale) and isinstance(figures[0].y_scale, LogScale)
    assert not isinstance(figures[1].y_scale, LogScale)


def test_coverage_bars_are_greys_by_interval_with_a_legend(result):
    from bokeh.models import CategoricalColorMapper, Legend

    figure = hv.render(plot_backtest(result)[1])
    (legend,) = figure.select(type=Legend)
    (item,) = legend.items
    # Bokeh makes one entry per distinct value of the bars' interval column.
    source = item.renderers[0].data_source
    assert sorted(set(source.data[item.label.field])) == ["50 %", "90 %"]
    (mapper,) = figure.select(type=CategoricalColorMapper)
    shades = dict(zip(mapper.factors, mapper.palette, strict=True))
    # Not the law colours of the predicted-vs-true panel beside it; the narrower interval darker.
    assert shades == {"50 %": "#495057", "90 %": "#adb5bd"}
