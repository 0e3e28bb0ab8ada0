"""Per-choice probability laws against compute, and accuracy predicted two ways: by simulating
the comparison of the choices (per-choice laws) and by a sigmoid law of accuracy itself."""

import holoviews as hv

from workbench.downstream import RouteComparison
from workbench.intervals import resolve_ci_prob
from workbench.plots.extrapolation import credible_bands
from workbench.plots.style import (
    DATA_COLOR,
    POSTERIOR_COLOR,
    REFERENCE_COLOR,
    covariate_dimension,
    readable_axes,
    series_color,
)

ROUTES = {"perchoice": "per-choice laws", "direct": "direct accuracy law"}
MASSES = {"p_correct": "correct choice", "p_incorrect": "incorrect choices"}


def observed_points(comparison: RouteComparison, column: str, label: str, color: str):
    """Fitted models as filled points, held-out ones hollow."""
    observed = comparison.observed()
    compute = covariate_dimension("C")
    return [
        hv.Scatter(
            observed[observed["fitted"] == fitted][["C", column]],
            compute,
            hv.Dimension(column),
            label=f"{label}, {'fitted' if fitted else 'held out'}",
        ).opts(
            color=color,
            fill_alpha=1.0 if fitted else 0.0,
            line_color=color,
            size=7,
            tools=["hover"],
        )
        for fitted in (True, False)
    ]


def split_line(comparison: RouteComparison) -> hv.VLine:
    """Where fitting stops: halfway, in log compute, between the last fitted and first held-out
    model."""
    split = (comparison.fitted.compute.max() * comparison.held_out.compute.min()) ** 0.5
    return hv.VLine(split).opts(color=REFERENCE_COLOR, line_dash="dashed")


@readable_axes
def plot_choice_masses(comparison: RouteComparison, *, ci_prob: float | None = None):
    """The mean probability on the correct choice and the mass on the incorrect ones against
    compute: each model's, and the per-choice laws' posterior bands."""
    level = resolve_ci_prob(ci_prob)
    curves = comparison.curves(level)
    compute, probability = covariate_dimension("C"), hv.Dimension("probability")
    layers = []
    for index, (quantity, label) in enumerate(MASSES.items()):
        color = series_color(index)
        frame = curves[curves["quantity"] == quantity]
        layers.append(credible_bands(frame, compute, probability, [level], color, label))
        layers += observed_points(comparison, quantity, label, color)
    return hv.Overlay([*layers, split_line(comparison)]).opts(
        title="Probability on the choices",
        logx=True,
        ylim=(0, 1),
        legend_position="top_left",
    )


@readable_axes
def plot_accuracy_routes(comparison: RouteComparison, *, ci_prob: float | None = None):
    """Each model's accuracy, the per-choice laws' simulated accuracy and the direct accuracy
    law's, with posterior bands, fitted left of the dashed line and predicted right of it."""
    level = resolve_ci_prob(ci_prob)
    curves = comparison.curves(level)
    compute, accuracy = covariate_dimension("C"), hv.Dimension("accuracy")
    layers = [
        credible_bands(
            curves[curves["quantity"] == route], compute, accuracy, [level], color, label
        )
        for (route, label), color in zip(
            ROUTES.items(), (POSTERIOR_COLOR, REFERENCE_COLOR), strict=True
        )
    ]
    layers += observed_points(comparison, "accuracy", "observed", DATA_COLOR)
    return hv.Overlay([*layers, split_line(comparison)]).opts(
        title="Accuracy: per-choice laws vs a direct law",
        logx=True,
        ylim=(0, 1),
        legend_position="top_left",
    )
