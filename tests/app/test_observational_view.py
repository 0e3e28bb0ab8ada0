"""The Observational tab without a browser: an offline user is told what to do, and a short fit
of the local copy fills the report, the table and both plots."""

import asyncio
import warnings

from workbench.app.observational_view import ObservationalView
from workbench.app.state import WorkbenchState
from workbench.fitting import FitWarning


def test_unloadable_data_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    view = ObservationalView(state=WorkbenchState(), data=str(tmp_path / "absent.csv"))
    asyncio.run(view.start_fit())
    assert view._alert.visible
    assert "Could not load Ruan et al.'s table" in view._alert.object
    assert "local copy" in view._alert.object
    assert view.report is None


def test_a_short_fit_fills_the_report(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    raw = shared_data / "obsscaling_ruan2024" / "raw"
    view = ObservationalView(
        state=WorkbenchState(),
        data=str(raw / "base_llm_benchmark_eval.csv"),
        constants=str(raw / "constants.py"),
        draws=100,
        tune=200,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)  # 100 draws: the status line reports R-hat
        asyncio.run(view.start_fit())
    assert not view._alert.visible, view._alert.object
    assert len(view._table.value) == 4
    assert "R-hat max" in view.controls.status
    assert len(view._plots.objects) == 2
    view.benchmark = "GSM8K"
    assert len(view._plots.objects) == 2
