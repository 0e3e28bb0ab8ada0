"""The calibration report: do extrapolated intervals cover as often as they claim?"""

import holoviews as hv
import numpy as np
import pandas as pd
from scipy.stats import norm

from workbench.intervals import percent, resolve_ci_prob
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    REFERENCE_COLOR,
    readable_axes,
    side_by_side,
)
from workbench.predict import Calibration, calibration_of
from workbench.predict.calibration import discrepancy_sd

COVERAGE_LEVELS = tuple(np.round(np.arange(0.05, 1.0, 0.05), 2))
PIT_BINS = 10
KIND_LABELS = {"law": "law only", "calibrated": "calibrated"}
KIND_COLORS = {"law": REFERENCE_COLOR, "calibrated": POSTERIOR_COLOR}


@readable_axes
def plot_calibration(fit_or_calibration, *, ci_prob: float | None = None) -> hv.Layout:
    """Nominal against observed coverage, LFO-PIT and the learned error, from the nested
    leave-future-out backtests of a fit.

    Parameters
    ----------
    fit_or_calibration : ScalingLawFit or Calibration
        A calibrated fit (``workbench.backtesting.calibrate``), or its ``Calibration``.
    ci_prob : float, optional
        Level of the error bounds in the right panel; the project's credible level by default.

    Returns
    -------
    hv.Layout
        Left, the coverage of central intervals on the held-out larger runs against their
        nominal probability, law-only and calibrated (on the diagonal when honest). Middle, the
        LFO-PIT histograms (flat when honest, U-shaped when overconfident). Right, each held-out
        run's |log residual| against its distance past the data, with the learned ``ci_prob``
        bound of law spread plus extrapolation error.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    calibration = (
        fit_or_calibration
        if isinstance(fit_or_calibration, Calibration)
        else calibration_of(fit_or_calibration)
    )
    if calibration.source == "default":
        # No nested backtests (too few runs, or not calibrated): only the default error to show.
        return hv.Layout([_errors(calibration, ci_prob)]).cols(1)
    return side_by_side([_coverage(calibration), _pit(calibration), _errors(calibration, ci_prob)])


def _coverage(calibration: Calibration) -> hv.Overlay:
    table = calibration.coverage(COVERAGE_LEVELS)
    nominal = hv.Dimension("nominal", label="nominal coverage")
    observed = hv.Dimension("observed", label="observed coverage")
    curves = [
        hv.Curve(
            (table.index.to_numpy(), table[kind].to_numpy()),
            kdims=[nominal],
            vdims=[observed],
            label=KIND_LABELS[kind],
        ).opts(color=KIND_COLORS[kind], line_width=2)
        for kind in ("law", "calibrated")
    ]
    diagonal = hv.Curve(([0, 1], [0, 1]), kdims=[nominal], vdims=[observed], label="honest")
    return hv.Overlay([diagonal.opts(color=DATA_COLOR, line_dash="dashed"), *curves]).opts(
        title="Coverage on held-out larger runs", legend_position="bottom_right", **PLOT_SIZE
    )


def _pit(calibration: Calibration) -> hv.Overlay:
    edges = np.linspace(0, 1, PIT_BINS + 1)
    weight = calibration.evidence["weight"].to_numpy(float)
    histograms = []
    for kind in ("law", "calibrated"):
        counts, _ = np.histogram(calibration.pit(kind == "calibrated"), bins=edges, weights=weight)
        density = counts / weight.sum() * PIT_BINS
        histograms.append(
            hv.Histogram(
                (edges, density), kdims=["LFO-PIT"], vdims=["density"], label=KIND_LABELS[kind]
            ).opts(fill_color=KIND_COLORS[kind], fill_alpha=0.45, line_color=KIND_COLORS[kind])
        )
    uniform = hv.HLine(1.0).opts(color=DATA_COLOR, line_dash="dashed")
    return hv.Overlay([*histograms, uniform]).opts(
        title="LFO-PIT (flat when honest)", legend_position="top", **PLOT_SIZE
    )


def _errors(calibration: Calibration, ci_prob: float) -> hv.Overlay:
    evidence = calibration.evidence
    summary = calibration.summary()
    distance = hv.Dimension("distance", label="distance past the data", unit="decades")
    error = hv.Dimension("error", label="|log truth − log median|")
    points = hv.Scatter(
        pd.DataFrame({"distance": evidence["distance"], "error": evidence["residual"].abs()}),
        kdims=[distance],
        vdims=[error],
        label="nested held-out runs",
    ).opts(color=DATA_COLOR, size=5, alpha=0.6)
    grid = np.linspace(0, max(summary["max_distance"], 1e-3), 100)
    # Without evidence the law's own spread is unknown here; the default error is drawn alone.
    spread = float(np.median(evidence["spread"])) if len(evidence) else 0.0
    z = norm.ppf(0.5 + ci_prob / 2)
    bound = z * np.hypot(spread, discrepancy_sd(grid, summary["floor"], summary["slope"]))
    law_bound = np.full(grid.size, z * spread)
    level = f"{percent(ci_prob)} %"
    return (
        points
        * hv.Curve(
            (grid, law_bound), kdims=[distance], vdims=[error], label=f"law only, {level}"
        ).opts(color=REFERENCE_COLOR, line_dash="dashed")
        * hv.Curve(
            (grid, bound), kdims=[distance], vdims=[error], label=f"calibrated, {level}"
        ).opts(color=POSTERIOR_COLOR, line_width=2)
    ).opts(
        title="Error against distance"
        + (" (default: no nested backtests)" if summary["source"] == "default" else ""),
        legend_position="top_left",
        **PLOT_SIZE,
    )
