"""The Export tab: the fit as netCDF, predictions as CSV, and plots as HTML or PNG."""

import io
import tempfile
from pathlib import Path

import holoviews as hv
import panel as pn
import param
from matplotlib import ticker

from workbench.app.card import card_html
from workbench.app.common import csv_download, error_alert, offer_csv, show_error
from workbench.app.offline import standalone_html
from workbench.app.state import WorkbenchState
from workbench.backtesting.auto import AUTO
from workbench.plots import (
    plot_comparison,
    plot_compute_optimal,
    plot_extrapolation,
    plot_loo_pit,
    plot_pair,
    plot_posteriors,
    plot_ppc,
    plot_residuals,
    plot_runs,
)

PNG_DPI = 120
# Options that mean the same to both backends; the plots set them for Bokeh only.
SHARED_PLOT_OPTIONS = ("logx", "logy", "xlim", "ylim", "title", "xlabel", "ylabel", "invert_yaxis")
SHARED_STYLE_OPTIONS = ("color", "alpha")


def _fit_plot(function):
    return lambda state: function(state.fit)


def _fit_plot_at_level(function):
    """A plot with intervals, at the session's credible level."""
    return lambda state: function(state.fit, ci_prob=state.ci_prob)


PLOTS = {
    "Runs": lambda state: plot_runs(state.runs),
    "Posterior predictive": _fit_plot_at_level(plot_ppc),
    "LOO-PIT": _fit_plot(plot_loo_pit),
    "Residuals": _fit_plot(plot_residuals),
    "Posteriors": _fit_plot(plot_posteriors),
    "Pair plot": _fit_plot(plot_pair),
    "Extrapolation": _fit_plot_at_level(plot_extrapolation),
    "Compute-optimal": _fit_plot_at_level(plot_compute_optimal),
    "Comparison": lambda state: plot_comparison(state.fits, ci_prob=state.ci_prob),
}
"""Each exportable plot, drawn from the session's state."""


def available_plots(state: WorkbenchState) -> list[str]:
    """Plots that the state has what they need for."""
    names = ["Runs"] if state.runs is not None else []
    if state.fit is not None:
        names += [name for name in PLOTS if name not in ("Runs", "Comparison")]
        if not state.fit.law.has_compute_optimum:
            names.remove("Compute-optimal")
    if state.fits:
        names.append("Comparison")
    return names


def plot_html(plot) -> str:
    """A stand-alone HTML page of a HoloViews plot (Bokeh, interactive) that opens offline."""
    return standalone_html(plot, title=plot.label or "Scaling Workbench plot")


def plot_png(plot) -> bytes:
    """A PNG of a HoloViews plot, drawn with Matplotlib without changing the default backend."""
    buffer = io.BytesIO()
    png_figure(plot).savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
    return buffer.getvalue()


def png_figure(plot):
    """The Matplotlib figure :func:`plot_png` saves: ``plot`` with its Bokeh options carried
    over and plain log tick labels."""
    figure = hv.render(for_matplotlib(plot), backend="matplotlib")
    plain_log_ticks(figure)
    return figure


def plain_log_ticks(figure) -> None:
    """Log axes of a Matplotlib ``figure`` label ticks between 1e-3 and 1e4 as plain numbers
    (``2.8``, not ``2.8×10⁰``); which ticks get a label stays Matplotlib's choice."""
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            if axis.get_scale() != "log":
                continue
            for formatter, install in (
                (axis.get_major_formatter(), axis.set_major_formatter),
                (axis.get_minor_formatter(), axis.set_minor_formatter),
            ):

                def label(value, position, chosen=formatter):
                    text = chosen(value, position)
                    return f"{value:.3g}" if text and 1e-3 <= abs(value) < 1e4 else text

                install(ticker.FuncFormatter(label))


def for_matplotlib(plot):
    """A copy of ``plot`` carrying its Bokeh log axes, limits, titles and colours to Matplotlib.

    Options are stored per backend, so without this a PNG would lose e.g. the log axes.
    """

    def carry(obj):
        plot_options = hv.Store.lookup_options("bokeh", obj, "plot").kwargs
        style_options = hv.Store.lookup_options("bokeh", obj, "style").kwargs
        options = {key: plot_options[key] for key in SHARED_PLOT_OPTIONS if key in plot_options}
        if isinstance(obj, hv.Element):
            options |= {k: style_options[k] for k in SHARED_STYLE_OPTIONS if k in style_options}
        return obj.opts(backend="matplotlib", **options) if options else obj

    return plot.map(carry, [hv.Element, hv.Overlay])


