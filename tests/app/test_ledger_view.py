"""LedgerView: the Extrapolate tab's predictions recorded, an outcome scored, the report shown,
and exports merged; the ledger file is the one the command line reads."""

import base64
import io

import pandas as pd
import panel as pn
import pytest

from workbench.app import ExtrapolateView, WorkbenchState
from workbench.app.ledger_view import LedgerView
from workbench.ledger import Ledger
from workbench.runs import DEMO_TRUTH


def truth(N: float, D: float) -> float:
    t = DEMO_TRUTH
    return t["E"] + t["A"] / N ** t["alpha"] + t["B"] / D ** t["beta"]


@pytest.fixture
def predicted(fitted_state) -> WorkbenchState:
    state = WorkbenchState(runs=fitted_state.runs, fit=fitted_state.fit)
    extrapolate = ExtrapolateView(state=state, target_N="30B", target_D="600B")
    extrapolate.predict()
    return state


def test_record_resolve_and_report(predicted, tmp_path):
    path = tmp_path / "ledger.sqlite"
    view = LedgerView(state=predicted, path=str(path), note="30B run")
    assert view._export.disabled and view._table.value.empty
    pn.panel(view).get_root()  # renders with nothing scored yet (no plot)
    view._record_button.clicks += 1
    assert view._message.object.startswith("Recorded 1 prediction: id 1")
    (entry,) = Ledger(path).records()
    shown = predicted.predictions.query("kind == 'observation'").iloc[0]
    assert entry["median"] == pytest.approx(shown["median"])
    assert (
        entry["note"] == "30B run" and entry["data_hash"] == predicted.fit.idata.attrs["data_hash"]
    )
    assert len(entry["fit_hash"]) == 64 and entry["fit_file"] is None
    view.param.update(entry=1, observed=truth(30e9, 600e9))
    view._resolve_button.clicks += 1
    assert "inside its 90 % interval" in view._message.object
    table = view._table.value
    assert table.loc[0, "covered"] and table.loc[0, "level"] == "90 %"
    assert table.loc[0, "ci_low"] == pytest.approx(shown["ci_low_90"])
    assert "1 resolved, 0 waiting" in view._summary.object
    reliability, _ = view._plot.object
    assert next(iter(reliability)).label == "honest range, 1 outcome"
    assert not view._export.disabled
    pn.panel(view).get_root()


def test_nothing_to_record_and_bad_outcomes_are_said(fitted_state, predicted, tmp_path):
    path = tmp_path / "ledger.sqlite"
    view = LedgerView(state=WorkbenchState(runs=fitted_state.runs), path=str(path))
    view.record()
    assert "Nothing to record" in view._alert.object and not path.exists()
    view = LedgerView(state=predicted, path=str(path))
    view.resolve()
    assert "Enter what the run measured" in view._alert.object
    view.param.update(entry=5, observed=2.0)
    view.resolve()
    assert "has no prediction 5" in view._alert.object
    predicted.ci_prob = 0.85
    view.record()
    assert "keeps intervals at" in view._alert.object


def test_an_export_from_elsewhere_merges(predicted, tmp_path):
    theirs = tmp_path / "theirs.sqlite"
    LedgerView(state=predicted, path=str(theirs)).record()
    export = tmp_path / "theirs.parquet"
    Ledger(theirs).export_parquet(export)
    view = LedgerView(state=predicted, path=str(tmp_path / "ours.sqlite"))
    view._import.param.update(value=export.read_bytes(), filename="theirs.parquet")
    assert view._message.object.startswith("Merged theirs.parquet: 1 added")
    assert len(view._table.value) == 1
    view._import.param.update(value=b"not parquet", filename="broken.parquet")
    assert view._alert.object.startswith("Could not merge broken.parquet: cannot read broken")
    exported = pd.read_parquet(io.BytesIO(base64.b64decode(view._export.data.split(",", 1)[1])))
    assert exported["uid"].tolist() == Ledger(theirs).entries()["uid"].tolist()
