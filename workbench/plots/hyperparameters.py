"""Optimal hyperparameters against model and data size: located optima and the fitted law."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.intervals import INNER_PROB, interval_levels, interval_names
from workbench.plots.extrapolation import credible_bands
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    WHISKERS,
    covariate_dimension,
    readable_axes,
    series_color,
)

QUANTITY_LABELS = {
    "learning_rate": ("optimal learning rate", None),
    "batch_size": ("optimal batch size", "tokens"),
}
X_UNITS = {"B": "tokens"}
GRID_POINTS = 60
GRID_MARGIN = 1.5  # the band reaches this factor beyond the settings' range on each side


@readable_axes
def plot_hyperparameter_law(
    fit,
    quantity: str = "learning_rate",
    *,
    x: str | None = None,
    ci_prob: float | None = None,
    inner_prob: float | None = INNER_PROB,
) -> hv.Overlay:
    """Each setting's located optimum with its interval, and the law's posterior bands.

    Parameters
    ----------
    fit : StepLawFit or LearningRateBatchRule
        A fitted sweep model.
    quantity : {"learning_rate", "batch_size"}
        Which optimum to draw.
    x : str, optional
        The law's covariate on the horizontal axis; by default its last one (``D`` for Li et
        al.'s laws, ``B`` for a learning-rate-vs-batch rule). Each distinct value of the other
        covariates among the settings gets its own band and colour.
    ci_prob : float, optional
        Probability of the law's outer credible band and of the error bars on the optima; the
        project's credible level by default.
    inner_prob : float, optional
        Probability of the inner band, drawn darker; None for one band.

    Returns
    -------
    hv.Overlay
        On log–log axes.
    """
    axis = _axis(fit, quantity)
    law = fit.axis_laws[axis]
    x = x or law.covariates[-1]
    if x not in law.covariates:
        raise ValueError(
            f"the {quantity} law's covariates are {law.covariates}; x={x!r} is not one"
        )
    others = [name for name in law.covariates if name != x]
    levels = interval_levels(ci_prob, inner_prob)
    optima = _optima_with_covariates(fit, axis, levels[-1])
    x_dimension = covariate_dimension(x)
    if x in X_UNITS:
        x_dimension = hv.Dimension(x, unit=X_UNITS[x])
    label, unit = QUANTITY_LABELS.get(quantity, (f"optimal {quantity}", None))
    y_dimension = hv.Dimension(quantity, label=label, unit=unit)
    series = optima.groupby(others, sort=True) if others else [((), optima)]
    single = len(series) == 1
    overlay = hv.Overlay()
    for index, (values, members) in enumerate(series):
        fixed = dict(zip(others, np.atleast_1d(values), strict=True))
        name = ", ".join(f"{key}={value:.3g}" for key, value in fixed.items()) or "law"
        band_color = POSTERIOR_COLOR if single else series_color(index)
        point_color = DATA_COLOR if single else series_color(index)
        grid = _grid(optima[x].to_numpy())
        band = fit.predict({x: grid, **fixed}, ci_prob=levels[-1], inner_prob=inner_prob)
        band = band.query("quantity == @quantity and kind == 'mean'")
        overlay *= credible_bands(band, x_dimension, y_dimension, levels, band_color, name)
        overlay *= _points(
            members,
            (x_dimension, y_dimension),
            interval_names(levels[-1], quantity),
            point_color,
            "optima" if single else name,
        )
    draws = fit.draws([f"{axis}_{exponent}" for exponent in law.exponents])
    exponents = ", ".join(
        f"{exponent} = {np.median(draws[f'{axis}_{exponent}']):.3f}" for exponent in law.exponents
    )
    return overlay.opts(
        logx=True,
        logy=True,
        padding=0.05,
        title=f"{label.capitalize()}: {exponents}",
        legend_position="top_right",
        **PLOT_SIZE,
    )


def _axis(fit, quantity: str) -> str:
    axes = {fit.quantities[axis]: axis for axis in fit.axis_laws}
    if quantity not in axes:
        raise ValueError(f"this fit has no {quantity!r}; choose one of {sorted(axes)}")
    return axes[quantity]


def _optima_with_covariates(fit, axis: str, ci_prob: float) -> pd.DataFrame:
    """The optima table with each law covariate's value per setting."""
    optima = fit.optima(ci_prob=ci_prob)
    constant = fit.idata["constant_data"].to_dataset()
    for name in fit.axis_laws[axis].covariates:
        optima[name] = constant[f"covariate_{name}"].values
    return optima


def _grid(values: np.ndarray) -> np.ndarray:
    low, high = np.log(values.min() / GRID_MARGIN), np.log(values.max() * GRID_MARGIN)
    return np.exp(np.linspace(low, high, GRID_POINTS))


def _points(members, dimensions, interval, color, label) -> hv.Overlay:
    (x, y), (low, high) = dimensions, interval
    points = pd.DataFrame(
        {
            x.name: members[x.name].to_numpy(),
            y.name: members[y.name].to_numpy(),
            "below": (members[y.name] - members[low]).to_numpy(),
            "above": (members[high] - members[y.name]).to_numpy(),
        }
    )
    return hv.ErrorBars(points, kdims=[x], vdims=[y, "below", "above"]).opts(
        color=color, line_width=1.5, **WHISKERS
    ) * hv.Scatter(points, kdims=[x], vdims=[y], label=label).opts(
        color=color, size=7, tools=["hover"]
    )
