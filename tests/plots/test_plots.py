"""Plots return HoloViews objects whose data is the library's numbers, and render with bokeh."""

import subprocess
import sys
from dataclasses import replace

import holoviews as hv
import numpy as np
import pytest
from bokeh.models import LogScale

from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.plots import (
    plot_comparison,
    plot_compute_optimal,
    plot_extrapolation,
    plot_loo_pit,
    plot_pair,
    plot_posteriors,
    plot_ppc,
    plot_residuals,
    plot_runs,
)
from workbench.plots.style import ROW_WIDTH
from workbench.predict import (
    curve,
    extrapolation_path,
    loo_pit,
    residuals,
)
from workbench.runs import demo

hv.extension("bokeh")


@pytest.fixture(scope="module")
def runs():
    return demo().final_checkpoints()


@pytest.fixture(scope="module")
def chinchilla_fit(runs):
    return ScalingLawFit("chinchilla").fit(runs, random_seed=0)


@pytest.fixture(scope="module")
def power_fit(runs):
    return ScalingLawFit(get_law("power_law", covariate="C")).fit(runs, random_seed=0)


def elements(overlay, kind, label=None):
    """Elements of exactly one type (Area subclasses Curve) and label, in drawing order."""
    return [
        element
        for element in overlay
        if type(element) is kind and (label is None or element.label == label)
    ]


def log_axes(obj) -> list[tuple[bool, bool]]:
    """(log x, log y) of every figure bokeh draws for ``obj``."""
    root = hv.render(obj, backend="bokeh")
    figures = [child[0] for child in root.children] if hasattr(root, "children") else [root]
    return [
        (isinstance(figure.x_scale, LogScale), isinstance(figure.y_scale, LogScale))
        for figure in figures
    ]


