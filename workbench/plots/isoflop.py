"""IsoFLOP analysis: each budget's loss curve and optimum, the frontier, and exponents compared."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.intervals import (
    INNER_PROB,
    interval_levels,
    interval_names,
    percent,
    resolve_ci_prob,
)
from workbench.plots.extrapolation import credible_bands
from workbench.plots.style import (
    DATA_COLOR,
    PLOT_SIZE,
    POSTERIOR_COLOR,
    REFERENCE_COLOR,
    WHISKERS,
    readable_axes,
    series_color,
)

CURVE_POINTS = 40
FRONTIER_REACH = 10.0  # the frontier's band reaches this many times the largest budget
N_DIMENSION = hv.Dimension("N", label="parameters N")
C_DIMENSION = hv.Dimension("C", label="training compute C", unit="FLOPs")
LOSS_DIMENSION = hv.Dimension("loss", label="loss")


@readable_axes
def plot_isoflop_curves(fit, *, ci_prob: float | None = None) -> hv.Overlay:
    """Every budget's runs, its fitted parabola (median and ``ci_prob`` band) over the runs that
    located it, and its optimum N_opt with its interval; one colour per budget.

    Parameters
    ----------
    fit : IsoFlopFit
        A fitted IsoFLOP analysis.
    ci_prob : float, optional
        Probability of the bands and of the optima's error bars; the project's level by default.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    constant = fit.idata["constant_data"].to_dataset()
    column, target = fit.model_size, fit.idata.attrs["target"]
    runs = pd.DataFrame(
        {
            "N": constant[column].values,
            "loss": fit.idata["observed_data"].to_dataset()[target].values,
            "budget": constant["setting_budget"].values[constant["group_of_run"].values],
        }
    )
    optima = fit.budget_optima(ci_prob)
    curves = budget_curves(fit, ci_prob)
    overlay = hv.Overlay()
    for index, row in optima.iterrows():
        color = series_color(index)
        label = f"C = {row['C']:.2g}"
        members = runs[np.isclose(runs["budget"], row["C"])]
        curve = curves[curves["budget"] == index]
        overlay *= credible_bands(curve, N_DIMENSION, LOSS_DIMENSION, [ci_prob], color, "").opts(
            hv.opts.Curve(show_legend=False), hv.opts.Area(show_legend=False)
        )
        overlay *= hv.Scatter(
            members, kdims=[N_DIMENSION], vdims=[LOSS_DIMENSION], label=label
        ).opts(color=color, size=5, alpha=0.7, tools=["hover"])
        overlay *= _optimum(row, color, ci_prob)
    return overlay.opts(
        logx=True,
        logy=True,
        title=f"IsoFLOP curves near each minimum ({len(optima)} budgets)",
        legend_position="right",
        legend_limit=100,  # HoloViews hides legends of more than 25 entries, hidden ones included
        width=PLOT_SIZE["width"] + 120,
        height=PLOT_SIZE["height"],
    )


@readable_axes
def plot_isoflop_frontier(
    fit, *, ci_prob: float | None = None, inner_prob: float | None = INNER_PROB
) -> hv.Overlay:
    """N_opt against C: each budget's optimum with its interval and the law N_opt = A·C^a with
    its bands, drawn to ten times the largest budget."""
    levels = interval_levels(ci_prob, inner_prob)
    optima = fit.budget_optima(levels[-1])
    budgets = optima["C"].to_numpy()
    grid = np.geomspace(budgets.min() / 1.5, budgets.max() * FRONTIER_REACH, CURVE_POINTS)
    band = fit.predict(C=grid, ci_prob=levels[-1], inner_prob=inner_prob)
    band = band.query("quantity == 'N_opt' and kind == 'mean'")
    n_opt = hv.Dimension("N_opt", label="compute-optimal N", unit="parameters")
    exponents = fit.exponents(levels[-1])
    low, high = interval_names(levels[-1])
    title = (
        f"Frontier: N_opt ∝ C^a, a = {exponents.loc['a', 'median']:.3f} "
        f"[{exponents.loc['a', low]:.3f}, {exponents.loc['a', high]:.3f}]"
    )
    points = pd.DataFrame(
        {
            "C": budgets,
            "N_opt": optima["N_opt"].to_numpy(),
            "below": (optima["N_opt"] - optima[f"N_opt_{low}"]).to_numpy(),
            "above": (optima[f"N_opt_{high}"] - optima["N_opt"]).to_numpy(),
        }
    )
    overlay = credible_bands(band, C_DIMENSION, n_opt, levels, POSTERIOR_COLOR, "law")
    overlay *= hv.ErrorBars(points, kdims=[C_DIMENSION], vdims=[n_opt, "below", "above"]).opts(
        color=DATA_COLOR, line_width=1.5, **WHISKERS
    )
    overlay *= hv.Scatter(points, kdims=[C_DIMENSION], vdims=[n_opt], label="budget optima").opts(
        color=DATA_COLOR, size=7, tools=["hover"]
    )
    return overlay.opts(logx=True, logy=True, title=title, legend_position="top_left", **PLOT_SIZE)


