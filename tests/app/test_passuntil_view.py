"""PassUntilView: simulate or upload logs, fit, predict, test for emergence and plan, no browser."""

import asyncio

import numpy as np
import panel as pn
import pytest
from bokeh.models import Button
from polling import wait_until
from tracker_stores import write_lm_eval_samples, zipped

from workbench.app import VIEWS
from workbench.app.passuntil import SIMULATION_LAW, PassUntilView
from workbench.emergence import (
    PassUntilFit,
    passuntil_estimate,
    plan_sampling,
    simulate_passuntil,
    simulate_task,
    true_pu,
)

SAMPLER = {"draws": 300, "tune": 300}


LOGS_OPTIONS = {"sizes", "instances", "budget", "seed", "max_upload_mb", "max_rows"}


def passuntil_view(**options) -> PassUntilView:
    """A PassUntil tab with ``options`` given to its logs part (simulation settings, limits)
    or its task-law part (sampler settings)."""
    view = PassUntilView()
    view.logs.param.update({k: v for k, v in options.items() if k in LOGS_OPTIONS})
    view.task_law.param.update({k: v for k, v in options.items() if k not in LOGS_OPTIONS})
    return view


def upload(view: PassUntilView, content: bytes, filename: str = "passuntil.csv") -> None:
    view.logs._file_input.param.update(filename=filename, value=content)


@pytest.fixture(scope="module")
def fitted_view() -> PassUntilView:
    view = passuntil_view(instances=50, seed=0, random_seed=0, **SAMPLER)
    view.logs._simulate_button.clicks += 1
    asyncio.run(view.task_law.start_fit())
    assert isinstance(view.session.fit, PassUntilFit), view.task_law._fit_alert.object
    return view


def test_registered_as_a_tab():
    assert ("PassUntil", PassUntilView) in VIEWS
    root = pn.panel(PassUntilView()).get_root()
    assert {"Simulate logs", "Fit task law"} <= {
        button.label for button in root.select({"type": Button})
    }


def test_simulate_shows_one_row_per_size():
    view = passuntil_view(instances=30, seed=3)
    view.logs._simulate_button.clicks += 1
    table = view.logs._estimates.value
    assert len(table) == 6 and list(table["N"]) == sorted(table["N"])
    expected = passuntil_estimate(
        simulate_passuntil(SIMULATION_LAW, table["N"].to_numpy(), 30, 2000, 3)
    )
    np.testing.assert_allclose(table["pu_high"], expected["pu_high"])
    assert (
        "180 rows" in view.logs._summary.object
        and "30 instances × 6 sizes" in view.logs._summary.object
    )
    assert view.task_law.target == "1e+11"
    assert len(view.task_law._plot) == 1 and isinstance(view.task_law._plot[0], pn.pane.HoloViews)


def test_logs_say_where_they_came_from_and_why_the_curve_runs_below_the_points():
    view = passuntil_view(instances=30, seed=3)
    assert not view.task_law._plot_note.visible
    view.simulate()
    assert "180 rows** (simulated, seed 3)" in view.logs._summary.object
    assert view.task_law._plot_note.visible and "too high" in view.task_law._plot_note.object
    frame = simulate_passuntil(SIMULATION_LAW, [1e8, 1e9], 5, 100, 0).frame
    upload(view, frame.to_csv(index=False).encode(), "mine.csv")
    assert "10 rows** (from mine.csv)" in view.logs._summary.object


def test_new_logs_clear_the_errors_about_the_old_ones():
    view = passuntil_view(instances=20)
    asyncio.run(view.task_law.start_fit())
    asyncio.run(view.emergence.start_test())
    assert view.task_law._fit_alert.visible and view.emergence._test_alert.visible
    view.simulate()
    assert not view.task_law._fit_alert.visible and not view.emergence._test_alert.visible


def test_the_dashboard_opens_with_demo_logs_and_a_users_runs_without():
    from workbench.app import Workbench
    from workbench.runs import demo

    passuntil = Workbench().views["PassUntil"]
    assert "600 rows** (simulated, seed 0)" in passuntil.logs._summary.object
    assert len(passuntil.logs._estimates.value) == 6
    assert Workbench(runs=demo(seed=1)).views["PassUntil"].session.passuntil is None


