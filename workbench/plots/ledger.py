"""The prediction ledger's report: have the recorded intervals held as often as they claimed?"""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    REFERENCE_COLOR,
    readable_axes,
    side_by_side,
)

PIT_BINS = 10


@readable_axes
def plot_ledger(report: dict) -> hv.Layout:
    """The reliability diagram and the PIT histogram of a ledger's resolved predictions.

    Parameters
    ----------
    report : dict
        ``Ledger.report()``.

    Returns
    -------
    hv.Layout
        Left, the share of outcomes inside each recorded central interval against its nominal
        probability, with the range honest intervals would give on that many outcomes (90 %,
        binomial); points below it are overconfident. Right, the outcomes' PIT values (flat
        when honest, piled at the edges when the intervals were too narrow).
    """
    table = pd.DataFrame(report["reliability"])
    nominal = hv.Dimension("nominal", label="nominal coverage")
    observed = hv.Dimension("observed", label="observed coverage")
    count = report["resolved"]
    honest = hv.Area(
        (table["nominal"], table["honest_low"], table["honest_high"]),
        kdims=[nominal],
        vdims=[observed, "honest_high"],
        label=f"honest range, {count} outcome{'' if count == 1 else 's'}",
    ).opts(color=REFERENCE_COLOR, alpha=0.3, line_alpha=0)
    diagonal = hv.Curve(([0, 1], [0, 1]), kdims=[nominal], vdims=[observed]).opts(
        color=DATA_COLOR, line_dash="dashed"
    )
    points = hv.Curve(table, kdims=[nominal], vdims=[observed], label="recorded intervals")
    dots = hv.Scatter(table, kdims=[nominal], vdims=[observed]).opts(color=POSTERIOR_COLOR, size=7)
    reliability = (
        honest * diagonal * points.opts(color=POSTERIOR_COLOR, line_width=2) * dots
    ).opts(
        title=f"Reliability of {count} resolved prediction{'' if count == 1 else 's'}",
        legend_position="bottom_right",
        xlim=(0, 1),
        ylim=(0, 1),
        **PLOT_SIZE,
    )
    edges = np.linspace(0, 1, PIT_BINS + 1)
    counts, _ = np.histogram(report["pit"], bins=edges)
    density = counts / max(count, 1) * PIT_BINS
    histogram = hv.Histogram((edges, density), kdims=["PIT"], vdims=["density"]).opts(
        fill_color=POSTERIOR_COLOR, fill_alpha=0.5, line_color=POSTERIOR_COLOR
    )
    uniform = hv.HLine(1.0).opts(color=DATA_COLOR, line_dash="dashed")
    pit = (histogram * uniform).opts(title="PIT of the outcomes (flat when honest)", **PLOT_SIZE)
    return side_by_side([reliability, pit])
