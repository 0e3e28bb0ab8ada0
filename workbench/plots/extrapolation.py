"""Extrapolation of a fitted law with credible bands, compute-optimal allocation and comparison."""

from collections.abc import Mapping, Sequence

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.compute import training_compute
from workbench.intervals import (
    INNER_PROB,
    interval_levels,
    interval_names,
    percent,
    resolve_ci_prob,
)
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    WHISKERS,
    band_alpha,
    covariate_dimension,
    readable_axes,
    series_color,
    side_by_side,
    target_dimension,
)
from workbench.predict import curve, extrapolation_path

TARGET_SCALE = 10.0  # default targets: this many times the largest run's size
COMPUTE_SCALE = 1000.0  # default compute range: up to this many times the largest run's C
COMPUTE_POINTS = 60


@readable_axes
def plot_extrapolation(
    fit, targets=None, *, ci_prob: float | None = None, inner_prob: float | None = INNER_PROB
) -> hv.Overlay:
    """The data and the law's posterior median and bands out to the targets.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law.
    targets : mapping of str to array, optional
        N/D or C values to extrapolate to (as ``fit.predict`` takes them); by default ten times
        the largest run's N and D, or its covariate for one-covariate laws.
    ci_prob : float, optional
        Probability of the outer credible band of the law's mean (the project's credible level
        by default), and of the targets' error bars for a new run.
    inner_prob : float, optional
        Probability of the inner band, drawn darker; None for one band.

    Returns
    -------
    hv.Overlay
        On log–log axes: against compute C for laws in N and D (along the path at the targets'
        tokens per parameter), else against the law's covariate.
    """
    targets = default_targets(fit) if targets is None else targets
    path = extrapolation_path(fit, targets)
    x_name = "C" if "C" in path else fit.law.covariates[0]
    levels = interval_levels(ci_prob, inner_prob)
    # A picture, not a prediction to act on: fit.predict is where the warning belongs.
    predicted = fit.predict(targets, ci_prob=levels[-1], warn=False).query("kind == 'observation'")
    low, high = interval_names(levels[-1])
    x, y = covariate_dimension(x_name), target_dimension(fit.target_)
    markers = pd.DataFrame(
        {
            x.name: predicted[x_name].to_numpy(),
            y.name: predicted["median"].to_numpy(),
            "below": (predicted["median"] - predicted[low]).to_numpy(),
            "above": (predicted[high] - predicted["median"]).to_numpy(),
        }
    )
    return (
        credible_bands(curve(fit, path, levels[-1], inner_prob), x, y, levels, POSTERIOR_COLOR, "")
        * observed_points(fit, x, y)
        * hv.ErrorBars(markers, kdims=[x], vdims=[y, "below", "above"]).opts(
            color=POSTERIOR_COLOR, line_width=2, **WHISKERS
        )
        * hv.Scatter(markers, kdims=[x], vdims=[y], label="targets").opts(
            color=POSTERIOR_COLOR, marker="diamond", size=12, tools=["hover"]
        )
    ).opts(
        logx=True,
        logy=True,
        padding=0.05,
        title=f"Extrapolation of {fit.law.name}",
        legend_position="top_right",
        **PLOT_SIZE,
    )


@readable_axes
def plot_compute_optimal(
    fit, compute=None, *, ci_prob: float | None = None, inner_prob: float | None = INNER_PROB
) -> hv.Layout:
    """Compute-optimal parameters, tokens and tokens per parameter against the budget C.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law in both N and D.
    compute : array of float, optional
        Budgets C in FLOPs; by default log-spaced from the smallest run's C to 1000 times the
        largest's.
    ci_prob : float, optional
        Probability of the outer credible band; the project's credible level by default.
    inner_prob : float, optional
        Probability of the inner band, drawn darker; None for one band.

    Returns
    -------
    hv.Layout
        N_opt(C), D_opt(C) and D_opt / N_opt against C, each on log–log axes with bands.

    Raises
    ------
    ValueError
        If the law has no compute-optimal allocation (it does not depend on both N and D).
    """
    if not fit.law.has_compute_optimum:
        raise ValueError(
            f"{fit.law.label} has no compute-optimal allocation: it must depend on both N and D "
            f"(its covariates are {', '.join(fit.law.covariates)})"
        )
    if compute is None:
        observed = observed_covariates(fit)["C"]
        compute = np.geomspace(observed.min(), COMPUTE_SCALE * observed.max(), COMPUTE_POINTS)
    levels = interval_levels(ci_prob, inner_prob)
    table = fit.compute_optimal(compute, ci_prob=ci_prob, inner_prob=inner_prob)
    x = covariate_dimension("C")
    panels = {
        "N_opt": hv.Dimension("N_opt", label="compute-optimal N", unit="parameters"),
        "D_opt": hv.Dimension("D_opt", label="compute-optimal D", unit="tokens"),
        "tokens_per_parameter": hv.Dimension("tokens_per_parameter", label="tokens per parameter"),
    }
    plots = [
        credible_bands(
            table[table["quantity"] == quantity], x, y, levels, POSTERIOR_COLOR, ""
        ).opts(logx=True, logy=True, title=y.label, show_legend=False)
        for quantity, y in panels.items()
    ]
    return side_by_side(plots)


