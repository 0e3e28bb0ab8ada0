"""The Plan tab: candidate grid, budget, ranked suggestions and the width after each step."""

import asyncio
from dataclasses import replace

import holoviews as hv
import pandas as pd
import panel as pn
import pytest

from workbench.app import WorkbenchState
from workbench.app.plan_view import PlanView, candidate_grid, plan_summary


def test_candidate_grid_crosses_sizes_and_ratios():
    grid = candidate_grid("1e8, 1B", "5, 20")
    assert list(grid["N"]) == [1e8, 1e8, 1e9, 1e9]
    assert list(grid["D"]) == [5e8, 2e9, 5e9, 2e10]


def test_plan_shows_ranked_runs_and_a_batch_within_the_budget(fitted_state):
    view = PlanView(state=fitted_state, budget="1e21", n_simulations=32)
    asyncio.run(view._on_plan())
    assert not view._alert.visible, view._alert.object
    ranking, batch = view._ranking.value, view._batch.value
    assert 0 < len(ranking) <= 10 and ranking["reduction_per_flop"].is_monotonic_decreasing
    assert len(batch) >= 1 and batch["cost"].sum() <= 1e21
    assert "expected after the batch" in view._summary.object
    (pane,) = view._plot.objects
    assert isinstance(pane, pn.pane.HoloViews) and isinstance(pane.object, hv.Layout)


def test_progress_shows_while_planning(fitted_state, monkeypatch):
    view = PlanView(state=fitted_state, n_simulations=16)
    visible_while_planning = []
    plan = view.plan

    def watched_plan():
        visible_while_planning.append(view._progress.visible)
        return plan()

    monkeypatch.setattr(view, "plan", watched_plan)
    asyncio.run(view._on_plan())
    assert visible_while_planning == [True]
    assert not view._progress.visible and not view._plan_button.disabled


def test_summary_follows_the_fit_and_a_new_fit_clears_the_plan(fitted_state):
    state = WorkbenchState(runs=fitted_state.runs)
    view = PlanView(state=state)
    assert view._summary.object.startswith("No fit yet")
    state.fit = fitted_state.fit
    assert view._summary.object == "Ready to plan for the chinchilla fit: press **Plan**."
    asyncio.run(view._on_plan())
    assert len(view._ranking.value) == 10 and view._summary.object.startswith("90 % interval")
    state.fit = None
    assert view._ranking.value.empty and view._summary.object.startswith("No fit yet")


def test_plan_without_a_fit_says_what_to_do():
    view = PlanView(state=WorkbenchState())
    asyncio.run(view._on_plan())
    assert view._alert.visible and "fit a law" in view._alert.object


@pytest.mark.parametrize(("field", "value"), [("budget", "1e3"), ("sizes", "")])
def test_bad_plan_inputs_show_an_alert(fitted_state, field, value):
    view = PlanView(state=fitted_state, **{field: value})
    asyncio.run(view._on_plan())
    assert view._alert.visible


def test_summary_reports_the_width_after_the_last_step_that_can_be_trusted(fitted_state):
    plan = PlanView(state=fitted_state, budget="1e21", n_simulations=32).plan()
    batch = pd.DataFrame({"expected_ci_width": [0.3, 0.2, 0.01], "ess": [80.0, 40.0, 2.0]}).assign(
        reliable=lambda steps: steps["ess"] >= 30
    )
    partly = plan_summary(replace(plan, batch=batch, prior_ci_width=0.4))
    assert "now: **0.4**" in partly and "after the first 2 picks: **0.2**" in partly
    assert "optimistic" in partly and "0.01" not in partly
    trusted = plan_summary(replace(plan, batch=batch.assign(reliable=True), prior_ci_width=0.4))
    assert trusted.endswith("expected after the batch: **0.01**")