def test_too_many_draws_are_refused_before_fitting_or_testing(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_DRAWS", "1000")
    view = passuntil_view(instances=20, draws=600)
    view.simulate()
    asyncio.run(view.task_law.start_fit())
    assert view.session.fit is None
    assert "1,200 is above this server's limit of 1,000" in view.task_law._fit_alert.object
    assert "workbench serve --max-draws" in view.task_law._fit_alert.object
    asyncio.run(view.emergence.start_test())
    assert "Could not test: 600 draws × 2 chains" in view.emergence._test_alert.object


def test_bad_upload_shows_a_readable_error_and_keeps_the_logs():
    view = passuntil_view(instances=20)
    view.simulate()
    before = view.session.passuntil
    upload(view, b"\x00\xff\xfe\x89PNG garbage bytes")
    assert view.logs._data_alert.visible
    assert view.logs._data_alert.object.startswith("Could not read 'passuntil.csv'")
    assert "Traceback" not in view.logs._data_alert.object
    assert view.session.passuntil is before

    upload(view, b"N,instance,attempts,passes\n1e8,a,5,7\n1e9,a,3,1\n")
    message = view.logs._data_alert.object
    assert message.startswith("Invalid PassUntil logs") and "r > K" in message
    assert "'passes'" in message and "data row 1" in message
    assert view.session.passuntil is before

    upload(view, b"N,instance,attempts,passes\n1e8,a,5,1\n", "logs.xlsx")
    assert "must end in one of .csv, .tsv, .parquet" in view.logs._data_alert.object

    view.logs.max_rows = 1
    upload(view, b"N,instance,attempts,passes\n1e8,a,5,1\n1e8,b,5,1\n")
    assert view.logs._data_alert.object == (
        "Could not read 'passuntil.csv': it has 2 rows, above this server's limit of 1 "
        "(workbench serve --max-rows raises it)"
    )
    assert view.session.passuntil is before

    view.logs.max_upload_mb = 1e-5
    upload(view, b"N,instance,attempts,passes\n" + b"1e8,a,5,1\n" * 10)
    assert "above the upload limit" in view.logs._data_alert.object


def test_empty_file_from_the_browser_is_refused_by_name(browser_upload):
    view = passuntil_view(instances=20)
    view.simulate()
    before = view.session.passuntil
    browser_upload(view.logs._file_input, b"", "logs.csv")
    assert view.logs._data_alert.visible
    assert view.logs._data_alert.object.startswith("Could not read 'logs.csv' as CSV")
    assert "is empty" in view.logs._data_alert.object
    assert view.session.passuntil is before
    assert "The previous logs (120 rows) are still in use" in view.logs._summary.object


def test_csv_parquet_and_json_uploads():
    logs = simulate_passuntil(SIMULATION_LAW, [1e8, 1e9, 1e10], 10, 500, 1)
    frame = logs.frame
    for filename, content in (
        ("logs.csv", frame.to_csv(index=False).encode()),
        ("logs.parquet", frame.to_parquet()),
        ("logs.json", frame.to_json(orient="records").encode()),
    ):
        view = passuntil_view()
        upload(view, content, filename)
        assert not view.logs._data_alert.visible, view.logs._data_alert.object
        assert len(view.logs._estimates.value) == 3, filename


def test_a_zipped_lm_eval_output_uploads_as_passuntil_counts(tmp_path):
    passes = {"EleutherAI__pythia-160m": [0, 1, 3], "EleutherAI__pythia-410m": [2, 5, 8]}
    write_lm_eval_samples(tmp_path, passes, attempts=8)
    view = passuntil_view()
    upload(view, zipped(tmp_path), "lm_eval.zip")
    assert "no N for model 'EleutherAI__pythia-160m'" in view.logs._data_alert.object
    # The upload is read again once the sizes are given.
    view.logs.lm_eval_sizes = "EleutherAI/pythia-160m=160M, EleutherAI/pythia-410m=410M"
    assert not view.logs._data_alert.visible, view.logs._data_alert.object
    frame = view.session.passuntil.frame.sort_values(["N", "instance"])
    assert frame["N"].tolist() == [1.6e8] * 3 + [4.1e8] * 3
    assert frame["passes"].tolist() == [0, 1, 3, 2, 5, 8]
    assert (frame["attempts"] == 8).all()
    view.logs.lm_eval_sizes = "EleutherAI/pythia-160m"
    assert "a model size is MODEL=N" in view.logs._data_alert.object


def test_invalid_simulation_sizes_are_reported():
    view = passuntil_view(sizes="1e8, banana")
    view.simulate()
    assert view.logs._data_alert.object.startswith("Could not simulate")
    assert view.session.passuntil is None


def test_fit_without_logs_says_what_to_do():
    view = passuntil_view()
    asyncio.run(view.task_law.start_fit())
    assert "upload or simulate" in view.task_law._fit_alert.object


def test_fit_predicts_an_interval_at_the_target(fitted_view):
    view = fitted_view
    assert view.task_law.controls.status.startswith("PassUntil fit finished")
    assert view.task_law.controls._status.object.startswith("PassUntil fit finished")
    assert (
        not view.task_law.controls.running
        and not view.task_law.controls.run_button.disabled
        and view.task_law.controls.cancel_button.disabled
    )
    assert "R-hat" in view.task_law._badges.object
    table = view.task_law._predictions.value
    assert set(table["quantity"]) == {"PU", "pass@1", "pass@10"}
    pu = table[(table["quantity"] == "PU") & (table["N"] == 1e11)].iloc[0]
    assert pu["ci_low_90"] < pu["median"] < pu["ci_high_90"]


def test_target_input_reads_quantities_and_rejects_text(fitted_view):
    view = fitted_view
    view.task_law._target_input.value = "30B, 1e11"
    assert list(view.task_law.predictions["N"].unique()) == [3e10, 1e11]
    view.task_law._k_input.value = 100
    assert "pass@100" in set(view.task_law.predictions["quantity"])
    view.task_law._target_input.value = "huge"
    assert view.task_law._target_alert.visible and view.task_law._target_alert.object.startswith(
        "Invalid target"
    )
    view.task_law._target_input.value = "1e11"
    assert not view.task_law._target_alert.visible


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")  # short chains
def test_emergence_verdict_is_shown(fitted_view):
    view = fitted_view
    asyncio.run(view.emergence.start_test())
    verdict = view.session.verdict
    assert verdict is not None, view.emergence._test_alert.object
    assert verdict.p_accelerated + verdict.p_plain + verdict.p_subscaling == pytest.approx(1)
    text = view.emergence._verdict.object
    assert f"Verdict: {verdict.verdict}" in text and verdict.text in text
    assert f"{verdict.p_plain:.2f}" in text
    assert f"| stacking weight | {verdict.weights['accelerated']:.2f} |" in text
    assert not view.emergence.controls.running and not view.emergence.controls.run_button.disabled
    # These instances differ, so the predictions stay with the hierarchical fit, and say why.
    assert "instances differ" in view.task_law._source.object
    assert verdict.mixture.weights_text() in view.task_law._source.object


def test_predictions_follow_the_task_law_mixture_after_the_test():
    # Identical instances whose F bends down mid-range: accelerated emergence.
    sizes = np.geomspace(1e8, 1e10, 6)
    logs = simulate_task([(1.79, 0.3), (3.0, 0.8)], sizes, 100, None, 0, reference_N=1e8)
    view = passuntil_view(random_seed=0)
    view.session.passuntil = logs
    asyncio.run(view.emergence.start_test())
    assert view.session.verdict.verdict == "accelerated", view.emergence._test_alert.object
    assert "stacking mixture of the task laws" in view.task_law._source.object
    assert view.session.verdict.mixture.weights_text() in view.task_law._source.object
    pu = view.task_law.predictions.query("quantity == 'PU'").iloc[0]
    assert pu["ci_low_90"] <= true_pu(logs, pu["N"])[0] <= pu["ci_high_90"]


def test_the_emergence_test_can_be_cancelled_and_keeps_no_verdict():
    view = passuntil_view(instances=20, draws=100_000, tune=200, max_draws=10**6)
    view.simulate()

    async def start_then_cancel():
        task = asyncio.ensure_future(view.emergence.start_test())
        controls = view.emergence.controls
        await wait_until(lambda: controls.job is not None and controls.job.fraction > 0, task)
        controls.cancel_button.clicks += 1
        await asyncio.wait_for(task, timeout=60)

    asyncio.run(start_then_cancel())
    assert view.emergence.controls.status.startswith("Emergence test cancelled")
    assert view.session.verdict is None and not view.emergence.controls.running
    assert not view.emergence._test_alert.visible


def test_new_logs_clear_the_fit(fitted_view):
    view = passuntil_view(instances=20)
    view.simulate()
    view.session.fit = fitted_view.session.fit
    assert set(view.task_law.predictions["quantity"]) >= {"PU"}
    view.logs.seed = 5
    view.simulate()
    assert (
        view.session.fit is None
        and view.task_law.predictions is None
        and view.session.verdict is None
    )


def test_planner_numbers_equal_plan_sampling():
    view = passuntil_view()
    for widget, value in zip(view.sampling._plan_inputs, (0.002, 0.05, 80, 5000), strict=True):
        widget.value = value
    expected = plan_sampling(0.002, 0.05, n_instances=80, budget=5000)
    assert view.sampling.plan.passes == expected.passes
    assert view.sampling.plan.total_attempts == expected.total_attempts
    assert view.sampling.plan.rel_precision == expected.rel_precision
    assert f"{expected.passes} passes" in view.sampling._plan.object
    assert f"{expected.total_attempts:,.0f} attempts" in view.sampling._plan.object
    view.sampling._plan_inputs[3].value = 0  # no cap
    assert (
        view.sampling.plan.total_attempts
        == plan_sampling(0.002, 0.05, n_instances=80).total_attempts
    )


def test_two_views_do_not_share_logs():
    first, second = passuntil_view(instances=10), passuntil_view()
    first.simulate()
    assert second.session.passuntil is None and second.logs._estimates.value.empty
