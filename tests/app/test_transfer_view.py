"""The Transfer tab's rule check: simulated μP sweeps preloaded, a rule fitted and judged, and
uploads that cannot be fitted named in one line."""

import asyncio

import pandas as pd
import panel as pn
import pytest

from workbench.app.state import WorkbenchState
from workbench.app.transfer_view import TransferView


@pytest.fixture(scope="module")
def fitted() -> TransferView:
    view = TransferView(state=WorkbenchState())
    asyncio.run(view.rule_check.start_fit())
    return view


def test_the_simulated_sweeps_agree_with_the_mup_rule(fitted):
    check = fitted.rule_check
    assert not check._fit_alert.visible, check._fit_alert.object
    assert "45 runs" in check._data_summary.object
    (verdict,) = check._verdict.value.to_dict(orient="records")
    # The sweeps were simulated with p = -1, μP's exponent for the learning rate.
    assert verdict["rule"] == "mup_learning_rate" and verdict["rule_exponent"] == -1
    assert verdict["ci_low_90"] < -1 < verdict["ci_high_90"]
    assert verdict["agreement"] == "agrees"
    assert isinstance(check._plot[0], pn.pane.HoloViews)
    assert check.controls.status.startswith("Rule fit finished")


def test_the_verdict_follows_the_rule_and_the_credible_level(fitted):
    check = fitted.rule_check
    check.rule = "adamw_weight_decay"  # p = 1/2, far from the data's -1: no refit needed
    fitted.state.ci_prob = 0.8
    (verdict,) = check._verdict.value.to_dict(orient="records")
    assert "ci_low_80" in verdict and verdict["agreement"].startswith(
        "the data's exponent is smaller"
    )
    fitted.state.ci_prob = 0.9
    check.rule = "mup_learning_rate"


def test_sweeps_without_the_size_column_are_named(tmp_path):
    view = TransferView(state=WorkbenchState())
    check = view.rule_check
    check.size = "depth"
    asyncio.run(check.start_fit())
    assert check._fit_alert.visible
    assert (
        "Could not fit the rule" in check._fit_alert.object and "'depth'" in check._fit_alert.object
    )
    check._file_input.filename, check._file_input.value = "sweeps.txt", b"lr,loss\n1,2\n"
    assert "must end in one of" in check._data_alert.object
    assert check.sweeps is not None  # the simulated sweeps stay
    frame = pd.DataFrame(
        {"N": [1e8] * 3, "width": [256] * 3, "lr": [1e-3, 2e-3, 4e-3], "loss": [3.1, 3.0, 3.2]}
    )
    check._file_input.filename, check._file_input.value = (
        "mine.csv",
        frame.to_csv(index=False).encode(),
    )
    assert not check._data_alert.visible and "3 runs" in check._data_summary.object