class ExportView(pn.viewable.Viewer):
    """Downloads of the session's fit, predictions and plots."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    plot = param.Selector(default=None, objects=[], allow_None=True, doc="The plot to export.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._alert = error_alert()
        self._fit_download = pn.widgets.FileDownload(
            callback=self.fit_netcdf, filename="fit.nc", label="Save fit (netCDF)"
        )
        self._predictions_download = csv_download("Save predictions (CSV)", "predictions.csv")
        self._plot_select = pn.widgets.Select.from_param(self.param.plot, label="Plot")
        self._html_download = pn.widgets.FileDownload(
            callback=self.plot_html, filename="plot.html", label="Save plot (HTML)"
        )
        self._png_download = pn.widgets.FileDownload(
            callback=self.plot_png, filename="plot.png", label="Save plot (PNG)"
        )
        self._card_download = pn.widgets.FileDownload(
            callback=self.card, filename="scaling_law_card.html", label="Save the scaling-law card"
        )
        self._missing = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._on_state()

    @param.depends(
        "state.runs", "state.fit", "state.ensemble", "state.fits", "state.predictions", watch=True
    )
    def _on_state(self):
        state = self.state
        names = available_plots(state)
        self.param.plot.objects = list(names)  # param may add to the list it is given
        if self.plot not in names:
            self.plot = names[0] if names else None
        self._fit_download.disabled = self._card_download.disabled = state.fit is None
        if state.fit is not None:
            name = AUTO if state.ensemble is not None else state.fit.law.name
            self._fit_download.filename = f"{name}_fit.nc"
        offer_csv(self._predictions_download, state.predictions)
        self._html_download.disabled = self._png_download.disabled = not names
        self._missing.object = "\n".join(
            f"- {reason}"
            for reason, missing in (
                (
                    "*Save fit* and *Save the scaling-law card* need a fit: fit a law on the Fit "
                    "tab.",
                    state.fit is None,
                ),
                (
                    "*Save predictions* needs predictions: press Predict on the Extrapolate tab.",
                    state.predictions is None,
                ),
                ("*Save plot* needs runs to draw: load them on the Data tab.", not names),
            )
            if missing
        )

    @param.depends("plot", watch=True)
    def _on_plot(self):
        stem = (self.plot or "plot").lower().replace(" ", "_")
        self._html_download.filename = f"{stem}.html"
        self._png_download.filename = f"{stem}.png"

    # -- file contents (also usable without a browser) -------------------------------------
    def fit_netcdf(self) -> io.BytesIO:
        """The fit as netCDF; for an auto fit, every stacked law and the weights
        (``workbench.backtesting.load_fit`` reads either)."""
        fitted = self.state.ensemble if self.state.ensemble is not None else self.state.fit
        with tempfile.TemporaryDirectory() as folder:
            path = fitted.save(Path(folder) / "fit.nc")
            return io.BytesIO(path.read_bytes())

    def card(self) -> io.StringIO:
        """The scaling-law card (``workbench.app.card``): predictions at the Extrapolate tab's
        targets when it has predicted, else at ten times the largest run."""
        state = self.state
        fitted = state.ensemble if state.ensemble is not None else state.fit
        targets = None
        if state.predictions is not None:
            names = [name for name in state.fit.law.covariates if name in state.predictions]
            rows = state.predictions[state.predictions["kind"] == "observation"]
            targets = {name: rows[name].to_numpy() for name in names}
        try:
            page = card_html(fitted, targets, state.ci_prob)
        except Exception as error:
            show_error(self._alert, f"Could not make the scaling-law card: {error}")
            return io.StringIO("")
        show_error(self._alert)
        return io.StringIO(page)

    def current_plot(self):
        return PLOTS[self.plot](self.state)

    def plot_html(self) -> io.StringIO:
        return io.StringIO(self._drawn(plot_html, ""))

    def plot_png(self) -> io.BytesIO:
        return io.BytesIO(self._drawn(plot_png, b""))

    def _drawn(self, render, empty):
        try:
            content = render(self.current_plot())
        except Exception as error:
            show_error(self._alert, f"Could not export the {self.plot} plot: {error}")
            return empty
        show_error(self._alert)
        return content

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown("**Fit and predictions**"),
            pn.Row(self._fit_download, self._predictions_download, self._card_download),
            self._missing,
            pn.pane.Markdown("**Plots**"),
            pn.Row(self._plot_select, self._html_download, self._png_download),
            self._alert,
            sizing_mode="stretch_width",
        )
