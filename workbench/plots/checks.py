"""Posterior checks: predictive check, LOO-PIT calibration and residuals."""

import holoviews as hv
import numpy as np
import pandas as pd
from scipy import stats

from workbench.intervals import interval_names, resolve_ci_prob, summarize_draws
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    REFERENCE_COLOR,
    WHISKERS,
    band_alpha,
    covariate_dimension,
    readable_axes,
    target_dimension,
)
from workbench.predict import loo_pit, residuals

PIT_BAND_PROB = 0.95
PIT_BAND_POINTS = 201


@readable_axes
def plot_ppc(fit, *, ci_prob: float | None = None) -> hv.Overlay:
    """Posterior predictive check: observed target against the predictive median per run.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law.
    ci_prob : float, optional
        Probability of the central predictive interval drawn as error bars; the project's
        credible level by default.

    Returns
    -------
    hv.Overlay
        Points with ``ci_prob`` error bars and the line y = x on log–log axes; a calibrated model
        puts about ``ci_prob`` of the bars across the line.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    target = fit.target_
    observed = fit.idata["observed_data"][target].values
    predictive = fit.idata["posterior_predictive"][target].values
    predictive = predictive.reshape(-1, observed.size)[fit.draw_index()]
    summary = summarize_draws(predictive, (ci_prob,))
    low, high = (summary[name] for name in interval_names(ci_prob))
    x, y = target_dimension(target, "observed"), target_dimension(target, "predicted")
    frame = pd.DataFrame(
        {
            x.name: observed,
            y.name: summary["median"],
            "below": summary["median"] - low,
            "above": high - summary["median"],
        }
    )
    span = [min(observed.min(), low.min()), max(observed.max(), high.max())]
    return (
        hv.Curve((span, span), kdims=[x], vdims=[y], label="y = x").opts(
            color=REFERENCE_COLOR, line_dash="dashed"
        )
        * hv.ErrorBars(frame, kdims=[x], vdims=[y, "below", "above"]).opts(
            color=POSTERIOR_COLOR, alpha=0.6, **WHISKERS
        )
        * hv.Scatter(frame, kdims=[x], vdims=[y], label="runs").opts(
            color=DATA_COLOR, size=6, tools=["hover"]
        )
    ).opts(
        logx=True,
        logy=True,
        padding=0.05,
        title="Posterior predictive check",
        legend_position="top_left",
        **PLOT_SIZE,
    )


@readable_axes
def plot_loo_pit(fit) -> hv.Overlay:
    """ECDF of the LOO-PIT values against the uniform, with a pointwise 95 % band.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law.

    Returns
    -------
    hv.Overlay
        The ECDF (a step per observation), the diagonal of a uniform ECDF and the band an ECDF of
        ``n`` uniform values stays in pointwise with 95 % probability. Intervals that are too
        narrow put PIT values near 0 and 1, so the ECDF rises above the diagonal first and falls
        below it later; the reverse S means intervals too wide.
    """
    pit = np.sort(loo_pit(fit))
    n = pit.size
    ecdf = np.arange(1, n + 1) / n
    # n·ECDF(u) of n uniforms is Binomial(n, u), which gives the pointwise band.
    grid = np.linspace(0, 1, PIT_BAND_POINTS)
    tail = (1 - PIT_BAND_PROB) / 2
    band_low = stats.binom.ppf(tail, n, grid) / n
    band_high = stats.binom.ppf(1 - tail, n, grid) / n
    x, y = hv.Dimension("pit", label="LOO-PIT"), hv.Dimension("ecdf", label="ECDF")
    return (
        hv.Area(
            (grid, band_low, band_high), kdims=[x], vdims=[y, "band_high"], label="95 % band"
        ).opts(color=REFERENCE_COLOR, alpha=band_alpha(PIT_BAND_PROB), line_alpha=0)
        * hv.Curve(([0, 1], [0, 1]), kdims=[x], vdims=[y], label="uniform").opts(
            color=REFERENCE_COLOR, line_dash="dashed"
        )
        * hv.Curve((pit, ecdf), kdims=[x], vdims=[y], label="LOO-PIT ECDF").opts(
            color=POSTERIOR_COLOR, interpolation="steps-post", line_width=2
        )
    ).opts(title="LOO-PIT calibration", legend_position="top_left", **PLOT_SIZE)


@readable_axes
def plot_residuals(fit) -> hv.Layout:
    """Log residuals, log(observed / fitted), against each covariate of the law.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law.

    Returns
    -------
    hv.Layout
        One panel per covariate on a log x axis, with a zero line; a trend along a covariate
        means the law's shape misses the data there.
    """
    frame = residuals(fit)
    y = hv.Dimension("log_residual", label="log(observed / fitted)")
    panels = [
        (
            hv.Scatter(frame, kdims=[covariate_dimension(name)], vdims=[y]).opts(
                color=DATA_COLOR, size=6, tools=["hover"]
            )
            * hv.HLine(0).opts(color=REFERENCE_COLOR, line_dash="dashed")
        ).opts(logx=True, title=f"Residuals against {name}", **PLOT_SIZE)
        for name in fit.law.covariates
    ]
    return hv.Layout(panels).cols(len(panels))
