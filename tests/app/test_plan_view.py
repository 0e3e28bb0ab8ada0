"""The Plan tab: candidate grid, budget, ranked suggestions and the width after each step."""

import asyncio

import pytest

from workbench.app import WorkbenchState
from workbench.app.plan_view import PlanView, candidate_grid


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


def test_plan_without_a_fit_says_what_to_do():
    view = PlanView(state=WorkbenchState())
    asyncio.run(view._on_plan())
    assert view._alert.visible and "fit a law" in view._alert.object


@pytest.mark.parametrize(("field", "value"), [("budget", "1e3"), ("sizes", "")])
def test_bad_plan_inputs_show_an_alert(fitted_state, field, value):
    view = PlanView(state=fitted_state, **{field: value})
    asyncio.run(view._on_plan())
    assert view._alert.visible
