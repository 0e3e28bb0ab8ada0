"""PassUntilView: simulate or upload logs, fit, predict, test for emergence and plan, no browser."""

import asyncio

import numpy as np
import panel as pn
import pytest
from bokeh.models import Button

from workbench.app import VIEWS
from workbench.app.passuntil_view import SIMULATION_LAW, PassUntilView
from workbench.emergence import (
    PassUntilFit,
    passuntil_estimate,
    plan_sampling,
    simulate_passuntil,
    simulate_task,
    true_pu,
)

SAMPLER = {"draws": 300, "tune": 300}


def upload(view: PassUntilView, content: bytes, filename: str = "passuntil.csv") -> None:
    view._file_input.param.update(filename=filename, value=content)


@pytest.fixture(scope="module")
def fitted_view() -> PassUntilView:
    view = PassUntilView(instances=50, seed=0, random_seed=0, **SAMPLER)
    view._simulate_button.clicks += 1
    asyncio.run(view.start_fit())
    assert isinstance(view.fit, PassUntilFit), view._fit_alert.object
    return view


def test_registered_as_a_tab():
    assert ("PassUntil", PassUntilView) in VIEWS
    root = pn.panel(PassUntilView()).get_root()
    assert {"Simulate logs", "Fit task law"} <= {
        button.label for button in root.select({"type": Button})
    }


def test_simulate_shows_one_row_per_size():
    view = PassUntilView(instances=30, seed=3)
    view._simulate_button.clicks += 1
    table = view._estimates.value
    assert len(table) == 6 and list(table["N"]) == sorted(table["N"])
    expected = passuntil_estimate(
        simulate_passuntil(SIMULATION_LAW, table["N"].to_numpy(), 30, 2000, 3)
    )
    np.testing.assert_allclose(table["pu_high"], expected["pu_high"])
    assert "180 rows" in view._summary.object and "30 instances × 6 sizes" in view._summary.object
    assert view.target == "1e+11"
    assert len(view._plot) == 1 and isinstance(view._plot[0], pn.pane.HoloViews)


def test_logs_say_where_they_came_from_and_why_the_curve_runs_below_the_points():
    view = PassUntilView(instances=30, seed=3)
    assert not view._plot_note.visible
    view.simulate()
    assert "180 rows** (simulated, seed 3)" in view._summary.object
    assert view._plot_note.visible and "too high" in view._plot_note.object
    frame = simulate_passuntil(SIMULATION_LAW, [1e8, 1e9], 5, 100, 0).frame
    upload(view, frame.to_csv(index=False).encode(), "mine.csv")
    assert "10 rows** (from mine.csv)" in view._summary.object


def test_new_logs_clear_the_errors_about_the_old_ones():
    view = PassUntilView(instances=20)
    asyncio.run(view.start_fit())
    asyncio.run(view.start_test())
    assert view._fit_alert.visible and view._test_alert.visible
    view.simulate()
    assert not view._fit_alert.visible and not view._test_alert.visible


def test_the_dashboard_opens_with_demo_logs_and_a_users_runs_without():
    from workbench.app import Workbench
    from workbench.runs import demo

    passuntil = Workbench().views["PassUntil"]
    assert "600 rows** (simulated, seed 0)" in passuntil._summary.object
    assert len(passuntil._estimates.value) == 6
    assert Workbench(runs=demo(seed=1)).views["PassUntil"].passuntil is None


