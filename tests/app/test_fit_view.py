"""FitView: a real NUTS fit through the view, auto (stacked laws), priors editing, errors and
cancellation."""

import asyncio
import json
import re
import time

import numpy as np
import pandas as pd
import pytest
from polling import wait_until

from workbench.app import ChecksView, ExtrapolateView, FitView, WorkbenchState
from workbench.app.fit_view import describe_ensemble, starting_status
from workbench.app.jobs import EnsembleJob, FitQueue
from workbench.backtesting import LawEnsemble
from workbench.fitting import ScalingLawFit
from workbench.predict import calibration_of
from workbench.runs import from_frame


def test_fit_shows_parameters_badges_and_status(fitted_state):
    view = FitView(state=fitted_state)
    table = view._summary.value
    assert {"E", "A", "B", "alpha", "beta"} <= set(table.index)
    assert 0.3 < table.loc["alpha", "median"] < 0.45  # demo truth 0.35
    columns = ["median", "ci_low_90", "ci_high_90", "ess_bulk", "ess_tail", "r_hat"]
    assert list(table.columns) == columns
    for label in ("R-hat", "ESS", "Divergences"):
        assert label in view._badges.object
    sentence, plot = view._theory.objects
    alpha = table.loc["alpha", "median"]
    assert f"The loss falls as N^−{alpha:.3f}" in sentence.object
    assert "variance-limited" in sentence.object and "superposition" in sentence.object
    assert "90 % intervals" in plot.object.opts.get().kwargs["title"]
    fitted_state.ci_prob = 0.8
    assert "(80 % interval)" in view._theory.objects[0].object
    fitted_state.ci_prob = 0.9


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")
def test_fit_button_path_reports_finished(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=200, tune=200)
    asyncio.run(view.start_fit())
    assert view.controls.status.startswith("Fit finished")
    assert view.controls._status.object.startswith("Fit finished")
    assert isinstance(state.fit, ScalingLawFit)
    assert (
        not view.controls.running
        and view.controls.cancel_button.disabled
        and not view.controls.run_button.disabled
    )
    # 200 draws give a small ESS: the view says so in plain language.
    assert view._problems.visible == bool(state.fit.diagnostics().problems())


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")
def test_runs_that_contradict_the_law_are_named_beside_the_diagnostics(demo_runs):
    # An accuracy uploaded as the target rises with scale: the fit still runs, but says why not
    # to trust it.
    frame = demo_runs.final_checkpoints().data.assign(loss=lambda table: 10 - table["loss"])
    state = WorkbenchState(runs=from_frame(frame))
    view = FitView(state=state, draws=200, tune=200)
    asyncio.run(view.start_fit())
    assert view.controls.status.startswith("Fit finished")
    assert view._problems.visible
    assert "**Do not trust these numbers yet.** loss rises with compute" in view._problems.object
    assert state.fit.data_problems()[0].startswith("loss rises with compute")


def test_chains_weighted_by_stacking_are_named_beside_the_diagnostics(fitted_state):
    fit = fitted_state.fit
    fit.idata_.attrs["chain_weights"] = json.dumps([0.8, 0.2])
    try:
        view = FitView(state=fitted_state)
        assert view._problems.visible
        assert "chains sampled different modes" in view._problems.object
        assert "(0.80, 0.20)" in view._problems.object
    finally:
        del fit.idata_.attrs["chain_weights"]


async def fit_then_cancel(view: FitView) -> None:
    """Start a fit, press Cancel once sampling has begun, and wait for the view to settle."""
    task = asyncio.ensure_future(view.start_fit())
    await wait_until(lambda: view.controls.job is not None and view.controls.job.fraction > 0, task)
    view.cancel()
    await asyncio.wait_for(task, timeout=60)


def test_cancel_stops_a_long_fit_and_keeps_no_fit(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=200_000, tune=200, max_draws=10**6)
    asyncio.run(fit_then_cancel(view))
    assert "cancelled" in view.controls.status
    assert state.fit is None
    assert not view.controls.running


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")
def test_finished_message_reports_the_wall_time_from_the_click(demo_runs):
    view = FitView(state=WorkbenchState(runs=demo_runs), draws=200, tune=200)
    start = time.perf_counter()
    asyncio.run(view.start_fit())
    wall = time.perf_counter() - start
    reported = float(re.search(r"in ([0-9.]+) s", view.controls.status)[1])
    # The sampling alone is about half of it: the three calibrating refits take as long again.
    # Showing the result (summary, badges) comes after the timer, a fixed few tenths of a second.
    assert 0.75 * wall - 0.2 <= reported <= wall + 0.1


def test_cancel_mid_sampling_keeps_the_previous_fit(fitted_state, demo_runs):
    state = WorkbenchState(runs=demo_runs, fit=fitted_state.fit)
    view = FitView(state=state, draws=200_000, tune=200, max_draws=10**6)
    asyncio.run(fit_then_cancel(view))
    assert view.controls._status.object == "Fit cancelled; the previous fit, if any, is kept."
    assert state.fit is fitted_state.fit
    assert not view.controls.running


