"""PassUntil pass rates per model size, with the fitted task law's bands out to target sizes."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.emergence import passuntil_estimate, predict_passuntil, read_passuntil
from workbench.intervals import INNER_PROB, interval_levels, interval_names
from workbench.plots.extrapolation import credible_bands
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    WHISKERS,
    covariate_dimension,
    readable_axes,
)
from workbench.runs import parse_quantity

TARGET_SCALE = 10.0  # default target: this many times the largest model size
CURVE_POINTS = 60
PU_DIMENSION = hv.Dimension("PU", label="PassUntil pass rate (PU)")


@readable_axes
def plot_passuntil(
    logs,
    fit=None,
    targets=None,
    *,
    ci_prob: float | None = None,
    inner_prob: float | None = INNER_PROB,
) -> hv.Overlay:
    """PassUntil estimates per model size and, given a fit, the task law out to the targets.

    Parameters
    ----------
    logs : PassUntilLogs or source accepted by ``read_passuntil``
        The counts behind the per-size estimates (:func:`passuntil_estimate`).
    fit : PassUntilFit, a task-law fit or TaskLawMixture, optional
        A fitted model (anything :func:`predict_passuntil` takes); its posterior median PU and
        credible bands are drawn on a log grid from the smallest size to the largest target.
    targets : float, str or sequence, optional
        Model sizes N to predict at (``"100B"`` style quantities are read); ten times the
        largest size by default. Only drawn with a fit.
    ci_prob : float, optional
        Probability of the outer credible band and of the targets' error bars; the project's
        credible level by default.
    inner_prob : float, optional
        Probability of the inner band, drawn darker; None for one band.

    Returns
    -------
    hv.Overlay
        On log–log axes, N (parameters) against PU. Sizes without censored instances are points
        at the paper's PU. At sizes with censored instances PU is only bracketed
        (``pu_low`` to ``pu_high``): the bracket is a vertical segment with a hollow triangle at
        its upper end, labelled "r/K bracket (censored)". A bracket whose lower end is 0 (every
        instance censored) starts at the bottom of the axis.
    """
    logs = read_passuntil(logs)
    x = covariate_dimension("N")
    overlay = _estimates(passuntil_estimate(logs), x)
    if fit is not None:
        sizes = _target_sizes(logs, targets)
        grid = np.geomspace(logs.sizes.min(), max(sizes.max(), logs.sizes.max()), CURVE_POINTS)
        levels = interval_levels(ci_prob, inner_prob)
        band = predict_passuntil(
            fit, grid, ci_prob=levels[-1], k=(1,), inner_prob=inner_prob
        ).query("quantity == 'PU'")
        overlay = (
            credible_bands(band, x, PU_DIMENSION, levels, POSTERIOR_COLOR, "task law") * overlay
        )
        overlay = overlay * _target_markers(fit, sizes, x, levels[-1])
    return overlay.opts(
        logx=True,
        logy=True,
        padding=0.05,
        title="PassUntil pass rate",
        legend_position="bottom_right",
        **PLOT_SIZE,
    )


def _target_sizes(logs, targets) -> np.ndarray:
    if targets is None:
        return np.array([TARGET_SCALE * logs.sizes.max()])
    return np.array([parse_quantity(value) for value in np.ravel(targets)], dtype=float)


def _estimates(table: pd.DataFrame, x: hv.Dimension) -> hv.Overlay:
    """Points at PU where it is known, and brackets where censoring leaves only bounds."""
    columns = [x.name, PU_DIMENSION.name, "instances", "censored"]
    known = table[table["censored"] == 0].rename(columns={"N": x.name, "pu": PU_DIMENSION.name})
    bracketed = table[table["censored"] > 0]
    points = hv.Scatter(
        known[columns], kdims=[x], vdims=columns[1:], label="r/K estimate (biased up)"
    ).opts(color=DATA_COLOR, size=7, tools=["hover"])
    # Log axes cannot show 0: a bracket that starts at 0 is drawn from below the smallest value.
    positive = table[["pu_low", "pu_high"]].to_numpy().ravel()
    floor = positive[positive > 0].min() / 10 if (positive > 0).any() else 1e-6
    segments = pd.DataFrame(
        {
            x.name: bracketed["N"].to_numpy(),
            "pu_low": bracketed["pu_low"].clip(lower=floor).to_numpy(),
            "N_end": bracketed["N"].to_numpy(),
            "pu_high": bracketed["pu_high"].to_numpy(),
        }
    )
    brackets = hv.Segments(
        segments,
        kdims=[x, hv.Dimension("pu_low", label=PU_DIMENSION.label), "N_end", "pu_high"],
        label="r/K bracket (censored)",
    ).opts(color=DATA_COLOR, line_width=3, alpha=0.7)
    upper = bracketed.rename(columns={"N": x.name, "pu_high": PU_DIMENSION.name})
    markers = hv.Scatter(
        upper[[x.name, PU_DIMENSION.name, "pu_low", "instances", "censored"]],
        kdims=[x],
        vdims=[PU_DIMENSION, "pu_low", "instances", "censored"],
        label="r/K bracket (censored)",
    ).opts(color=DATA_COLOR, marker="inverted_triangle", fill_alpha=0, size=9, tools=["hover"])
    return brackets * markers * points


def _target_markers(fit, sizes: np.ndarray, x: hv.Dimension, ci_prob: float) -> hv.Overlay:
    predicted = predict_passuntil(fit, sizes, ci_prob=ci_prob, k=(1,)).query("quantity == 'PU'")
    low, high = interval_names(ci_prob)
    markers = pd.DataFrame(
        {
            x.name: predicted["N"].to_numpy(),
            PU_DIMENSION.name: predicted["median"].to_numpy(),
            "below": (predicted["median"] - predicted[low]).to_numpy(),
            "above": (predicted[high] - predicted["median"]).to_numpy(),
        }
    )
    return hv.ErrorBars(markers, kdims=[x], vdims=[PU_DIMENSION, "below", "above"]).opts(
        color=POSTERIOR_COLOR, line_width=2, **WHISKERS
    ) * hv.Scatter(markers, kdims=[x], vdims=[PU_DIMENSION], label="targets").opts(
        color=POSTERIOR_COLOR, marker="diamond", size=12, tools=["hover"]
    )
