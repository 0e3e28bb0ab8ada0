"""CompareView: stacking weights, the model-averaged prediction and the backtest section."""

import asyncio

import numpy as np
import pandas as pd
import panel as pn
import pytest
from polling import wait_until

from workbench.app import CompareView, WorkbenchState
from workbench.backtesting import Backtest

pytestmark = pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")

LAWS = ["chinchilla", "power_law"]
FAST = {"draws": 300, "tune": 300}


@pytest.fixture(scope="module")
def compared(demo_runs) -> CompareView:
    view = CompareView(state=WorkbenchState(runs=demo_runs), laws=LAWS, **FAST)
    asyncio.run(view.run_comparison())
    return view


def test_loo_table_shows_stacking_weights(compared):
    table = compared._table.value
    assert set(table.index) == set(LAWS)
    assert table["weight"].sum() == pytest.approx(1.0, abs=2e-3)  # rounded to 3 places
    points = compared.comparison.pareto_k
    assert compared._pareto_alert.visible == bool(points)
    for point in points:
        assert str(point) in compared._pareto_alert.object


def test_model_averaged_prediction_at_the_target(compared):
    table = compared._average_table.value
    assert list(table["law"]) == ["stacking average", *LAWS]
    laws = table.set_index("law")
    assert laws.loc[LAWS, "weight"].sum() == pytest.approx(1.0)
    average = laws.loc["stacking average"]
    assert average["ci_low_90"] < average["median"] < average["ci_high_90"]
    low, high = laws.loc[LAWS, "median"].min(), laws.loc[LAWS, "median"].max()
    assert low - 1e-3 <= average["median"] <= high + 1e-3

    before = average["median"]
    compared.target_N = "7B"
    smaller = compared._average_table.value.set_index("law").loc["stacking average", "median"]
    assert smaller > before  # a smaller model has a higher loss
    compared.target_N = "lots"
    assert compared._average_alert.visible
    assert "Could not predict" in compared._average_alert.object
    compared.target_N = "70B"
    assert not compared._average_alert.visible


def test_extrapolate_targets_are_followed(compared):
    compared.state.predictions = pd.DataFrame(
        {"N": [1e10, 3e10], "D": [2e11, 6e11], "kind": ["observation"] * 2}
    )
    assert compared.target_N == "3e+10" and compared.target_D == "6e+11"
    compared.state.predictions = None
    compared.target_N, compared.target_D = "70B", "1.4T"


def test_backtest_shows_a_row_per_law_and_a_plot(demo_runs):
    view = CompareView(state=WorkbenchState(runs=demo_runs), laws=LAWS, **FAST)
    asyncio.run(view.run_backtest())
    assert not view._backtest_alert.visible, view._backtest_alert.object
    assert isinstance(view.backtest_result, Backtest)
    table = view._backtest_table.value
    assert list(table["law"]) == LAWS
    assert table["coverage_90"].between(0, 1).all()
    assert np.isfinite(table["are"]).all()
    assert view.backtest_controls.status.startswith("Backtest finished")
    assert "8 of 40 runs with C >=" in view.backtest_controls.status
    assert isinstance(view._backtest_plot[0], pn.pane.HoloViews)
    assert not view.backtest_controls.running and not view.backtest_controls.run_button.disabled
    assert view.backtest_controls.cancel_button.disabled


def test_backtest_reports_why_it_could_not_run(demo_runs):
    view = CompareView(state=WorkbenchState(), laws=LAWS)
    asyncio.run(view.run_backtest())
    assert "load runs" in view._backtest_alert.object
    # Five runs: one held out leaves too few distinct sizes for Chinchilla's five parameters.
    few = demo_runs.filter(np.arange(len(demo_runs)) < 5)
    view = CompareView(state=WorkbenchState(runs=few), laws=["chinchilla"], **FAST)
    asyncio.run(view.run_backtest())
    assert view._backtest_alert.visible
    assert view._backtest_alert.object.startswith("Could not backtest")
    assert view._backtest_table.value.empty and not view.backtest_controls.running


def test_backtest_can_be_cancelled(demo_runs):
    view = CompareView(
        state=WorkbenchState(runs=demo_runs), laws=["chinchilla"], draws=200_000, tune=200
    )

    async def start_then_cancel():
        task = asyncio.ensure_future(view.run_backtest())
        await wait_until(
            lambda: (
                view.backtest_controls.job is not None and view.backtest_controls.job.fraction > 0
            ),
            task,
        )
        view.cancel_backtest()
        await asyncio.wait_for(task, timeout=60)

    asyncio.run(start_then_cancel())
    assert view.backtest_controls.status == "Backtest cancelled."
    assert view.backtest_result is None and not view.backtest_controls.running


FORMULA = "E + A*N**-alpha + B*D**-beta"


def test_a_formula_is_compared_and_backtested_beside_a_family(demo_runs):
    view = CompareView(
        state=WorkbenchState(runs=demo_runs), laws=["power_law"], formula=FORMULA, **FAST
    )
    asyncio.run(view.run_comparison())
    assert not view._alert.visible, view._alert.object
    assert set(view._table.value.index) == {"power_law", f"formula:{FORMULA}"}
    # The formula is the demo's own law: LOO prefers it to a power law in compute.
    assert view._table.value["weight"].idxmax() == f"formula:{FORMULA}"
    asyncio.run(view.run_backtest())
    table = view._backtest_table.value.set_index("law")
    assert list(table.index) == ["power_law", f"formula:{FORMULA}"]
    assert table.loc[f"formula:{FORMULA}", "are"] < 0.05


def test_a_bad_formula_is_named_before_anything_is_fitted(demo_runs):
    view = CompareView(state=WorkbenchState(runs=demo_runs), laws=LAWS, formula="E + A*N**")
    asyncio.run(view.run_comparison())
    assert (
        view._alert.object.startswith("Could not compare") and "character 10" in view._alert.object
    )
    assert not view.state.fits
    asyncio.run(view.run_backtest())
    assert view._backtest_alert.object.startswith("Could not backtest")