def test_too_many_draws_are_refused_naming_the_option(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=30_000, chains=2)
    asyncio.run(view.start_fit())
    assert view._alert.object == (
        "Could not fit: 30,000 draws × 2 chains = 60,000 is above this server's limit of 40,000 "
        "(workbench serve --max-draws raises it)"
    )
    assert state.fit is None and not view.controls.running


def test_draws_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_DRAWS", "1234")
    assert FitView().max_draws == 1234


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")
def test_a_fit_over_the_time_limit_is_cancelled_with_a_message(demo_runs, monkeypatch):
    monkeypatch.setenv("WORKBENCH_FIT_TIMEOUT", "1")
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=200_000, tune=200, max_draws=10**6)
    asyncio.run(asyncio.wait_for(view.start_fit(), timeout=60))
    assert view._alert.object == (
        "Could not fit chinchilla: it ran longer than this server's limit of 1 s and was "
        "cancelled (workbench serve --fit-timeout raises it)"
    )
    assert state.fit is None and not view.controls.running


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")
def test_a_fit_waits_for_a_free_slot_and_shows_its_place(demo_runs, monkeypatch):
    queue = FitQueue(limit=1)
    monkeypatch.setattr("workbench.app.jobs.FIT_QUEUE", queue)
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=200, tune=200)
    seen = []

    async def fit_behind_another():
        occupied = object()
        assert queue.admit(occupied) == 0
        task = asyncio.ensure_future(view.start_fit())
        await wait_until(lambda: view.controls.status.startswith("Waiting"), task)
        seen.append(view.controls._status.object)
        queue.release()
        await asyncio.wait_for(task, timeout=120)

    asyncio.run(fit_behind_another())
    assert seen == ["Waiting: 1 job ahead of yours on this server ..."]
    assert view.controls.status.startswith("Fit finished") and state.fit.law.name == view.law


def test_progress_bar_moves_during_a_fit(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=30_000, tune=300, max_draws=10**5)
    seen = []

    async def watch():
        task = asyncio.ensure_future(view.start_fit())
        while not task.done():
            seen.append(view.controls.progress.value)
            await asyncio.sleep(0.1)

    asyncio.run(watch())
    assert any(0 < value < 100 for value in seen)
    assert state.fit.idata["posterior"].sizes["draw"] == 30_000


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


def two_runs(runs):
    """Too few runs for any law: a fit of them fails before sampling."""
    return runs.filter(np.arange(len(runs)) < 2)


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")  # short chains
def test_failed_fit_marks_the_fit_shown_stale_in_every_fit_tab(fitted_state, demo_runs):
    state = WorkbenchState(runs=fitted_state.runs, fit=fitted_state.fit)
    view = FitView(state=state, law="kaplan_joint", draws=200, tune=200)
    checks, extrapolate = ChecksView(state=state), ExtrapolateView(state=state)
    notes = [shown._stale._alert for shown in (view, checks, extrapolate)]
    assert not any(note.visible for note in notes)
    state.runs = two_runs(demo_runs)
    asyncio.run(view.start_fit())  # refused before sampling
    assert view._alert.object.startswith("Could not fit kaplan_joint")
    assert state.fit is fitted_state.fit
    for note in notes:
        assert note.visible
        assert note.object == (
            "Stale: the fit shown is the previous one (chinchilla on 40 runs), because the new "
            "fit of kaplan_joint failed."
        )
    state.runs = demo_runs
    asyncio.run(view.start_fit())
    assert view.controls.status.startswith("Fit finished"), view._alert.object
    assert not any(note.visible for note in notes) and state.stale_fit == ""


def test_failed_first_fit_has_nothing_stale(demo_runs):
    state = WorkbenchState(runs=two_runs(demo_runs))
    view = FitView(state=state)
    asyncio.run(view.start_fit())
    assert view._alert.visible and not view._stale._alert.visible


def test_no_runs_means_no_fit():
    state = WorkbenchState()
    view = FitView(state=state)
    asyncio.run(view.start_fit())
    assert "load runs" in view._alert.object


def test_summary_table_index_is_parameter_names(fitted_state):
    table = FitView(state=fitted_state)._summary.value
    assert isinstance(table, pd.DataFrame) and table.index.name == "parameter"


def test_a_quick_look_skips_the_nested_backtests_and_says_so(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, draws=200, tune=200, calibrate=False)
    job = view.make_job()
    assert not job.calibrates and "nested backtests" not in starting_status(job)
    asyncio.run(view.start_fit())
    assert calibration_of(state.fit).source == "default"
    assert "Extrapolation error: the default" in view.controls.status
    view.calibrate = True
    assert view.make_job().calibrates
    assert "3 nested backtests calibrate" in starting_status(view.make_job())
    # auto stacks its laws by their nested backtests: the box is hidden for it.
    assert view._calibrate_box.visible
    view.law = "auto"
    assert not view._calibrate_box.visible


