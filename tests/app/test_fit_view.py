"""FitView: a real NUTS fit through the view, priors editing, errors and cancellation."""

import asyncio

import pandas as pd
import pytest

from workbench.app import FitView, WorkbenchState
from workbench.fitting import ScalingLawFit


def test_fit_shows_parameters_badges_and_status(fitted_state):
    view = FitView(state=fitted_state)
    table = view._summary.value
    assert {"E", "A", "B", "alpha", "beta"} <= set(table.index)
    assert 0.3 < table.loc["alpha", "median"] < 0.45  # demo truth 0.35
    assert list(table.columns) == ["median", "ci_low", "ci_high", "ess_bulk", "ess_tail", "r_hat"]
    for label in ("R-hat", "ESS", "Divergences"):
        assert label in view._badges.object


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")
def test_fit_button_path_reports_finished(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=200, tune=200)
    asyncio.run(view.start_fit())
    assert view.status.startswith("Fit finished")
    assert view._status.object.startswith("Fit finished")
    assert isinstance(state.fit, ScalingLawFit)
    assert not view.running and view._cancel_button.disabled and not view._fit_button.disabled
    # 200 draws give a small ESS: the view says so in plain language.
    assert view._problems.visible == bool(state.fit.diagnostics().problems())


def test_cancel_stops_a_long_fit_and_keeps_no_fit(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=200_000, tune=200)

    async def fit_then_cancel():
        task = asyncio.ensure_future(view.start_fit())
        while view._job is None or view._job.fraction == 0:
            await asyncio.sleep(0.1)
        view.cancel()
        await asyncio.wait_for(task, timeout=60)

    asyncio.run(fit_then_cancel())
    assert "cancelled" in view.status
    assert state.fit is None
    assert not view.running


def test_progress_bar_moves_during_a_fit(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=30_000, tune=300)
    seen = []

    async def watch():
        task = asyncio.ensure_future(view.start_fit())
        while not task.done():
            seen.append(view._progress.value)
            await asyncio.sleep(0.1)

    asyncio.run(watch())
    assert any(0 < value < 100 for value in seen)
    assert state.fit is not None


def test_invalid_prior_is_shown_and_blocks_the_fit(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state)
    priors = view._priors.value.copy()
    priors.loc[priors["parameter"] == "alpha", "parameters"] = "mu=abc"
    view._priors.value = priors
    assert view._priors_alert.visible
    assert "Invalid prior" in view._priors_alert.object and "'alpha'" in view._priors_alert.object
    asyncio.run(view.start_fit())
    assert view._alert.object.startswith("Could not fit")
    assert state.fit is None


def test_unknown_distribution_is_rejected(demo_runs):
    view = FitView(state=WorkbenchState(runs=demo_runs))
    priors = view._priors.value.copy()
    priors.loc[0, "distribution"] = "Banana"
    view._priors.value = priors
    assert "no distribution 'Banana'" in view._priors_alert.object


def test_only_edited_priors_are_overrides(demo_runs):
    view = FitView(state=WorkbenchState(runs=demo_runs))
    assert view.prior_overrides() == {}
    priors = view._priors.value.copy()
    priors.loc[priors["parameter"] == "beta", "parameters"] = "mu=-1.2, sigma=0.5"
    view._priors.value = priors
    overrides = view.prior_overrides()
    assert list(overrides) == ["beta"]
    assert overrides["beta"].parameters == {"mu": -1.2, "sigma": 0.5}


def test_one_covariate_law_shows_the_covariate_select():
    view = FitView()
    assert not view._covariate_select.visible
    view.law = "power_law"
    assert view._covariate_select.visible
    view.covariate = "N"
    assert view.configured_law().covariates == ("N",)
    assert "alpha" in set(view._priors.value["parameter"])
    assert "X" in view._formula.object


def test_fit_error_is_shown_inline(demo_runs):
    runs_without_d = demo_runs.data[["run", "N", "loss"]]
    from workbench.runs import from_frame

    state = WorkbenchState(runs=from_frame(runs_without_d))
    view = FitView(state=state)
    asyncio.run(view.start_fit())
    assert view._alert.object.startswith("Could not fit chinchilla")
    assert "'D'" in view._alert.object
    assert state.fit is None


def test_no_runs_means_no_fit():
    state = WorkbenchState()
    view = FitView(state=state)
    asyncio.run(view.start_fit())
    assert "load runs" in view._alert.object


def test_summary_table_index_is_parameter_names(fitted_state):
    table = FitView(state=fitted_state)._summary.value
    assert isinstance(table, pd.DataFrame) and table.index.name == "parameter"
