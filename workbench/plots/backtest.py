"""Backtests: held-out runs' predictions against the truth, and interval coverage per law."""

import holoviews as hv
import pandas as pd

from workbench.intervals import interval_names, percent
from workbench.plots.style import (
    PLOT_SIZE,
    REFERENCE_COLOR,
    WHISKERS,
    readable_axes,
    series_color,
    target_dimension,
)


@readable_axes
def plot_backtest(result) -> hv.Layout:
    """Each law's predictions of the held-out runs against their measured target, and coverage.

    Parameters
    ----------
    result : Backtest
        The result of :func:`workbench.backtesting.backtest`.

    Returns
    -------
    hv.Layout
        Left, on log–log axes, the posterior median of a new run's target against the held-out
        run's measurement, with the backtest's ``ci_prob`` observation intervals, one colour per
        law, beside the line y = x. Right, the fraction of held-out runs inside each law's
        scored intervals (e.g. 50 % and 90 %), with dashed lines at the nominal levels: a
        calibrated law's bars reach them.
    """
    return (predicted_against_true(result) + coverage_bars(result)).cols(2)


def predicted_against_true(result) -> hv.Overlay:
    frame = result.frame
    low_name, high_name = interval_names(result.ci_prob)
    low, high = frame[low_name], frame[high_name]
    x, y = target_dimension(result.target, "true"), target_dimension(result.target, "predicted")
    span = [min(frame["observed"].min(), low.min()), max(frame["observed"].max(), high.max())]
    overlay = hv.Curve((span, span), kdims=[x], vdims=[y], label="y = x").opts(
        color=REFERENCE_COLOR, line_dash="dashed"
    )
    for index, (law, rows) in enumerate(frame.groupby("law", sort=False)):
        points = pd.DataFrame(
            {
                x.name: rows["observed"].to_numpy(),
                y.name: rows["median"].to_numpy(),
                "below": (rows["median"] - rows[low_name]).to_numpy(),
                "above": (rows[high_name] - rows["median"]).to_numpy(),
                "run": rows["run"].to_numpy(),
            }
        )
        color = series_color(index)
        overlay *= hv.ErrorBars(points, kdims=[x], vdims=[y, "below", "above"]).opts(
            color=color, alpha=0.6, **WHISKERS
        )
        overlay *= hv.Scatter(points, kdims=[x], vdims=[y, "run"], label=law).opts(
            color=color, size=6, tools=["hover"]
        )
    return overlay.opts(
        logx=True,
        logy=True,
        padding=0.05,
        title=f"Held-out runs: predicted vs true ({percent(result.ci_prob)} % intervals)",
        legend_position="top_left",
        **PLOT_SIZE,
    )


INTERVAL_GREYS = ("#495057", "#adb5bd", "#dee2e6")
"""Bar fills from the narrowest interval to the widest."""


def coverage_bars(result) -> hv.Overlay:
    rows = [
        {"law": law, "interval": f"{percent(prob)} %", "coverage": coverage}
        for law in result.table.index
        for prob in result.levels
        for coverage in [result.table.loc[law, f"coverage_{percent(prob)}"]]
    ]
    bars = hv.Bars(
        pd.DataFrame(rows),
        kdims=[hv.Dimension("law"), hv.Dimension("interval")],
        vdims=[hv.Dimension("coverage", label="fraction of held-out runs covered", range=(0, 1))],
    ).opts(
        tools=["hover"],
        ylim=(0, 1.05),
        # Shades of one grey by interval: the law colours of the other panel would read as laws.
        color="interval",
        cmap=interval_shades(result.levels),
        show_legend=True,
        legend_position="top_left",
    )
    nominal = [
        hv.HLine(prob).opts(color=REFERENCE_COLOR, line_dash="dashed") for prob in result.levels
    ]
    return hv.Overlay([bars, *nominal]).opts(
        title="Interval coverage on held-out runs (dashed: nominal)", **PLOT_SIZE
    )


def interval_shades(levels) -> dict[str, str]:
    """A grey per interval, darker for narrower ones, as credible bands are drawn darker."""
    ordered = sorted(levels)
    return {
        f"{percent(prob)} %": INTERVAL_GREYS[min(index, len(INTERVAL_GREYS) - 1)]
        for index, prob in enumerate(ordered)
    }
