"""Grouped fits: one credible band per group along a scale axis, and where the curves cross."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.intervals import interval_names, resolve_ci_prob, summarize_draws
from workbench.plots.style import (
    PLOT_SIZE,
    band_alpha,
    covariate_dimension,
    readable_axes,
    series_color,
    target_dimension,
)


@readable_axes
def plot_groups(fit, comparison, *, ci_prob: float | None = None) -> hv.Overlay:
    """Each group's runs, posterior median and ``ci_prob`` band, and the crossover scales.

    Parameters
    ----------
    fit : ScalingLawFit
        A grouped fit.
    comparison : GroupComparison
        From :func:`workbench.predict.groups.compare_groups`; its path is the x axis.
    ci_prob : float, optional
        Probability of the bands; the project's credible level by default.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    scale = comparison.scale
    x, y = covariate_dimension(scale), target_dimension(fit.target_)
    constant = fit.idata["constant_data"]
    observed = fit.idata["observed_data"][fit.target_].values
    layers = []
    for index, group in enumerate(fit.groups_):
        color = series_color(index)
        draws = np.exp(fit.log_mean_draws(comparison.path, group))
        bands = summarize_draws(draws, (ci_prob,))
        values = comparison.path[scale]
        layers.append(
            hv.Area(
                (values, *(bands[name] for name in interval_names(ci_prob))),
                kdims=[x],
                vdims=[y, f"{y.name}_high"],
                label=group,
            ).opts(color=color, alpha=band_alpha(ci_prob), line_alpha=0)
        )
        layers.append(
            hv.Curve((values, bands["median"]), kdims=[x], vdims=[y], label=group).opts(
                color=color, line_width=2
            )
        )
        members = constant["group"].values == group
        points = pd.DataFrame({x.name: constant[scale].values[members], y.name: observed[members]})
        layers.append(
            hv.Scatter(points, kdims=[x], vdims=[y], label=group).opts(color=color, size=6)
        )
    crossings = comparison.pairs["crossover_median"].dropna()
    layers += [hv.VLine(value).opts(color="black", line_dash="dashed") for value in crossings]
    return hv.Overlay(layers).opts(
        logx=True,
        logy=True,
        title="Groups and crossovers",
        legend_position="top_right",
        **PLOT_SIZE,
    )
