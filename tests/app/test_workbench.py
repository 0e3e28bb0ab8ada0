"""The assembled dashboard, the checks, comparison and export views, and session isolation."""

import asyncio
import io

import holoviews as hv
import pandas as pd
import panel as pn
import pytest
import xarray as xr
from bokeh.models import Button, Tabs
from polling import wait_until

from workbench.app import (
    VIEWS,
    ChecksView,
    CompareView,
    ExportView,
    FitView,
    Workbench,
    WorkbenchState,
)
from workbench.backtesting import LawEnsemble, load_fit
from workbench.predict import calibration_of


def test_the_demo_page_says_it_is_being_fitted_and_where_to_look(demo_runs):
    # Set after construction: outside a server, fit_on_start=True would fit right away.
    demo_page, own_runs = Workbench(), Workbench(runs=demo_runs)
    assert "demo" not in demo_page.introduction()
    demo_page.fit_on_start = own_runs.fit_on_start = True
    intro = demo_page.introduction()
    assert "40 simulated demo runs, and a chinchilla fit" in intro
    assert "prediction at 70B parameters and 1.4T tokens" in intro
    assert "demo" not in own_runs.introduction()
    # Other runs loaded in the Data tab: the sentence about the demo goes, and comes back with
    # the demo runs.
    demo_runs_shown = demo_page.state.runs
    demo_page.state.runs = demo_runs
    assert "demo" not in demo_page._introduction.object
    demo_page.state.runs = demo_runs_shown
    assert "40 simulated demo runs" in demo_page._introduction.object


def test_workbench_renders_inline(demo_runs):
    workbench = Workbench(runs=demo_runs)
    root = pn.panel(workbench).get_root()
    assert [title for title, _ in VIEWS] == list(workbench.views)
    assert [tab.title for tab in root.select_one({"type": Tabs}).tabs] == [
        "Data",
        "Fit",
        "Checks",
        "Extrapolate",
        "Compare",
        "Groups",
        "Plan",
        "Export",
        "Ledger",
        "PassUntil",
        "IsoFLOP",
        "Transfer",
        "Filtering",
        "Test-time",
        "Observational",
        "Per-choice",
    ]


def test_workbench_takes_a_dataframe(demo_runs):
    """The user's runs, not the demo's: every view sees them, the Data tab shows them."""
    frame = demo_runs.data[["run", "N", "D", "loss"]].iloc[:12]
    workbench = Workbench(runs=frame)
    assert len(workbench.state.runs) == 12
    assert workbench.views["Data"].source == "Initial runs"
    assert len(workbench.views["Data"]._table.value) == 12


def test_fit_view_renders_inline():
    root = pn.panel(FitView()).get_root()
    assert "Fit" in {button.label for button in root.select({"type": Button})}


def test_two_workbenches_do_not_share_state(fitted_state):
    first, second = Workbench(), Workbench()
    assert first.state is not second.state
    first.state.fit = fitted_state.fit
    first.views["Data"]._final_checkbox.value = False
    assert second.state.fit is None
    assert len(second.state.runs) == 40 and len(first.state.runs) == 320
    assert second.views["Checks"]._empty.visible


def test_closing_a_session_cancels_its_fit_and_drops_its_state(demo_runs, fitted_state):
    workbench = Workbench(runs=demo_runs)
    workbench.state.fit = fitted_state.fit
    fit_view = workbench.views["Fit"]
    fit_view.param.update(draws=200_000, tune=200, max_draws=10**6)

    async def fit_then_close():
        task = asyncio.ensure_future(fit_view.start_fit())
        await wait_until(lambda: fit_view.controls.job is not None, task)
        workbench.close()
        await asyncio.wait_for(task, timeout=60)

    asyncio.run(fit_then_close())
    assert "cancelled" in fit_view.controls.status and not fit_view.controls.running
    state = workbench.state
    assert (state.runs, state.fit, state.ensemble, state.fits) == (None, None, None, {})


def test_fit_on_start_fits_the_default_law(demo_runs):
    # Outside a server, onload runs at once; in a served session it runs after the page loads.
    workbench = Workbench(runs=demo_runs, fit_on_start=True)
    assert workbench.state.fit.law.name == "chinchilla"
    assert workbench.views["Fit"].controls.status.startswith("Fit finished")


def test_checks_view_draws_every_check(fitted_state):
    view = ChecksView(state=fitted_state)
    assert view._tabs._names == ["Posterior predictive", "LOO-PIT", "Extrapolation calibration",
                                 "Residuals", "Posteriors", "Pair plot"]  # fmt: skip
    assert all(isinstance(pane, pn.pane.HoloViews) for pane in view._tabs.objects)
    assert not view._empty.visible
    assert ChecksView(state=WorkbenchState())._tabs.objects == []


