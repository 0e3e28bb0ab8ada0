"""Colours and axis dimensions shared by every plot, so figures read the same everywhere."""

import functools

import holoviews as hv
from bokeh.models import BasicTickFormatter, CustomJSTickFormatter

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
ROW_WIDTH = 1080
"""The widest a row of plots may be, so that it fits a JupyterLab notebook and the dashboard in
a 1400 px window (three 480 px panels made a row 1440 px wide, cut off on the right)."""
WHISKERS = {"lower_head": None, "upper_head": None}  # plain interval lines, in the bar colour


def side_by_side(panels) -> hv.Layout:
    """``panels`` in one row, each narrowed from :data:`PLOT_SIZE` so the row fits ROW_WIDTH."""
    width = min(PLOT_SIZE["width"], ROW_WIDTH // len(panels))
    height = round(width * PLOT_SIZE["height"] / PLOT_SIZE["width"])
    return hv.Layout([panel.opts(width=width, height=height) for panel in panels]).cols(len(panels))


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


READABLE_TICKS = CustomJSTickFormatter(
    code="""
if (tick === 0) return "0";
const size = Math.abs(tick);
const spacing = (ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 0) || size;
// As many significant digits as tell neighbouring ticks apart, and no more: those of the
// spacing (2 for 0.25), shifted by how many decades the tick lies above it.
let places = 1;
while (places < 6 && Math.abs(Number(spacing.toPrecision(places)) - spacing) > 1e-9 * spacing) {
  places += 1;
}
const decades = Math.floor(Math.log10(size)) - Math.floor(Math.log10(spacing));
const digits = Math.min(8, Math.max(1, decades + places));
if (size >= 1e5 || size < 1e-3) {
  const [mantissa, exponent] = tick.toExponential(digits - 1).split("e");
  return mantissa.replace(/\\.?0+$/, "") + "e" + exponent;
}
return String(Number(tick.toPrecision(digits)));
"""
)
"""Tick labels of linear axes: the digits the tick spacing needs (``3e+11``, not
``2.999999999990e+11``), scientific notation outside 1e-3 to 1e5. Log axes keep Bokeh's.
Axes get copies: a Bokeh model belongs to one document (a session, notebook output or page)."""


def readable_ticks(plot, element) -> None:
    """Bokeh hook: linear axes label their ticks with a copy of :data:`READABLE_TICKS`."""
    for name in ("xaxis", "yaxis"):
        axis = plot.handles.get(name)
        if axis is not None and type(axis.formatter) is BasicTickFormatter:
            axis.formatter = CustomJSTickFormatter(code=READABLE_TICKS.code)


def readable_axes(function):
    """Decorate a plot function: every element it draws gets :func:`readable_ticks`."""

    @functools.wraps(function)
    def plot(*args, **kwargs):
        return function(*args, **kwargs).map(
            lambda element: element.opts(hooks=[readable_ticks], backend="bokeh"), [hv.Element]
        )

    return plot