def test_auto_option_explains_itself_and_hides_the_prior_editor():
    view = FitView()
    assert view._law_select.options["auto — stacked by leave-future-out"] == "auto"
    assert view._law_details.visible and not view._auto_note.visible
    view.law = "auto"
    assert not view._law_details.visible and not view._covariate_select.visible
    assert view._auto_note.visible and "leave-future-out" in view._auto_note.object
    view.law = "power_law"
    assert view._law_details.visible and view._covariate_select.visible
    assert not view._auto_note.visible


def test_auto_fit_stacks_the_laws_and_keeps_the_top_one(auto_fit_view):
    state, ensemble = auto_fit_view.state, auto_fit_view.state.ensemble
    assert isinstance(ensemble, LawEnsemble) and ensemble.weights_from_ == "lfo"
    assert set(ensemble.considered_) == {
        "chinchilla",
        "kaplan_joint",
        "power_law(covariate=C, irreducible=True)",
    }
    assert ensemble.weights_.sum() == pytest.approx(1.0)
    assert sum(ensemble.considered_.values()) == pytest.approx(1.0)
    # The demo runs are simulated from Chinchilla's law: it takes most of the weight.
    assert ensemble.weights_.idxmax() == "chinchilla"
    assert ensemble.weights_["chinchilla"] > 0.8
    assert state.fit is ensemble.fits_["chinchilla"]
    for fit in ensemble.fits_.values():
        assert calibration_of(fit).summary()["source"] == "nested_lfo"
    # The Fit tab's parameters and badges are the top law's, and say so.
    assert auto_fit_view._shown_law.visible and "chinchilla" in auto_fit_view._shown_law.object
    assert 0.3 < auto_fit_view._summary.value.loc["alpha", "median"] < 0.45  # demo truth 0.35
    assert not auto_fit_view.controls.running and not auto_fit_view.controls.run_button.disabled


def test_auto_fit_status_lists_every_weight(auto_fit_view):
    ensemble = auto_fit_view.state.ensemble
    status = auto_fit_view.controls.status
    assert status.startswith("Fit finished: auto on 40 runs in ")
    for law in ensemble.considered_:
        weight = ensemble.weights_.get(law, 0.0)
        assert f"{law} {weight:.2f}" in status
    assert "(stacked by leave-future-out over 3 laws)" in status
    assert auto_fit_view.controls._status.object == status


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")
def test_a_fit_of_one_law_after_auto_forgets_the_ensemble(auto_fit_view):
    state = WorkbenchState(
        runs=auto_fit_view.state.runs,
        fit=auto_fit_view.state.fit,
        ensemble=auto_fit_view.state.ensemble,
    )
    view = FitView(state=state, law="kaplan_joint", draws=200, tune=200)
    assert view._shown_law.visible
    asyncio.run(view.start_fit())
    assert state.ensemble is None and state.fit.law.name == "kaplan_joint"
    assert view.controls.status.startswith("Fit finished: kaplan_joint on 40 runs")
    assert not view._shown_law.visible


def test_cancel_stops_an_auto_fit_and_keeps_no_fit(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state, law="auto", draws=200_000, tune=200, max_draws=10**6)

    async def cancel_once_queued():
        task = asyncio.ensure_future(view.start_fit())
        await wait_until(lambda: view.controls.job is not None, task)
        assert isinstance(view.controls.job, EnsembleJob)
        view.cancel()
        await asyncio.wait_for(task, timeout=60)

    asyncio.run(cancel_once_queued())
    assert "cancelled" in view.controls.status
    assert state.fit is None and state.ensemble is None
    assert not view.controls.running


def test_auto_on_too_few_sizes_says_so_before_sampling(demo_runs):
    from workbench.runs import from_frame

    two_sizes = demo_runs.data.drop_duplicates("N").head(2)[["run", "N", "D", "loss"]]
    state = WorkbenchState(runs=from_frame(two_sizes))
    view = FitView(state=state, law="auto")
    asyncio.run(view.start_fit())
    assert view._alert.object.startswith("Could not fit: law='auto' cannot fit 2 runs")
    assert "name a law" in view._alert.object
    assert state.fit is None and state.ensemble is None


def test_small_tables_say_their_weights_come_from_psis_loo():
    # Only the weights are read, so an ensemble with weights set by hand needs no sampling.
    ensemble = LawEnsemble()
    ensemble.considered_ = {"chinchilla": 0.7, "kaplan_joint": 0.2995, "power_law": 0.0005}
    ensemble.weights_ = pd.Series({"chinchilla": 0.7004, "kaplan_joint": 0.2996})
    ensemble.weights_from_ = "psis-loo"
    assert describe_ensemble(ensemble) == (
        "chinchilla 0.70, kaplan_joint 0.30, power_law 0.00 (stacked by PSIS-LOO over 3 laws: "
        "too few runs for leave-future-out backtests)"
    )