def test_checks_view_names_the_top_law_of_an_auto_fit(auto_fit_view):
    fitted = auto_fit_view.state
    state = WorkbenchState(runs=fitted.runs, fit=fitted.fit, ensemble=fitted.ensemble)
    view = ChecksView(state=state)
    assert view._shown_law.visible
    assert view._shown_law.object.startswith("Checks of **chinchilla**, the top-weighted law")
    assert len(view._tabs.objects) == 6
    # The calibration drawn is the one the mixture's intervals use, not the top law's own.
    calibration = dict(zip(view._tabs._names, view._tabs.objects, strict=True))[
        "Extrapolation calibration"
    ]
    errors = list(calibration.object)[-1]
    (points,) = [element for element in errors if isinstance(element, hv.Scatter)]
    evidence = state.ensemble.calibration_.evidence
    assert len(points.data) == len(evidence) != len(calibration_of(fitted.fit).evidence)


def test_compare_view_fits_each_law_and_ranks_them(demo_runs):
    state = WorkbenchState(runs=demo_runs)
    view = CompareView(state=state, laws=["chinchilla", "power_law"])
    asyncio.run(view.run_comparison())
    assert set(state.fits) == {"chinchilla", "power_law"}
    table = view._table.value
    assert set(table.index) == {"chinchilla", "power_law"}
    assert not view._alert.visible
    assert isinstance(view._plot[0], pn.pane.HoloViews)


def test_compare_needs_two_laws(demo_runs):
    view = CompareView(state=WorkbenchState(runs=demo_runs), laws=["chinchilla"])
    asyncio.run(view.run_comparison())
    assert "at least two laws" in view._alert.object


@pytest.fixture
def export_view(fitted_state):
    state = WorkbenchState(runs=fitted_state.runs, fit=fitted_state.fit)
    state.predictions = state.fit.predict({"N": [70e9], "D": [1.4e12]})
    return ExportView(state=state)


def test_export_fit_as_netcdf(export_view):
    content = export_view.fit_netcdf().getvalue()
    tree = xr.open_datatree(io.BytesIO(content), engine="h5netcdf")
    assert tree.attrs["law"] == "chinchilla"
    assert not export_view._fit_download.disabled


def test_export_auto_fit_saves_every_stacked_law(auto_fit_view, tmp_path):
    fitted = auto_fit_view.state
    state = WorkbenchState(runs=fitted.runs, fit=fitted.fit, ensemble=fitted.ensemble)
    view = ExportView(state=state)
    assert view._fit_download.filename == "auto_fit.nc"
    path = tmp_path / "auto_fit.nc"
    path.write_bytes(view.fit_netcdf().getvalue())
    loaded = load_fit(path)
    assert isinstance(loaded, LawEnsemble)
    pd.testing.assert_series_equal(loaded.weights_, fitted.ensemble.weights_)


def test_export_says_why_a_download_is_disabled(export_view):
    state = WorkbenchState()
    view = ExportView(state=state)
    assert view._predictions_download.disabled and view._fit_download.disabled
    assert view._html_download.disabled and view._png_download.disabled
    assert view._card_download.disabled
    assert view._missing.object.count("- ") == 3
    state.param.update(runs=export_view.state.runs, fit=export_view.state.fit)
    assert view._predictions_download.disabled and not view._fit_download.disabled
    assert view._missing.object == (
        "- *Save predictions* needs predictions: press Predict on the Extrapolate tab."
    )
    state.predictions = export_view.state.predictions
    assert not view._predictions_download.disabled and view._missing.object == ""


def test_export_the_scaling_law_card_at_the_predicted_targets(export_view):
    page = export_view.card().getvalue()
    assert not export_view._card_download.disabled and not export_view._alert.visible
    assert "Scaling-law card: chinchilla fitted to loss" in page
    # The Extrapolate tab's target, 70B parameters and 1.4T tokens, is the card's prediction.
    assert "7e+10" in page and "1.4e+12" in page
    assert len(page.encode()) < 5e6


def test_export_auto_fit_card_names_the_stacked_laws(auto_fit_view):
    fitted = auto_fit_view.state
    state = WorkbenchState(runs=fitted.runs, fit=fitted.fit, ensemble=fitted.ensemble)
    page = ExportView(state=state).card().getvalue()
    assert "Scaling-law card: auto" in page and "Stacked laws" in page and "kaplan_joint" in page


def test_export_predictions_csv(export_view, embedded_csv):
    frame = embedded_csv(export_view._predictions_download)
    assert len(frame) == 2 and frame["median"].iloc[0] == pytest.approx(
        export_view.state.predictions["median"].iloc[0]
    )


def test_export_plots_as_html_and_png(export_view):
    assert "Compute-optimal" in export_view.param.plot.objects
    for name in ("Runs", "Extrapolation"):
        export_view.plot = name
        assert "<html" in export_view.plot_html().getvalue().lower()
        assert export_view.plot_png().getvalue().startswith(b"\x89PNG")
        assert not export_view._alert.visible
    import holoviews as hv

    assert hv.Store.current_backend == "bokeh"