@readable_axes
def plot_comparison(
    fits: Mapping[str, object], targets=None, *, ci_prob: float | None = None
) -> hv.Overlay:
    """Competing laws' posterior medians and bands along one extrapolation path, over the data.

    Parameters
    ----------
    fits : mapping of str to ScalingLawFit
        Fits of different laws to the same runs, by the name shown in the legend.
    targets : mapping of str to array, optional
        Where to extrapolate to, as for :func:`plot_extrapolation`; by default the first fit's.
    ci_prob : float, optional
        Probability of each law's credible band; the project's credible level by default.

    Returns
    -------
    hv.Overlay
        On log–log axes along the first fit's path (against C when it has one); the other laws
        must be computable from that path's covariates.
    """
    if not fits:
        raise ValueError("plot_comparison needs at least one fit")
    ci_prob = resolve_ci_prob(ci_prob)
    first = next(iter(fits.values()))
    targets = default_targets(first) if targets is None else targets
    path = extrapolation_path(first, targets)
    x_name = "C" if "C" in path else first.law.covariates[0]
    x, y = covariate_dimension(x_name), target_dimension(first.target_)
    overlay = observed_points(first, x, y)
    for index, (name, fit) in enumerate(fits.items()):
        frame = curve(fit, path, ci_prob, inner_prob=None)
        overlay *= credible_bands(frame, x, y, (ci_prob,), series_color(index), name)
    return overlay.opts(
        logx=True, logy=True, title="Law comparison", legend_position="top_right", **PLOT_SIZE
    )


def default_targets(fit) -> dict[str, np.ndarray]:
    """Ten times the largest run's N and D (the run with the most compute), or its covariate."""
    observed = observed_covariates(fit)
    if {"N", "D"} <= set(fit.law.covariates):
        largest = int(np.argmax(observed["C"]))
        return {name: np.array([TARGET_SCALE * observed[name][largest]]) for name in ("N", "D")}
    name = fit.law.covariates[0]
    return {name: np.array([TARGET_SCALE * observed[name].max()])}


def observed_covariates(fit) -> dict[str, np.ndarray]:
    """The fitted runs' covariates, with C = 6·N·D added when the law used N and D."""
    constant = fit.idata["constant_data"]
    values = {name: constant[name].values for name in constant.data_vars}
    if "C" not in values and {"N", "D"} <= set(values):
        values["C"] = training_compute(values["N"], values["D"])
    return values


def observed_points(fit, x: hv.Dimension, y: hv.Dimension) -> hv.Scatter:
    """The fitted runs as points, at covariate ``x`` against the target."""
    frame = pd.DataFrame(
        {
            x.name: observed_covariates(fit)[x.name],
            y.name: fit.idata["observed_data"][fit.target_].values,
        }
    )
    return hv.Scatter(frame, kdims=[x], vdims=[y], label="runs").opts(
        color=DATA_COLOR, size=6, tools=["hover"]
    )


def credible_bands(
    frame: pd.DataFrame,
    x: hv.Dimension,
    y: hv.Dimension,
    levels: Sequence[float],
    color: str,
    label: str,
) -> hv.Overlay:
    """Nested credible bands (widest first, so narrower ones sit on top) and the median line.

    The legend names each band by its probability ("chinchilla 90 %", or "90 %" without a
    ``label``) and the line by ``label`` (or "median").
    """
    areas = [
        hv.Area(
            (frame[x.name], *(frame[name] for name in interval_names(prob))),
            kdims=[x],
            vdims=[y, f"{y.name}_high"],
            label=f"{label} {percent(prob)} %".strip(),
        ).opts(color=color, alpha=band_alpha(prob), line_alpha=0)
        for prob in sorted(levels, reverse=True)
    ]
    median = hv.Curve(
        (frame[x.name], frame["median"]), kdims=[x], vdims=[y], label=label or "median"
    )
    return hv.Overlay([*areas, median.opts(color=color, line_width=2)])
