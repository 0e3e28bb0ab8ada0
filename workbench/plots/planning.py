"""Which run to train next: the candidates in the (N, D) plane, and the interval width per pick."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.compute import COMPUTE_PER_PARAMETER_TOKEN
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    REFERENCE_COLOR,
    covariate_dimension,
    readable_axes,
)

VALUE_COLORMAP = "viridis"
# A compute-optimal target is drawn as its iso-FLOP line over these tokens per parameter, which
# bracket any allocation a law is likely to call optimal.
TOKENS_PER_PARAMETER = (1.0, 1000.0)
# Step numbers sit this factor up and right of their pick in N and D, clear of its ring.
LABEL_SHIFT = 1.35
LEGEND_WIDTH = 180  # pixels
BUDGET_MARGIN = 0.05  # the spending axis runs from 0 to the budget, plus this fraction each side
REDUCTION_PER_FLOP = hv.Dimension("reduction_per_flop", label="variance reduction per FLOP")
SPENT = hv.Dimension("cumulative_cost", label="spent on new runs", unit="FLOPs")


@readable_axes
def plot_run_plan(plan) -> hv.Layout:
    """The candidate runs, the greedy batch's picks, and how each pick narrows the prediction.

    Parameters
    ----------
    plan : RunPlan
        The result of :func:`workbench.predict.plan_next_runs` for candidates with N and D.

    Returns
    -------
    hv.Layout
        Left, on log–log axes, every candidate at its (N, D), coloured by expected variance
        reduction per FLOP on a log scale; candidates over the budget, or not expected to reduce
        the variance at all, are grey crosses. The greedy batch's picks are ringed and numbered
        in order, and the target is a star (or, for a compute-optimal target, the dashed line of
        its compute budget, C = 6·N·D). Right, the expected width of the target's central
        interval after each greedy step against the FLOPs spent so far: step 0 is the width
        now, steps whose estimate rests on too few effective draws continue as a dashed grey
        line, and a dashed line marks the budget. Hovering shows each point's numbers.
    """
    return (candidate_map(plan) + width_after_each_step(plan)).cols(2)


def candidate_map(plan) -> hv.Overlay:
    ranking, batch = plan.ranking, plan.batch
    if not {"N", "D"} <= set(ranking):
        raise ValueError("the candidate map needs candidates with N and D (or C and one of them)")
    plane = [covariate_dimension("N"), covariate_dimension("D")]
    width = _width_dimension(plan.ci_prob)
    hover = ["candidate", "cost", width, "ess"]
    valued = ranking["affordable"] & (ranking["reduction_per_flop"] > 0)
    # Log colours show the spread of value per FLOP, which spans decades across a grid; runs
    # with no expected reduction have no place on that scale.
    candidates = hv.Points(
        ranking[valued], kdims=plane, vdims=[REDUCTION_PER_FLOP, *hover], label="candidates"
    ).opts(
        color=REDUCTION_PER_FLOP.name,
        cmap=VALUE_COLORMAP,
        logz=True,
        colorbar=True,
        size=10,
        tools=["hover"],
    )
    passed_over = hv.Points(
        ranking[~valued],
        kdims=plane,
        vdims=[REDUCTION_PER_FLOP, "affordable", *hover],
        label="over budget or no gain",
    ).opts(color=REFERENCE_COLOR, marker="x", size=10, tools=["hover"])
    picks = hv.Points(
        batch,
        kdims=plane,
        vdims=["step", "candidate", "cost", "cumulative_cost", width],
        label="greedy batch",
    ).opts(color=POSTERIOR_COLOR, fill_alpha=0, line_width=2, size=18, tools=["hover"])
    shifted = batch.assign(
        N=batch["N"] * LABEL_SHIFT, D=batch["D"] * LABEL_SHIFT, step=batch["step"].astype(str)
    )
    numbers = hv.Labels(shifted, kdims=plane, vdims="step").opts(
        text_color=POSTERIOR_COLOR, text_font_size="11pt", text_font_style="bold"
    )
    elements = [candidates, passed_over, picks, numbers, *_target_markers(plan.target, plane)]
    return hv.Overlay(elements).opts(
        logx=True,
        logy=True,
        padding=0.1,
        title="Candidate runs: value per FLOP and the greedy picks",
        # Beside the colour bar: inside the axes the legend would hide candidates.
        legend_position="right",
        width=PLOT_SIZE["width"] + LEGEND_WIDTH,
        height=PLOT_SIZE["height"],
    )


def width_after_each_step(plan) -> hv.Overlay:
    width = _width_dimension(plan.ci_prob)
    steps = pd.DataFrame(
        {
            "step": np.arange(len(plan.batch) + 1),
            "candidate": ["(now)", *plan.batch["candidate"].astype(str)],
            SPENT.name: [0.0, *plan.batch["cumulative_cost"]],
            width.name: [plan.prior_ci_width, *plan.batch["expected_ci_width"]],
            "ess": [np.nan, *plan.batch["ess"]],
        }
    )
    # Past the last step with enough effective draws the expected width is optimistic: dashed.
    reliable = plan.reliable_steps + 1
    curves = hv.Curve(steps.iloc[:reliable], kdims=[SPENT], vdims=[width], label="expected").opts(
        color=POSTERIOR_COLOR
    )
    if reliable < len(steps):
        optimistic = hv.Curve(
            steps.iloc[reliable - 1 :], kdims=[SPENT], vdims=[width], label="optimistic (few draws)"
        )
        curves = curves * optimistic.opts(color=REFERENCE_COLOR, line_dash="dashed")
    points = hv.Scatter(steps, kdims=[SPENT], vdims=[width, "step", "candidate", "ess"]).opts(
        color=POSTERIOR_COLOR, size=8, tools=["hover"]
    )
    budget = hv.VLine(plan.budget).opts(color=REFERENCE_COLOR, line_dash="dashed")
    # Right-aligned, with a space, so the word ends just left of the line.
    budget_label = hv.Text(plan.budget, plan.prior_ci_width, "budget ", halign="right").opts(
        color=REFERENCE_COLOR
    )
    return (curves * points * budget * budget_label).opts(
        xlim=(-BUDGET_MARGIN * plan.budget, (1 + BUDGET_MARGIN) * plan.budget),
        padding=(0, 0.1),
        title=f"Expected {100 * plan.ci_prob:g} % interval at the target, pick by pick",
        # The width falls from the top left and the budget is labelled at the top right.
        legend_position="bottom_left",
        **PLOT_SIZE,
    )


def _width_dimension(ci_prob: float) -> hv.Dimension:
    return hv.Dimension(
        "expected_ci_width", label=f"expected {100 * ci_prob:g} % interval width at the target"
    )


def _target_markers(target: dict, plane: list[hv.Dimension]) -> list[hv.Element]:
    """A star at a target scale, the iso-FLOP line of a compute-optimal target, or nothing for
    a target off the (N, D) plane."""
    if "compute_optimal" in target:
        compute = target["compute_optimal"]
        k = COMPUTE_PER_PARAMETER_TOKEN
        sizes = np.sqrt(compute / (k * np.geomspace(*TOKENS_PER_PARAMETER, 50)))
        line = hv.Curve((sizes, compute / (k * sizes)), kdims=plane[:1], vdims=plane[1:])
        return [line.relabel("target compute").opts(color=DATA_COLOR, line_dash="dashed")]
    if not {"N", "D"} <= set(target):
        return []
    star = hv.Points(([target["N"]], [target["D"]]), kdims=plane, label="target")
    return [star.opts(color=DATA_COLOR, marker="star", size=18, tools=["hover"])]
