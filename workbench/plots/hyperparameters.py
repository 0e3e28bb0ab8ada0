"""Optimal hyperparameters against model and data size: located optima and the fitted law."""

from collections.abc import Sequence

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.hyperparameters.fit import QUANTITIES
from workbench.plots.extrapolation import credible_bands
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    WHISKERS,
    covariate_dimension,
    series_color,
)

QUANTITY_LABELS = {
    "learning_rate": ("optimal learning rate", None),
    "batch_size": ("optimal batch size", "tokens"),
}
X_UNITS = {"B": "tokens"}
GRID_POINTS = 60
GRID_MARGIN = 1.5  # the band reaches this factor beyond the settings' range on each side


def plot_hyperparameter_law(
    fit,
    quantity: str = "learning_rate",
    *,
    x: str | None = None,
    ci_prob: Sequence[float] = (0.5, 0.9),
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
    ci_prob : sequence of float
        Probabilities of the law's credible bands; wider ones are drawn lighter. Error bars on the
        optima show the widest.

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
    widest = max(ci_prob)
    optima = _optima_with_covariates(fit, axis, widest)
    x_dimension = covariate_dimension(x)
    if x in X_UNITS:
        x_dimension = hv.Dimension(x, unit=X_UNITS[x])
    label, unit = QUANTITY_LABELS[quantity]
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
        band = fit.predict({x: grid, **fixed}, ci_prob=ci_prob)
        band = band.query("quantity == @quantity and kind == 'mean'")
        overlay *= credible_bands(band, x_dimension, y_dimension, ci_prob, band_color, name)
        overlay *= _points(
            members, x_dimension, y_dimension, quantity, point_color, "optima" if single else name
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
    axes = {QUANTITIES[axis]: axis for axis in fit.axis_laws}
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


def _points(members, x, y, quantity, color, label) -> hv.Overlay:
    points = pd.DataFrame(
        {
            x.name: members[x.name].to_numpy(),
            y.name: members[quantity].to_numpy(),
            "below": (members[quantity] - members[f"{quantity}_low"]).to_numpy(),
            "above": (members[f"{quantity}_high"] - members[quantity]).to_numpy(),
        }
    )
    return hv.ErrorBars(points, kdims=[x], vdims=[y, "below", "above"]).opts(
        color=color, line_width=1.5, **WHISKERS
    ) * hv.Scatter(points, kdims=[x], vdims=[y], label=label).opts(
        color=color, size=7, tools=["hover"]
    )
