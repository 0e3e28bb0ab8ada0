"""Small pieces the views share: error alerts, plot panes and number formatting."""

import holoviews as hv
import holoviews.plotting.bokeh
import holoviews.plotting.mpl  # registers Matplotlib, for PNG export
import panel as pn

# The plot functions set options, which needs a loaded backend. Importing the backends, unlike
# hv.extension, displays nothing in a notebook; Bokeh stays the default for the dashboard.
hv.Store.set_current_backend("bokeh")


def error_alert() -> pn.pane.Alert:
    """A hidden red alert that ``show_error`` fills in."""
    return pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")


def show_error(alert: pn.pane.Alert, message: str = "") -> None:
    """Show ``message`` in ``alert``, or hide the alert when it is empty."""
    alert.param.update(object=message, visible=bool(message))


def plot_pane(**params) -> pn.pane.HoloViews:
    """An empty HoloViews pane that keeps the width of its container."""
    return pn.pane.HoloViews(None, sizing_mode="stretch_width", **params)


def plot_or_alert(function, *args, **kwargs):
    """``function(*args, **kwargs)`` as a pane, or an alert saying why it could not be drawn.

    Plots are a view of a fit; one that fails (e.g. a law without a compute optimum) should not
    take the rest of the page with it.
    """
    try:
        plot = function(*args, **kwargs)
    except Exception as error:
        return pn.pane.Alert(
            f"Could not draw this plot: {error}", alert_type="warning", sizing_mode="stretch_width"
        )
    return pn.pane.HoloViews(plot, sizing_mode="stretch_width")


def is_plot(obj) -> bool:
    return isinstance(obj, hv.core.Dimensioned)


def short_number(value: float) -> str:
    """``70000000000.0`` -> ``7e+10``, for labels and messages."""
    return f"{value:.4g}"