def test_too_many_draws_are_refused_before_fitting_or_testing(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_DRAWS", "1000")
    view = PassUntilView(instances=20, draws=600)
    view.simulate()
    asyncio.run(view.start_fit())
    assert view.fit is None
    assert "1,200 is above this server's limit of 1,000" in view._fit_alert.object
    assert "workbench serve --max-draws" in view._fit_alert.object
    asyncio.run(view.start_test())
    assert "Could not test: 600 draws × 2 chains" in view._test_alert.object


def test_bad_upload_shows_a_readable_error_and_keeps_the_logs():
    view = PassUntilView(instances=20)
    view.simulate()
    before = view.passuntil
    upload(view, b"\x00\xff\xfe\x89PNG garbage bytes")
    assert view._data_alert.visible
    assert view._data_alert.object.startswith("Could not read 'passuntil.csv'")
    assert "Traceback" not in view._data_alert.object
    assert view.passuntil is before

    upload(view, b"N,instance,attempts,passes\n1e8,a,5,7\n1e9,a,3,1\n")
    message = view._data_alert.object
    assert message.startswith("Invalid PassUntil logs") and "r > K" in message
    assert "'passes'" in message and "data row 1" in message
    assert view.passuntil is before

    upload(view, b"N,instance,attempts,passes\n1e8,a,5,1\n", "logs.xlsx")
    assert "must end in one of .csv, .tsv, .parquet" in view._data_alert.object

    view.max_rows = 1
    upload(view, b"N,instance,attempts,passes\n1e8,a,5,1\n1e8,b,5,1\n")
    assert view._data_alert.object == (
        "Could not read 'passuntil.csv': it has 2 rows, above this server's limit of 1 "
        "(workbench serve --max-rows raises it)"
    )
    assert view.passuntil is before

    view.max_upload_mb = 1e-5
    upload(view, b"N,instance,attempts,passes\n" + b"1e8,a,5,1\n" * 10)
    assert "above the upload limit" in view._data_alert.object


def test_empty_file_from_the_browser_is_refused_by_name(browser_upload):
    view = PassUntilView(instances=20)
    view.simulate()
    before = view.passuntil
    browser_upload(view._file_input, b"", "logs.csv")
    assert view._data_alert.visible
    assert view._data_alert.object.startswith("Could not read 'logs.csv' as CSV")
    assert "is empty" in view._data_alert.object
    assert view.passuntil is before
    assert "The previous logs (120 rows) are still in use" in view._summary.object


def test_csv_parquet_and_json_uploads():
    logs = simulate_passuntil(SIMULATION_LAW, [1e8, 1e9, 1e10], 10, 500, 1)
    frame = logs.frame
    for filename, content in (
        ("logs.csv", frame.to_csv(index=False).encode()),
        ("logs.parquet", frame.to_parquet()),
        ("logs.json", frame.to_json(orient="records").encode()),
    ):
        view = PassUntilView()
        upload(view, content, filename)
        assert not view._data_alert.visible, view._data_alert.object
        assert len(view._estimates.value) == 3, filename


def test_invalid_simulation_sizes_are_reported():
    view = PassUntilView(sizes="1e8, banana")
    view.simulate()
    assert view._data_alert.object.startswith("Could not simulate")
    assert view.passuntil is None


def test_fit_without_logs_says_what_to_do():
    view = PassUntilView()
    asyncio.run(view.start_fit())
    assert "upload or simulate" in view._fit_alert.object


def test_fit_predicts_an_interval_at_the_target(fitted_view):
    view = fitted_view
    assert view.status.startswith("PassUntil fit finished")
    assert view._status.object.startswith("PassUntil fit finished")
    assert not view.fitting and not view._fit_button.disabled and view._cancel_button.disabled
    assert "R-hat" in view._badges.object
    table = view._predictions.value
    assert set(table["quantity"]) == {"PU", "pass@1", "pass@10"}
    pu = table[(table["quantity"] == "PU") & (table["N"] == 1e11)].iloc[0]
    assert pu["ci_low_90"] < pu["median"] < pu["ci_high_90"]


def test_target_input_reads_quantities_and_rejects_text(fitted_view):
    view = fitted_view
    view._target_input.value = "30B, 1e11"
    assert list(view.predictions["N"].unique()) == [3e10, 1e11]
    view._k_input.value = 100
    assert "pass@100" in set(view.predictions["quantity"])
    view._target_input.value = "huge"
    assert view._target_alert.visible and view._target_alert.object.startswith("Invalid target")
    view._target_input.value = "1e11"
    assert not view._target_alert.visible


@pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")  # short chains
def test_emergence_verdict_is_shown(fitted_view):
    view = fitted_view
    asyncio.run(view.start_test())
    verdict = view.verdict
    assert verdict is not None, view._test_alert.object
    assert verdict.p_accelerated + verdict.p_plain + verdict.p_subscaling == pytest.approx(1)
    text = view._verdict.object
    assert f"Verdict: {verdict.verdict}" in text and verdict.text in text
    assert f"{verdict.p_plain:.2f}" in text
    assert f"| stacking weight | {verdict.weights['accelerated']:.2f} |" in text
    assert not view.testing and not view._test_button.disabled
    # These instances differ, so the predictions stay with the hierarchical fit, and say why.
    assert "instances differ" in view._source.object
    assert verdict.mixture.weights_text() in view._source.object


def test_predictions_follow_the_task_law_mixture_after_the_test():
    # Identical instances whose F bends down mid-range: accelerated emergence.
    sizes = np.geomspace(1e8, 1e10, 6)
    logs = simulate_task([(1.79, 0.3), (3.0, 0.8)], sizes, 100, None, 0, reference_N=1e8)
    view = PassUntilView(random_seed=0)
    view.passuntil = logs
    asyncio.run(view.start_test())
    assert view.verdict.verdict == "accelerated", view._test_alert.object
    assert "stacking mixture of the task laws" in view._source.object
    assert view.verdict.mixture.weights_text() in view._source.object
    pu = view.predictions.query("quantity == 'PU'").iloc[0]
    assert pu["ci_low_90"] <= true_pu(logs, pu["N"])[0] <= pu["ci_high_90"]


def test_new_logs_clear_the_fit(fitted_view):
    view = PassUntilView(instances=20)
    view.simulate()
    view.fit = fitted_view.fit
    assert set(view.predictions["quantity"]) >= {"PU"}
    view.seed = 5
    view.simulate()
    assert view.fit is None and view.predictions is None and view.verdict is None


def test_planner_numbers_equal_plan_sampling():
    view = PassUntilView()
    for widget, value in zip(view._plan_inputs, (0.002, 0.05, 80, 5000), strict=True):
        widget.value = value
    expected = plan_sampling(0.002, 0.05, n_instances=80, budget=5000)
    assert view.plan.passes == expected.passes
    assert view.plan.total_attempts == expected.total_attempts
    assert view.plan.rel_precision == expected.rel_precision
    assert f"{expected.passes} passes" in view._plan.object
    assert f"{expected.total_attempts:,.0f} attempts" in view._plan.object
    view._plan_inputs[3].value = 0  # no cap
    assert view.plan.total_attempts == plan_sampling(0.002, 0.05, n_instances=80).total_attempts


def test_two_views_do_not_share_logs():
    first, second = PassUntilView(instances=10), PassUntilView()
    first.simulate()
    assert second.passuntil is None and second._estimates.value.empty
