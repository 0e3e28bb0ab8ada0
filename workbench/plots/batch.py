"""Batch results: which fitting choices predicted the held-out runs best."""

import holoviews as hv
import pandas as pd

from workbench.plots.style import PLOT_SIZE, readable_axes


@readable_axes
def plot_batch_summary(summary: pd.DataFrame) -> hv.Layout:
    """Mean held-out ARE per fitting choice, and ARE against coverage error.

    Parameters
    ----------
    summary : DataFrame
        The result of :func:`workbench.batch.batch_summary`.

    Returns
    -------
    hv.Layout
        Left, bars of each fitting choice's mean absolute relative error on the held-out runs
        (best first). Right, each choice's mean ARE against its coverage error (mean distance of
        the 50 % and 90 % interval coverage from nominal): the best choices sit near the origin.
    """
    table = summary.reset_index()
    choice_columns = [column for column in summary.index.names if column]
    table["choice"] = table[choice_columns].astype(str).agg(" · ".join, axis=1)
    table = table.dropna(subset=["are"])
    bars = hv.Bars(table, "choice", ("are", "mean ARE (held-out)")).opts(
        **PLOT_SIZE, xrotation=45, title="Held-out error by fitting choice"
    )
    points = hv.Points(
        table,
        [("coverage_error", "coverage error"), ("are", "mean ARE")],
        ["choice", "elpd"],
    ).opts(**PLOT_SIZE, size=8, tools=["hover"], title="Accuracy and calibration")
    return (bars + points).cols(2)
