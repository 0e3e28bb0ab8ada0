"""plot_run_plan draws the plan's own numbers: candidates by value per FLOP, picks, widths."""

import warnings
from dataclasses import replace

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
from bokeh.models import LogColorMapper, LogScale

from workbench.fitting import ScalingLawFit
from workbench.fitting.diagnostics import FitWarning
from workbench.laws import get_law
from workbench.plots import plot_run_plan
from workbench.predict import plan_next_runs
from workbench.runs import DEMO_TRUTH

hv.extension("bokeh")

TARGET = {"N": 1e10, "D": 2e11}
BUDGET = 5e19
# 4 model sizes × 3 tokens-per-parameter ratios, 3e17 to 4e21 FLOPs: the largest are over budget.
CANDIDATES = pd.DataFrame(
    [(size, size * ratio) for size in np.geomspace(1e8, 3e9, 4) for ratio in (5, 20, 80)],
    columns=["N", "D"],
)


@pytest.fixture(scope="module")
def small_fit():
    """Chinchilla fitted to eight small simulated runs, 2e7 to 2e8 parameters."""
    parameters = np.repeat(np.geomspace(2e7, 2e8, 4), 2)
    tokens = parameters * np.tile([10, 40], 4)
    noise = np.exp(np.random.default_rng(0).normal(0, 0.01, parameters.size))
    loss = get_law("chinchilla").curve({"N": parameters, "D": tokens}, DEMO_TRUTH) * noise
    runs = pd.DataFrame({"N": parameters, "D": tokens, "loss": loss})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)  # short chains: the plot, not convergence
        return ScalingLawFit("chinchilla", sampler={"draws": 300, "tune": 300}).fit(
            runs, random_seed=0
        )


@pytest.fixture(scope="module")
def plan(small_fit):
    return plan_next_runs(small_fit, CANDIDATES, TARGET, BUDGET, n_simulations=32, random_seed=0)


def element(overlay, kind, label):
    return next(item for item in overlay if type(item) is kind and item.label == label)


def test_candidates_are_coloured_by_reduction_per_flop_and_the_rest_greyed(plan):
    candidates_map = plot_run_plan(plan)[0]
    valued = element(candidates_map, hv.Points, "candidates")
    passed_over = element(candidates_map, hv.Points, "over budget or no gain")
    assert len(valued) + len(passed_over) == len(CANDIDATES)
    over_budget = plan.ranking[plan.ranking["cost"] > BUDGET]
    assert len(over_budget) > 0
    assert set(over_budget["candidate"]) <= set(passed_over.dimension_values("candidate"))
    shown = pd.DataFrame(
        {name: valued.dimension_values(name) for name in ("candidate", "reduction_per_flop")}
    ).set_index("candidate")["reduction_per_flop"]
    expected = plan.ranking.set_index("candidate")["reduction_per_flop"]
    np.testing.assert_allclose(shown, expected[shown.index])
    assert (shown > 0).all()
    assert valued.opts.get().kwargs["color"] == "reduction_per_flop"
    target = element(candidates_map, hv.Points, "target")
    assert (target.dimension_values("N")[0], target.dimension_values("D")[0]) == (1e10, 2e11)


def test_the_greedy_picks_are_ringed_and_numbered_in_order(plan):
    candidates_map = plot_run_plan(plan)[0]
    picks = element(candidates_map, hv.Points, "greedy batch")
    assert len(plan.batch) >= 2
    assert list(picks.dimension_values("candidate")) == list(plan.batch["candidate"])
    np.testing.assert_allclose(picks.dimension_values("N"), plan.batch["N"])
    np.testing.assert_allclose(picks.dimension_values("D"), plan.batch["D"])
    numbers = next(item for item in candidates_map if type(item) is hv.Labels)
    assert list(numbers.dimension_values("step")) == [str(step) for step in plan.batch["step"]]


def test_the_width_starts_now_and_follows_the_batch(plan):
    widths = plot_run_plan(plan)[1]
    points = next(item for item in widths if type(item) is hv.Scatter)
    width = points.dimension_values(1)
    assert width[0] == plan.prior_ci_width
    np.testing.assert_allclose(width[1:], plan.batch["expected_ci_width"])
    assert width[-1] < width[0]
    spent = points.dimension_values(0)
    np.testing.assert_allclose(spent, [0, *plan.batch["cumulative_cost"]])
    assert spent[-1] <= BUDGET
    assert next(item for item in widths if type(item) is hv.VLine).data == BUDGET
    assert "90 % interval width" in points.get_dimension(1).pprint_label


def test_steps_past_the_trusted_ones_continue_dashed(plan):
    batch = plan.batch.assign(reliable=np.arange(len(plan.batch)) < 1)
    widths = plot_run_plan(replace(plan, batch=batch))[1]
    trusted, optimistic = (
        next(item for item in widths if type(item) is hv.Curve and item.label == label)
        for label in ("expected", "optimistic (few draws)")
    )
    assert list(trusted.dimension_values(1)) == [plan.prior_ci_width, batch["expected_ci_width"][0]]
    np.testing.assert_allclose(optimistic.dimension_values(1), batch["expected_ci_width"])
    assert optimistic.opts["line_dash"] == "dashed"


def test_a_compute_optimal_target_is_its_iso_flop_line(small_fit):
    plan = plan_next_runs(
        small_fit, CANDIDATES, "compute_optimal", BUDGET, compute=1e22, n_simulations=16
    )
    line = element(plot_run_plan(plan)[0], hv.Curve, "target compute")
    np.testing.assert_allclose(
        6 * line.dimension_values("N") * line.dimension_values("D"), 1e22, rtol=1e-9
    )


def test_renders_with_log_axes_and_log_colours_for_the_candidates(plan):
    root = hv.render(plot_run_plan(plan), backend="bokeh")
    grid, widths = (child[0] for child in root.children)
    assert isinstance(grid.x_scale, LogScale) and isinstance(grid.y_scale, LogScale)
    mappers = [getattr(item, "color_mapper", None) for item in grid.right]
    assert any(isinstance(mapper, LogColorMapper) for mapper in mappers)
    assert not isinstance(widths.x_scale, LogScale)


def test_candidates_off_the_n_d_plane_are_refused(plan):
    with pytest.raises(ValueError, match="N and D"):
        plot_run_plan(replace(plan, ranking=plan.ranking.drop(columns="N")))
