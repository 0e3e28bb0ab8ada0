"""plot_passuntil: its points are the estimator's numbers and its curve is predict_passuntil's."""

import warnings

import holoviews as hv
import numpy as np
import pytest
from bokeh.models import LogScale

from workbench.emergence import (
    InstanceLaw,
    PassUntilFit,
    passuntil_estimate,
    predict_passuntil,
    simulate_passuntil,
)
from workbench.plots import plot_passuntil

hv.extension("bokeh")

SIZES = np.geomspace(1e8, 1e10, 6)
LAW = InstanceLaw(mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9)


@pytest.fixture(scope="module")
def logs():
    return simulate_passuntil(LAW, SIZES, 50, 2000, 0)


@pytest.fixture(scope="module")
def fit(logs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short chains: the plot, not convergence, is tested
        return PassUntilFit(sampler={"draws": 300, "tune": 300}).fit(logs, random_seed=0)


def elements(overlay, kind, label=None):
    return [
        element
        for element in overlay
        if type(element) is kind and (label is None or element.label == label)
    ]


def test_points_and_brackets_are_the_estimators_numbers(logs):
    table = passuntil_estimate(logs)
    known, bracketed = table[table["censored"] == 0], table[table["censored"] > 0]
    assert len(known) >= 1 and len(bracketed) >= 1  # the small sizes are censored
    overlay = plot_passuntil(logs)
    (points,) = elements(overlay, hv.Scatter, "r/K estimate (biased up)")
    np.testing.assert_array_equal(points.dimension_values("N"), known["N"])
    np.testing.assert_array_equal(points.dimension_values("PU"), known["pu"])
    (segments,) = elements(overlay, hv.Segments)
    assert segments.label == "r/K bracket (censored)"
    np.testing.assert_array_equal(segments.dimension_values("N"), bracketed["N"])
    np.testing.assert_array_equal(segments.dimension_values("pu_low"), bracketed["pu_low"])
    np.testing.assert_array_equal(segments.dimension_values("pu_high"), bracketed["pu_high"])
    (censored,) = elements(overlay, hv.Scatter, "r/K bracket (censored)")
    np.testing.assert_array_equal(censored.dimension_values("censored"), bracketed["censored"])
    assert not elements(overlay, hv.Curve)


def test_fit_curve_and_targets_are_predict_passuntil(logs, fit):
    overlay = plot_passuntil(logs, fit, targets=["30B", 1e11])
    (median,) = elements(overlay, hv.Curve, "task law")
    grid = median.dimension_values("N")
    assert grid[0] == pytest.approx(SIZES[0]) and grid[-1] == pytest.approx(1e11)
    expected = predict_passuntil(fit, grid, ci_prob=0.9, inner_prob=0.5, k=(1,))
    expected = expected.query("quantity == 'PU'")
    np.testing.assert_allclose(median.dimension_values("PU"), expected["median"])
    bands = elements(overlay, hv.Area)
    assert [band.label for band in bands] == ["task law 90 %", "task law 50 %"]
    np.testing.assert_allclose(bands[0].dimension_values("PU"), expected["ci_low_90"])
    np.testing.assert_allclose(bands[0].dimension_values("PU_high"), expected["ci_high_90"])

    (targets,) = elements(overlay, hv.Scatter, "targets")
    at_targets = predict_passuntil(fit, [3e10, 1e11], ci_prob=0.9).query("quantity == 'PU'")
    np.testing.assert_array_equal(targets.dimension_values("N"), [3e10, 1e11])
    np.testing.assert_allclose(targets.dimension_values("PU"), at_targets["median"])
    (bars,) = elements(overlay, hv.ErrorBars)
    np.testing.assert_allclose(
        bars.dimension_values("above"), at_targets["ci_high_90"] - at_targets["median"]
    )


def test_default_target_is_ten_times_the_largest_size(logs, fit):
    (targets,) = elements(plot_passuntil(logs, fit), hv.Scatter, "targets")
    np.testing.assert_array_equal(targets.dimension_values("N"), [10 * SIZES[-1]])


def test_log_log_axes_and_labels(logs, fit):
    figure = hv.render(plot_passuntil(logs, fit), backend="bokeh")
    assert isinstance(figure.x_scale, LogScale) and isinstance(figure.y_scale, LogScale)
    assert figure.xaxis[0].axis_label == "N (parameters)"
    assert "PU" in figure.yaxis[0].axis_label


def test_a_fully_censored_size_is_drawn_from_the_axis_floor():
    logs = simulate_passuntil(LAW, [1e6, 1e9, 1e10], 20, 50, 0)
    table = passuntil_estimate(logs)
    assert table["pu_low"].iloc[0] == 0
    (segments,) = elements(plot_passuntil(logs), hv.Segments)
    low = segments.dimension_values("pu_low")
    assert 0 < low[0] < table["pu_high"].iloc[0]
    hv.render(plot_passuntil(logs), backend="bokeh")