@readable_axes
def plot_exponents(table: pd.DataFrame, *, ci_prob: float | None = None) -> hv.Overlay:
    """Exponents of several fits side by side, each with its interval, beside published values.

    Parameters
    ----------
    table : DataFrame
        One row per fit: ``label``, ``median`` and the ``ci_prob`` interval's columns
        (``ci_low_90``, ``ci_high_90``); optionally ``published``, ``published_low`` and
        ``published_high``, drawn in grey on the row below it.
    ci_prob : float, optional
        The level of the table's interval columns; the project's level by default.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    low, high = interval_names(ci_prob)
    sources = {"ours": ("median", low, high)}
    if "published" in table:
        sources["published"] = ("published", "published_low", "published_high")
    rows = [
        {
            "row": f"{row['label']} ({source})" if len(sources) > 1 else row["label"],
            "source": source,
            "a": row[middle],
            "below": row[middle] - row[lower],
            "above": row[upper] - row[middle],
        }
        for _, row in table.iterrows()
        for source, (middle, lower, upper) in sources.items()
    ]
    frame = pd.DataFrame(rows)
    colors = hv.dim("source").categorize({"ours": POSTERIOR_COLOR, "published": REFERENCE_COLOR})
    setting = hv.Dimension("row", label="setting")
    exponent = hv.Dimension("a", label="exponent a of N_opt ∝ C^a")
    bars = hv.ErrorBars(frame, kdims=[setting], vdims=[exponent, "below", "above", "source"])
    points = hv.Scatter(frame, kdims=[setting], vdims=[exponent, "source"])
    return (
        bars.opts(color=colors, line_width=3, **WHISKERS)
        * points.opts(color=colors, size=9, tools=["hover"])
    ).opts(
        invert_axes=True,
        invert_yaxis=True,
        title=f"Exponent a by setting: posterior median and {percent(ci_prob)} % interval",
        width=PLOT_SIZE["width"] + 240,
        height=max(PLOT_SIZE["height"], 80 + 28 * len(frame)),
    )


def budget_curves(fit, ci_prob: float) -> pd.DataFrame:
    """Each budget's fitted curve over the range of runs that located it: ``budget`` (row of the
    budgets table), ``N``, ``median`` and the ``ci_prob`` interval of the loss."""
    constant = fit.idata["constant_data"].to_dataset()
    draws = fit.draws(["loss_offset", "log_N_opt", "N_log_curvature_group"])
    best = constant["setting_best_loss"].values
    group = constant["group_of_run"].values
    sizes = constant[fit.model_size].values
    low, high = interval_names(ci_prob)
    tail = (1 - ci_prob) / 2
    frames = []
    for index in range(len(best)):
        members = sizes[group == index]
        grid = np.geomspace(members.min(), members.max(), CURVE_POINTS)
        delta = np.log(grid)[None, :] - draws["log_N_opt"][:, index, None]
        curvature = np.exp(draws["N_log_curvature_group"][:, index, None])
        loss = best[index] * np.exp(
            draws["loss_offset"][:, index, None] + 0.5 * (curvature * delta) ** 2
        )
        frames.append(
            pd.DataFrame(
                {
                    "budget": index,
                    "N": grid,
                    "median": np.median(loss, axis=0),
                    low: np.quantile(loss, tail, axis=0),
                    high: np.quantile(loss, 1 - tail, axis=0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _optimum(row, color: str, ci_prob: float) -> hv.Overlay:
    low, high = interval_names(ci_prob, "N_opt")
    point = pd.DataFrame(
        {
            "N": [row["N_opt"]],
            "loss": [row["loss_opt"]],
            "left": [row["N_opt"] - row[low]],
            "right": [row[high] - row["N_opt"]],
        }
    )
    return hv.ErrorBars(
        point, kdims=[N_DIMENSION], vdims=[LOSS_DIMENSION, "left", "right"], horizontal=True
    ).opts(color=color, line_width=2, **WHISKERS) * hv.Scatter(
        point, kdims=[N_DIMENSION], vdims=[LOSS_DIMENSION]
    ).opts(color=color, marker="diamond", size=11, line_color="black")
