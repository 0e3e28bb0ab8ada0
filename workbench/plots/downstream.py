"""Observational scaling: predicted against observed benchmark scores of held-out models, and
each family's scores against training compute with the fitted curves."""

from collections.abc import Sequence

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.downstream import BAYESIAN, HoldoutReport, ObservationalScalingFit
from workbench.intervals import interval_names
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    REFERENCE_COLOR,
    WHISKERS,
    readable_axes,
    series_color,
)

SCORE = hv.Dimension("score", label="score (accuracy)", range=(0, 1))
OBSERVED = hv.Dimension("observed", label="observed score (accuracy)", range=(0, 1))
FLOPS = hv.Dimension("flops", label="training compute", unit="FLOPs")
CURVE_POINTS = 60
PANEL = {"width": 300, "height": 260}


@readable_axes
def plot_holdout_predictions(report: HoldoutReport, *, method: str = BAYESIAN) -> hv.Layout:
    """One panel per benchmark: each held-out model's predicted score (median and interval)
    against its observed score, coloured by held-out group, with the diagonal of a perfect
    prediction."""
    low, high = interval_names(report.ci_prob, "score")
    chosen = report.predictions[report.predictions["method"] == method]
    panels = []
    for benchmark, rows in chosen.groupby("benchmark", sort=False):
        overlay = hv.Curve([(0, 0), (1, 1)], OBSERVED, SCORE).opts(
            color=REFERENCE_COLOR, line_dash="dashed"
        )
        for index, (group, members) in enumerate(rows.groupby("group", sort=False)):
            bars = members.assign(
                below=members["score"] - members[low], above=members[high] - members["score"]
            )
            overlay *= hv.ErrorBars(bars, kdims=[OBSERVED], vdims=[SCORE, "below", "above"]).opts(
                color=series_color(index), alpha=0.6, **WHISKERS
            )
            overlay *= hv.Scatter(members, OBSERVED, [SCORE, "model", "family"], label=group).opts(
                color=series_color(index), size=6, tools=["hover"]
            )
        panels.append(overlay.opts(title=benchmark, legend_position="bottom_right", **PANEL))
    return hv.Layout(panels).cols(3)


@readable_axes
def plot_family_curves(
    fit: ObservationalScalingFit,
    scores: pd.DataFrame,
    *,
    benchmark: str,
    families: Sequence[str] | None = None,
    ci_prob: float | None = None,
) -> hv.Overlay:
    """A benchmark's scores against training compute (log axis), one colour per family, with
    the fitted model's median curve and its ``ci_prob`` band over each family's range."""
    chosen = scores.dropna(subset=["flops", benchmark])
    families = list(families) if families is not None else list(dict.fromkeys(chosen["family"]))
    low, high = interval_names(ci_prob, "score")
    overlay = hv.Overlay()
    for index, family in enumerate(families):
        members = chosen[chosen["family"] == family]
        color = series_color(index)
        if len(members):
            grid = family_grid(family, members["flops"], fit.benchmarks)
            curve = fit.predict(grid, ci_prob, random_seed=0)
            curve = curve[curve["benchmark"] == benchmark]
            overlay *= hv.Area(curve, FLOPS, [low, high]).opts(
                color=color, alpha=0.15, line_alpha=0
            )
            overlay *= hv.Curve(curve, FLOPS, SCORE).opts(color=color, line_width=2)
        points = members.rename(columns={benchmark: "score"})
        overlay *= hv.Scatter(points, FLOPS, [SCORE, "model"], label=family).opts(
            color=color, size=7, line_color=DATA_COLOR, tools=["hover"]
        )
    return overlay.opts(
        title=benchmark, logx=True, legend_position="right", ylim=(0, 1), **PLOT_SIZE
    )


def family_grid(family: str, flops: pd.Series, benchmarks: Sequence[str]) -> pd.DataFrame:
    """Models of ``family`` at evenly spaced log compute across (half a decade past) its
    range, with no scores, for a fitted curve."""
    low, high = np.log10(flops.min()) - 0.5, np.log10(flops.max()) + 0.5
    grid = pd.DataFrame({"flops": np.logspace(low, high, CURVE_POINTS)})
    grid.insert(0, "family", family)
    grid.insert(0, "model", [f"{family}@{value:.3g}" for value in grid["flops"]])
    return grid.assign(**{name: np.nan for name in benchmarks})
