"""The Test-time tab without a browser: both allocations, the plot, and errors shown in place."""

import holoviews as hv

from workbench.app.testtime_view import InferenceBudgetView


def test_both_allocations_and_the_frontiers():
    view = InferenceBudgetView()
    rows = view._result.value.set_index("model")
    # At 1e15 (the default) FLOPs only picks the smaller model with the longer generations.
    assert list(rows.index) == ["Qwen3-1.7B", "Qwen3-14B"]
    assert rows.loc["Qwen3-1.7B", "tokens"] > rows.loc["Qwen3-14B", "tokens"]
    assert isinstance(view._plot.object, hv.Layout) and len(view._plot.object) == 2


def test_errors_show_in_the_alert():
    view = InferenceBudgetView()
    view.budget = 0
    assert view._alert.visible and "budget must be positive" in view._alert.object
    view.budget = 1e16
    assert not view._alert.visible
    view.models = []
    assert "choose at least one model" in view._alert.object
