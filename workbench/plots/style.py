"""Colours and axis dimensions shared by every plot, so figures read the same everywhere."""

import holoviews as hv

from workbench.laws import COVARIATE_UNITS

DATA_COLOR = "#3b4a5a"
POSTERIOR_COLOR = "#d9480f"
REFERENCE_COLOR = "#868e96"
SERIES_COLORS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
)
"""Distinct colours for groups of runs and for competing laws, in order of appearance."""

TARGET_UNITS = {"loss": "nats/token"}
PLOT_SIZE = {"width": 480, "height": 360}
WHISKERS = {"lower_head": None, "upper_head": None}  # plain interval lines, in the bar colour


def series_color(index: int) -> str:
    """The ``index``-th series colour, cycling when there are more series than colours."""
    return SERIES_COLORS[index % len(SERIES_COLORS)]


def band_alpha(ci_prob: float) -> float:
    """Opacity of a credible band: wider intervals are drawn lighter so the nested bands show."""
    return 0.1 + 0.5 * (1 - ci_prob)


def covariate_dimension(name: str) -> hv.Dimension:
    """Axis for N, D or C, labelled with its unit, e.g. "C (FLOPs)"."""
    return hv.Dimension(name, unit=COVARIATE_UNITS.get(name))


def target_dimension(target: str, prefix: str = "") -> hv.Dimension:
    """Axis for the target: "loss (nats/token)" for ``loss``, else the target's own name.

    ``prefix`` names a variant of the target on its own axis, e.g. "observed" or "predicted".
    """
    spec = (f"{prefix}_{target}", f"{prefix} {target}") if prefix else target
    return hv.Dimension(spec, unit=TARGET_UNITS.get(target))
