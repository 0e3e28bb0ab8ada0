"""Marginal and pairwise posteriors of a law's parameters, in the paper's convention."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.intervals import summarize_draws
from workbench.plots.style import DATA_COLOR, POSTERIOR_COLOR, readable_axes

HISTOGRAM_BINS = 40
LOG_AXIS_SPREAD = 100.0
"""Positive draws whose largest is this many times their smallest get log-spaced bins on a log
axis: a scale parameter such as Kaplan's N_c spans tens of decades, which linear bins put in one
bar."""
PAIR_PANEL_SIZE = 160  # pixels per side of each pairwise panel


@readable_axes
def plot_posteriors(fit, var_names=None) -> hv.Layout:
    """Histogram of each parameter's posterior draws with the median marked.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law.
    var_names : sequence of str, optional
        Posterior variables to show; by default the law's parameters in the paper's convention.

    Returns
    -------
    hv.Layout
        One histogram per variable, with a vertical line at its posterior median.
    """
    draws = fit.draws(list(var_names or fit.law.parameters))
    panels = [_marginal(name, values) for name, values in draws.items()]
    return hv.Layout(panels).cols(min(len(panels), 3))


def _marginal(name: str, values: np.ndarray) -> hv.Overlay:
    log_axis = bool(values.min() > 0 and values.max() > LOG_AXIS_SPREAD * values.min())
    bins = (
        np.geomspace(values.min(), values.max(), HISTOGRAM_BINS + 1) if log_axis else HISTOGRAM_BINS
    )
    counts, edges = np.histogram(values, bins=bins)
    median = float(summarize_draws(values, ())["median"])
    return (
        hv.Histogram((edges, counts), kdims=[name], vdims=["draws"]).opts(
            color=POSTERIOR_COLOR, alpha=0.5, line_color=POSTERIOR_COLOR
        )
        * hv.VLine(median).opts(color=DATA_COLOR, line_width=2)
    ).opts(title=f"{name}: median {median:.4g}", xrotation=30, width=300, height=240, logx=log_axis)


@readable_axes
def plot_pair(fit, var_names=None, *, max_points: int = 1000) -> hv.Layout:
    """Pairwise scatter of posterior draws, with histograms on the diagonal.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law.
    var_names : sequence of str, optional
        Posterior variables to pair; by default the law's parameters in the paper's convention.
    max_points : int
        At most this many draws are drawn, evenly spaced over all chains so that the same fit
        always gives the same plot.

    Returns
    -------
    hv.Layout
        A square grid in ``var_names`` order: histograms on the diagonal, the scatter of each pair
        below it (empty above). Correlated pairs show as tilted clouds.
    """
    frame = pd.DataFrame(fit.draws(list(var_names or fit.law.parameters)))
    if len(frame) > max_points:
        frame = frame.iloc[np.linspace(0, len(frame) - 1, max_points).astype(int)]
    names = list(frame.columns)
    panels = [
        _pair_panel(frame, column, row) if row_index >= column_index else hv.Empty()
        for row_index, row in enumerate(names)
        for column_index, column in enumerate(names)
    ]
    # Panels share axes by dimension name, so zooming one parameter zooms its row and column.
    return hv.Layout(panels).cols(len(names))


def _pair_panel(frame: pd.DataFrame, column: str, row: str) -> hv.Element:
    size = {"width": PAIR_PANEL_SIZE, "height": PAIR_PANEL_SIZE, "xrotation": 45}
    if column == row:
        counts, edges = np.histogram(frame[column], bins=HISTOGRAM_BINS)
        return hv.Histogram((edges, counts), kdims=[column], vdims=["draws"]).opts(
            color=POSTERIOR_COLOR, alpha=0.5, line_color=POSTERIOR_COLOR, yaxis=None, **size
        )
    return hv.Scatter(frame, kdims=[column], vdims=[row]).opts(
        color=POSTERIOR_COLOR, size=2, alpha=0.3, **size
    )
