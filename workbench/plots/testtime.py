"""Accuracy against test-time cost for each model size, counted in FLOPs and in eFLOPs."""

from collections.abc import Mapping

import holoviews as hv

from workbench.plots.style import REFERENCE_COLOR, readable_axes, series_color, side_by_side
from workbench.testtime import COST_MODELS, ILLUSTRATIVE_LAW, allocation_table, frontier


@readable_axes
def plot_testtime_frontiers(
    law: Mapping[str, float] = ILLUSTRATIVE_LAW, *, budget: float | None = None, **options
) -> hv.Layout:
    """Each model's best accuracy at each cost (over generated tokens and samples), under FLOPs
    only and under the Kinetics cost side by side, with the budget as a vertical line.

    ``options`` go to :func:`workbench.testtime.allocation_table` (architectures, choices,
    prompt tokens, intensity).
    """
    panels = []
    for cost_model, title in COST_MODELS.items():
        curves = [
            hv.Curve(
                points, hv.Dimension("cost", unit=unit(cost_model)), "accuracy", label=name
            ).opts(color=series_color(index), line_width=2, interpolation="steps-post")
            for index, (name, points) in enumerate(
                frontier(allocation_table(law, cost_model=cost_model, **options)).items()
            )
        ]
        overlay = hv.Overlay(curves)
        if budget is not None:
            overlay = overlay * hv.VLine(budget).opts(color=REFERENCE_COLOR, line_dash="dashed")
        panels.append(
            overlay.opts(title=title, logx=True, ylim=(0, 1), legend_position="bottom_right")
        )
    return side_by_side(panels)


def unit(cost_model: str) -> str:
    return "FLOPs" if cost_model == "flops" else "eFLOPs"
