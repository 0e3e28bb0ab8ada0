"""One credible level: the project's ``CI_PROB``, set in one place, reaches every table, plot,
JSON report and dashboard view; the dashboard's control then moves every view at once."""

import json

import holoviews as hv
import numpy as np
import pytest

import workbench.intervals
from workbench.app import (
    ChecksView,
    ExtrapolateView,
    FitView,
    Workbench,
    WorkbenchState,
)
from workbench.cli import main
from workbench.emergence import InstanceLaw, instance_posteriors, simulate_passuntil
from workbench.plots import plot_calibration, plot_compute_optimal, plot_extrapolation, plot_ppc
from workbench.predict import calibration_of

TARGET = {"N": [7e10], "D": [1.4e12]}


@pytest.fixture
def level_80(monkeypatch):
    monkeypatch.setattr(workbench.intervals, "CI_PROB", 0.8)


def labels(element, kind) -> list[str]:
    return [item.label for item in element.traverse(lambda item: item, [kind])]


def test_without_a_project_level_arviz_sets_it(monkeypatch):
    monkeypatch.setattr(workbench.intervals, "CI_PROB", None)
    monkeypatch.setitem(workbench.intervals.arviz_base.rcParams, "stats.ci_prob", 0.83)
    assert workbench.intervals.resolve_ci_prob() == 0.83
    assert workbench.intervals.interval_names() == ("ci_low_83", "ci_high_83")


def test_a_pair_of_levels_is_refused_with_the_name_of_the_inner_band():
    with pytest.raises(TypeError, match="inner_prob"):
        workbench.intervals.resolve_ci_prob((0.5, 0.9))
    with pytest.raises(ValueError, match="below ci_prob"):
        workbench.intervals.interval_levels(0.5, inner_prob=0.9)


def test_tables_follow_the_project_level(level_80, fitted_state):
    fit = fitted_state.fit
    assert {"ci_low_80", "ci_high_80"} <= set(fit.summary().columns)
    predicted = fit.predict(TARGET)
    intervals = [column for column in predicted.columns if column.startswith("ci_")]
    assert intervals == ["ci_low_80", "ci_high_80"]
    draws = np.quantile(fit.draws(["E"])["E"], [0.1, 0.9])
    np.testing.assert_allclose(fit.summary().loc["E", ["ci_low_80", "ci_high_80"]], draws)
    optimal = fit.compute_optimal([1e22])
    assert [c for c in optimal.columns if c.startswith("ci_")] == ["ci_low_80", "ci_high_80"]
    assert "coverage_80" in calibration_of(fit).scores()
    logs = simulate_passuntil(InstanceLaw(1.0, 0.8, 0.4, 0.05, reference_N=1e8), [1e8], 5, 50, 0)
    assert "ci_high_80" in instance_posteriors(logs).columns


def test_plots_follow_the_project_level(level_80, fitted_state):
    fit = fitted_state.fit
    assert labels(plot_extrapolation(fit, TARGET), hv.Area) == ["80 %", "50 %"]
    assert labels(plot_compute_optimal(fit), hv.Area)[:2] == ["80 %", "50 %"]
    assert "calibrated, 80 %" in labels(plot_calibration(fit), hv.Curve)
    bars = next(iter(plot_ppc(fit).traverse(lambda item: item, [hv.ErrorBars])))
    predictive = fit.idata["posterior_predictive"][fit.target_].values
    low = np.quantile(predictive.reshape(-1, predictive.shape[-1]), 0.1, axis=0)
    np.testing.assert_allclose(
        bars.dimension_values(1) - bars.dimension_values("below"), low, rtol=1e-12
    )


def test_json_reports_follow_the_project_level(level_80, fitted_state, tmp_path, capsys):
    fit = fitted_state.fit
    assert fit.report()["ci_prob"] == 0.8
    assert set(fit.report()["params"]["E"]) == {"median", "ci_low_80", "ci_high_80"}
    path = fit.save(tmp_path / "fit.nc")
    assert main(["predict", str(path), "--N", "70B", "--D", "1.4T", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ci_prob"] == 0.8
    (row,) = report["predictions"]
    assert {"ci_low_80", "ci_high_80", "ci_low_50", "ci_high_50"} <= set(row)
    assert (row["ci_low"], row["ci_high"]) == (row["ci_low_80"], row["ci_high_80"])


def test_dashboard_views_follow_the_project_level_and_its_control(level_80, fitted_state):
    dashboard = Workbench()
    assert dashboard.state.ci_prob == 0.8 and dashboard._ci_prob.value == 0.8
    state = WorkbenchState(runs=fitted_state.runs)
    fit_view, extrapolate = FitView(state=state), ExtrapolateView(state=state)
    checks = ChecksView(state=state)
    state.fit = fitted_state.fit
    extrapolate.predict()
    assert {"ci_low_80", "ci_high_80"} <= set(fit_view._summary.value.columns)
    assert {"ci_low_80", "ci_high_80"} <= set(extrapolate._table.value.columns)
    assert "tokens_per_parameter_ci_low_80" in extrapolate._optimal_table.value.columns
    # The session's control moves every view together.
    state.ci_prob = 0.95
    assert {"ci_low_95", "ci_high_95"} <= set(fit_view._summary.value.columns)
    assert {"ci_low_95", "ci_high_95"} <= set(extrapolate._table.value.columns)
    assert "tokens_per_parameter_ci_high_95" in extrapolate._optimal_table.value.columns
    assert labels(extrapolate._plot[0].object, hv.Area) == ["95 %", "50 %"]
    bars = next(iter(checks._tabs[0].object.traverse(lambda item: item, [hv.ErrorBars])))
    predictive = state.fit.idata["posterior_predictive"][state.fit.target_].values
    high = np.quantile(predictive.reshape(-1, predictive.shape[-1]), 0.975, axis=0)
    np.testing.assert_allclose(bars.dimension_values(1) + bars.dimension_values("above"), high)
