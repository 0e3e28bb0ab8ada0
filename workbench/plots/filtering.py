"""Data filtering: each pool's error against the compute budget, and the best one highlighted."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.plots.style import PLOT_SIZE, POSTERIOR_COLOR, readable_axes, series_color

BUDGET_DIMENSION = hv.Dimension("budget", label="samples seen")
ERROR_DIMENSION = hv.Dimension("error", label="error (1 − accuracy)")


@readable_axes
def plot_filtering_frontier(errors: pd.DataFrame, crossovers: pd.DataFrame) -> hv.Overlay:
    """Every candidate pool's error against the budget (thin), the lowest of them at each budget
    (the frontier, thick) and the budgets where the best pool changes (points).

    Parameters
    ----------
    errors : DataFrame
        :func:`workbench.filtering.candidate_errors`: a row per candidate, a column per budget.
    crossovers : DataFrame
        :func:`workbench.filtering.crossovers`: ``budget`` and ``error`` where the best changes.
    """
    budgets = errors.columns.to_numpy(dtype=float)
    overlay = hv.Overlay()
    for index, (name, row) in enumerate(errors.iterrows()):
        overlay *= hv.Curve(
            (budgets, row.to_numpy()), BUDGET_DIMENSION, ERROR_DIMENSION, label=str(name)
        ).opts(color=series_color(index), line_width=1.5, alpha=0.8)
    frontier = errors.to_numpy().min(axis=0)
    overlay *= hv.Curve(
        (budgets, frontier), BUDGET_DIMENSION, ERROR_DIMENSION, label="best at each budget"
    ).opts(color=POSTERIOR_COLOR, line_width=5, alpha=0.45)
    overlay *= hv.Scatter(
        (
            np.asarray(crossovers["budget"], dtype=float),
            np.asarray(crossovers["error"], dtype=float),
        ),
        BUDGET_DIMENSION,
        ERROR_DIMENSION,
        label="best pool changes",
    ).opts(color=POSTERIOR_COLOR, size=9, marker="diamond")
    return overlay.opts(
        hv.opts.Curve(logx=True, **PLOT_SIZE),
        hv.opts.Scatter(logx=True),
        hv.opts.Overlay(
            title="Error against compute: the best pool changes", legend_position="right"
        ),
    )