def test_the_library_neither_imports_panel_nor_loads_a_backend():
    code = (
        "import sys, workbench.plots, holoviews as hv; "
        "assert 'panel' not in sys.modules; assert not hv.Store.renderers"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plot_runs_has_one_log_log_panel_per_covariate(runs):
    layout = plot_runs(runs)
    assert len(layout) == 3
    for panel, name in zip(layout, ("N", "D", "C"), strict=True):
        (scatter,) = elements(panel, hv.Scatter)
        np.testing.assert_array_equal(scatter.dimension_values(name), runs.column(name))
        np.testing.assert_array_equal(scatter.dimension_values("loss"), runs.y)
        np.testing.assert_array_equal(scatter.dimension_values("run"), runs.data["run"])
        assert scatter.label == "demo"
        assert "hover" in scatter.opts.get().kwargs["tools"]
    assert layout[0].get_dimension("loss").pprint_label == "loss (nats/token)"
    assert layout[2].get_dimension("C").pprint_label == "C (FLOPs)"
    assert log_axes(layout) == [(True, True)] * 3


def test_plot_runs_leaves_out_a_covariate_every_run_shares(runs):
    same_tokens = replace(runs, data=runs.data.assign(D=3e11, C=6 * runs.data["N"] * 3e11))
    layout = plot_runs(same_tokens)
    assert [panel.get_dimension(0).name for panel in layout] == ["N", "C"]


def test_plot_runs_colours_each_group_and_takes_chosen_covariates(runs):
    grouped = replace(runs, data=runs.data.assign(group=np.where(runs.y > 3, "small", "large")))
    (panel,) = plot_runs(grouped, covariates=["D"])
    scatters = elements(panel, hv.Scatter)
    assert [scatter.label for scatter in scatters] == ["small", "large"]
    assert sum(len(scatter) for scatter in scatters) == len(runs)
    colours = {scatter.opts.get().kwargs["color"] for scatter in scatters}
    assert len(colours) == 2


def test_plot_ppc_shows_predictive_medians_and_intervals(chinchilla_fit):
    overlay = plot_ppc(chinchilla_fit, ci_prob=0.9)
    predictive = chinchilla_fit.idata["posterior_predictive"]["loss"].values.reshape(-1, 40)
    observed = chinchilla_fit.idata["observed_data"]["loss"].values
    (bars,) = elements(overlay, hv.ErrorBars)
    assert len(bars) == 40
    np.testing.assert_allclose(bars.dimension_values(0), observed)
    np.testing.assert_allclose(bars.dimension_values(1), np.median(predictive, axis=0))
    np.testing.assert_allclose(
        bars.dimension_values(1) + bars.dimension_values(3), np.quantile(predictive, 0.95, axis=0)
    )
    (line,) = elements(overlay, hv.Curve, "y = x")
    np.testing.assert_array_equal(line.dimension_values(0), line.dimension_values(1))
    assert overlay.opts.get().kwargs["title"] == "Posterior predictive check"
    assert log_axes(overlay) == [(True, True)]


def test_plot_loo_pit_ecdf_and_band(chinchilla_fit):
    overlay = plot_loo_pit(chinchilla_fit)
    (ecdf,) = elements(overlay, hv.Curve, "LOO-PIT ECDF")
    assert len(ecdf) == 40
    np.testing.assert_allclose(ecdf.dimension_values(0), np.sort(loo_pit(chinchilla_fit)))
    assert ecdf.dimension_values(1)[-1] == 1
    assert np.all(np.diff(ecdf.dimension_values(1)) > 0)
    (band,) = elements(overlay, hv.Area)
    low, high = band.dimension_values(1), band.dimension_values(2)
    assert np.all(low <= high)
    # At u = 0.5 the band of 40 uniforms is roughly 0.5 ± 2·sqrt(0.25/40).
    middle = len(band) // 2
    assert low[middle] == pytest.approx(0.35, abs=0.03)
    assert high[middle] == pytest.approx(0.65, abs=0.03)
    assert overlay.opts.get().kwargs["title"] == "LOO-PIT calibration"
    assert log_axes(overlay) == [(False, False)]


def test_plot_residuals_one_log_x_panel_per_covariate(chinchilla_fit, power_fit):
    layout = plot_residuals(chinchilla_fit)
    expected = residuals(chinchilla_fit)
    assert len(layout) == 2
    for panel, name in zip(layout, ("N", "D"), strict=True):
        (scatter,) = elements(panel, hv.Scatter)
        np.testing.assert_allclose(scatter.dimension_values(name), expected[name])
        np.testing.assert_allclose(scatter.dimension_values(1), expected["log_residual"])
        (zero,) = elements(panel, hv.HLine)
        assert zero.data == 0
    assert log_axes(layout) == [(True, False)] * 2
    assert len(plot_residuals(power_fit)) == 1


def test_plot_posteriors_marks_each_median(chinchilla_fit):
    layout = plot_posteriors(chinchilla_fit)
    draws = chinchilla_fit.draws(chinchilla_fit.law.parameters)
    assert len(layout) == len(draws)
    for panel, (name, values) in zip(layout, draws.items(), strict=True):
        (histogram,) = elements(panel, hv.Histogram)
        assert histogram.kdims[0].name == name
        assert histogram.dimension_values(1).sum() == values.size
        (median,) = elements(panel, hv.VLine)
        assert median.data == pytest.approx(np.median(values))
    assert len(plot_posteriors(chinchilla_fit, var_names=["alpha"])) == 1
    log_axes(layout)


class Draws:
    """A fit as plot_posteriors reads it: draws by name."""

    def __init__(self, draws):
        self.values = draws

    def draws(self, names):
        return {name: self.values[name] for name in names}


def test_plot_posteriors_puts_scale_parameters_on_a_log_axis():
    rng = np.random.default_rng(0)
    # Kaplan's N_c is identified only in its order of magnitude; alpha is not a scale.
    fit = Draws({"N_c": 10 ** rng.uniform(12, 81, 2000), "alpha": rng.normal(0.3, 0.02, 2000)})
    layout = plot_posteriors(fit, var_names=["N_c", "alpha"])
    assert log_axes(layout) == [(True, False), (False, False)]
    (scale,) = elements(layout[0], hv.Histogram)
    edges = scale.interface.coords(scale, "N_c", edges=True)
    np.testing.assert_allclose(np.diff(np.log(edges)), np.log(edges[1] / edges[0]))
    # Log-spaced bins spread the draws: no bar holds most of them, as one linear bin would.
    assert scale.dimension_values(1).max() < 0.1 * 2000


def test_plot_pair_thins_draws_deterministically(chinchilla_fit):
    names = ["E", "alpha", "beta"]
    layout = plot_pair(chinchilla_fit, names, max_points=200)
    panels = list(layout)
    assert len(panels) == 9
    assert sum(isinstance(panel, hv.Empty) for panel in panels) == 3
    scatters = [panel for panel in panels if isinstance(panel, hv.Scatter)]
    assert [(s.kdims[0].name, s.vdims[0].name) for s in scatters] == [
        ("E", "alpha"),
        ("E", "beta"),
        ("alpha", "beta"),
    ]
    assert all(len(scatter) == 200 for scatter in scatters)
    draws = chinchilla_fit.draws(["E"])["E"]
    assert set(scatters[0].dimension_values("E")) <= set(draws)
    again = plot_pair(chinchilla_fit, names, max_points=200)
    np.testing.assert_array_equal(scatters[0].dimension_values(0), again[3].dimension_values(0))
    log_axes(layout)


def test_plot_extrapolation_follows_the_library_curve(chinchilla_fit):
    targets = {"N": [7e10], "D": [1.4e12]}
    overlay = plot_extrapolation(chinchilla_fit, targets)
    expected = curve(chinchilla_fit, extrapolation_path(chinchilla_fit, targets))
    (median,) = elements(overlay, hv.Curve)
    np.testing.assert_allclose(median.dimension_values("C"), expected["C"])
    np.testing.assert_allclose(median.dimension_values("loss"), expected["median"])
    bands = elements(overlay, hv.Area)
    assert [band.label for band in bands] == ["90 %", "50 %"] and median.label == "median"
    # The 90 % band is drawn first and lighter, so the 50 % band sits on top of it.
    np.testing.assert_allclose(bands[0].dimension_values(1), expected["ci_low_90"])
    np.testing.assert_allclose(bands[1].dimension_values(2), expected["ci_high_50"])
    alphas = [band.opts.get().kwargs["alpha"] for band in bands]
    assert alphas[0] < alphas[1]
    prediction = chinchilla_fit.predict(targets).query("kind == 'observation'")
    (marker,) = elements(overlay, hv.Scatter, "targets")
    assert marker.dimension_values("C")[0] == pytest.approx(6 * 7e10 * 1.4e12)
    assert marker.dimension_values("loss")[0] == pytest.approx(prediction["median"].iloc[0])
    (bars,) = elements(overlay, hv.ErrorBars)
    assert bars.dimension_values(3)[0] == pytest.approx(
        prediction["ci_high_90"].iloc[0] - prediction["median"].iloc[0]
    )
    (data,) = elements(overlay, hv.Scatter, "runs")
    constant = chinchilla_fit.idata["constant_data"]
    np.testing.assert_allclose(
        data.dimension_values("C"), 6 * constant["N"].values * constant["D"].values
    )
    assert log_axes(overlay) == [(True, True)]


def test_plot_extrapolation_defaults_to_ten_times_the_largest_run(chinchilla_fit, power_fit):
    # The default path runs to a 70B model on 1.4T tokens, past the calibration's evidence: the
    # plot draws it without a warning (warnings are errors here); fit.predict is what warns.
    (marker,) = elements(plot_extrapolation(chinchilla_fit), hv.Scatter, "targets")
    assert chinchilla_fit.predict(N=[1e11], D=[8e12], warn=False)["beyond_evidence"].all()
    assert marker.dimension_values("C")[0] == pytest.approx(6 * 1e11 * 8e12, rel=1e-3)
    overlay = plot_extrapolation(power_fit)
    (marker,) = elements(overlay, hv.Scatter, "targets")
    largest = power_fit.idata["constant_data"]["C"].values.max()
    assert marker.dimension_values("C")[0] == pytest.approx(10 * largest)
    assert log_axes(overlay) == [(True, True)]


def test_plot_compute_optimal_panels_and_default_range(chinchilla_fit):
    layout = plot_compute_optimal(chinchilla_fit)
    assert len(layout) == 3
    (n_opt,) = elements(layout[0], hv.Curve)
    compute = n_opt.dimension_values("C")
    constant = chinchilla_fit.idata["constant_data"]
    observed_compute = 6 * constant["N"].values * constant["D"].values
    assert compute[0] == pytest.approx(observed_compute.min())
    assert compute[-1] == pytest.approx(1000 * observed_compute.max())
    table = chinchilla_fit.compute_optimal(compute)
    for panel, quantity in zip(layout, ("N_opt", "D_opt", "tokens_per_parameter"), strict=True):
        (median,) = elements(panel, hv.Curve)
        expected = table[table["quantity"] == quantity]
        np.testing.assert_allclose(median.dimension_values(1), expected["median"])
        assert len(elements(panel, hv.Area)) == 2
    assert log_axes(layout) == [(True, True)] * 3


def test_plot_compute_optimal_refuses_one_covariate_laws(power_fit):
    with pytest.raises(ValueError, match="no compute-optimal allocation"):
        plot_compute_optimal(power_fit)


def test_plot_comparison_one_curve_per_law(chinchilla_fit, power_fit):
    fits = {"chinchilla": chinchilla_fit, "power law": power_fit}
    targets = {"N": [1e11], "D": [2e12]}
    overlay = plot_comparison(fits, targets)
    curves = elements(overlay, hv.Curve)
    assert [line.label for line in curves] == list(fits)
    assert len(elements(overlay, hv.Area)) == 2
    assert len({line.opts.get().kwargs["color"] for line in curves}) == 2
    path = extrapolation_path(chinchilla_fit, targets)
    for line, fit in zip(curves, fits.values(), strict=True):
        expected = curve(fit, path, ci_prob=0.9)
        np.testing.assert_allclose(line.dimension_values("C"), path["C"])
        np.testing.assert_allclose(line.dimension_values(1), expected["median"])
    (data,) = elements(overlay, hv.Scatter, "runs")
    assert len(data) == 40
    assert log_axes(overlay) == [(True, True)]


def test_rows_of_three_panels_fit_a_notebook(runs, chinchilla_fit):
    # Three 480 px panels would make 1440 px rows, cut off in JupyterLab and in a 1400 px window.
    for layout in (plot_runs(runs), plot_compute_optimal(chinchilla_fit)):
        widths = [panel.opts.get().kwargs["width"] for panel in layout]
        assert len(widths) == 3 and sum(widths) <= ROW_WIDTH <= 1100
