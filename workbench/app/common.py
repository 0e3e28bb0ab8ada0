"""Small pieces the views share: error alerts, plot panes, number formatting and the weights of
an auto fit."""

import holoviews as hv
import holoviews.plotting.bokeh
import holoviews.plotting.mpl  # registers Matplotlib, for PNG export
import pandas as pd
import panel as pn

from workbench.fitting import ScalingLawFit
from workbench.predict import LawEnsemble

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


def ensemble_weights(ensemble: LawEnsemble) -> pd.DataFrame:
    """Every law an auto fit considered, heaviest first: its weight in the mixture (0 when
    dropped) and what the weights were stacked on (``lfo``, or ``psis-loo`` for small tables)."""
    laws = list(ensemble.considered_)
    table = pd.DataFrame(
        {
            "law": laws,
            "weight": [float(ensemble.weights_.get(law, 0.0)) for law in laws],
            "source": ensemble.weights_from_,
        }
    )
    return table.sort_values("weight", ascending=False, kind="stable", ignore_index=True)


def top_fit(ensemble: LawEnsemble) -> ScalingLawFit:
    """The fit of the law with the largest stacking weight."""
    return ensemble.fits_[ensemble.weights_.idxmax()]
