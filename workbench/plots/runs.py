"""The run table itself: the target against each size covariate."""

import holoviews as hv
import numpy as np

from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    covariate_dimension,
    readable_axes,
    series_color,
    side_by_side,
    target_dimension,
)
from workbench.runs import RunTable

SIZE_COVARIATES = ("N", "D", "C")


@readable_axes
def plot_runs(runs: RunTable, *, covariates=None) -> hv.Layout:
    """Log–log scatter of the target against each size covariate, one panel per covariate.

    Parameters
    ----------
    runs : RunTable
        The training runs.
    covariates : sequence of str, optional
        Which of N, D and C to plot; by default those the table has that vary (models all
        trained on the same tokens have no panel against D).

    Returns
    -------
    hv.Layout
        One overlay per covariate; runs are coloured by ``group`` when the table has one, and
        hovering shows the run id and its values.
    """
    present = [name for name in SIZE_COVARIATES if runs.has(name)]
    varying = [name for name in present if np.ptp(runs.column(name)) > 0]
    names = covariates or varying or present
    return side_by_side([_runs_panel(runs, name) for name in names])


def _runs_panel(runs: RunTable, covariate: str) -> hv.Overlay:
    x, y = covariate_dimension(covariate), target_dimension(runs.target)
    frame = runs.data.assign(**{covariate: runs.column(covariate)})
    groups = frame.groupby("group", sort=False) if runs.has("group") else [(None, frame)]
    hover = ["run"] if "run" in frame else []  # a fit's own runs may carry no ids
    scatters = [
        hv.Scatter(
            rows, kdims=[x], vdims=[y, *hover], label="" if group is None else str(group)
        ).opts(color=DATA_COLOR if group is None else series_color(index))
        for index, (group, rows) in enumerate(groups)
    ]
    return (
        hv.Overlay(scatters)
        .opts(
            hv.opts.Scatter(size=6, alpha=0.8, tools=["hover"]),
            hv.opts.Overlay(logx=True, logy=True, title=f"{runs.target} against {covariate}"),
        )
        .opts(**PLOT_SIZE)
    )
