"""An ipywidgets-native quick explorer for a fitted law, for notebooks without Panel.

``explore(fit)`` returns a widget: move the target-size slider and the credible-interval readout
and the extrapolation plot follow. Call ``hv.extension("bokeh")`` in the notebook first, as for
any HoloViews plot.
"""

import html

import holoviews.plotting.bokeh  # noqa: F401 - the plots carry bokeh options
import ipywidgets as widgets
import numpy as np
from IPython.display import display

from workbench.intervals import interval_names, percent, resolve_ci_prob
from workbench.plots import plot_extrapolation


class Explorer:
    """Sliders for a target size (and tokens per parameter), a readout and a plot.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted law.
    ci_prob : float, optional
        Probability of the interval in the readout and the plot's outer band; the project's
        credible level by default.
    """

    def __init__(self, fit, ci_prob: float | None = None):
        self.fit = fit
        self.ci_prob = resolve_ci_prob(ci_prob)
        self.covariate = "N" if "N" in fit.law.covariates else fit.law.covariates[0]
        observed = fit.idata["constant_data"][self.covariate].values
        low, high = np.log10(observed.min()), np.log10(observed.max())
        self.size = widgets.FloatLogSlider(
            value=10 ** (high + 1),
            base=10,
            min=low,
            max=high + 3,
            step=0.05,
            description=f"target {self.covariate}",
            readout_format=".3g",
            continuous_update=False,
        )
        self.tokens_per_parameter = None
        if {"N", "D"} <= set(fit.law.covariates):
            data = fit.idata["constant_data"]
            ratio = float(np.median(data["D"].values / data["N"].values))
            self.tokens_per_parameter = widgets.FloatLogSlider(
                value=ratio,
                base=10,
                min=0,
                max=3,
                step=0.05,
                description="tokens / param",
                readout_format=".3g",
                continuous_update=False,
            )
        self.readout = widgets.HTML()
        self.plot = widgets.Output()
        sliders = [self.size, self.tokens_per_parameter]
        for slider in filter(None, sliders):
            slider.observe(lambda change: self.update(), names="value")
        self.widget = widgets.VBox([*filter(None, sliders), self.readout, self.plot])
        self.update()

    def targets(self) -> dict[str, np.ndarray]:
        targets = {self.covariate: np.array([self.size.value])}
        if self.tokens_per_parameter is not None:
            targets["D"] = targets["N"] * self.tokens_per_parameter.value
        return targets

    def update(self) -> None:
        targets = self.targets()
        # Every slider move predicts again: the readout says when the target is past the
        # calibration's evidence, instead of a warning per move.
        table = self.fit.predict(targets, ci_prob=self.ci_prob, warn=False)
        row = table.query("kind == 'observation'").iloc[0]
        where = ", ".join(f"{name} = {values[0]:.3g}" for name, values in targets.items())
        low, high = (row[name] for name in interval_names(self.ci_prob))
        beyond = (
            f"; {row['distance']:.2g} decades past the data, beyond the evidence of the "
            "calibration: the interval may be too narrow"
            if row["beyond_evidence"]
            else ""
        )
        self.readout.value = html.escape(
            f"{self.fit.target_} at {where}: {row['median']:.4f} "
            f"[{low:.4f}, {high:.4f}] ({percent(self.ci_prob)}% interval){beyond}"
        )
        self.figure = plot_extrapolation(self.fit, targets, ci_prob=self.ci_prob)
        self.plot.clear_output(wait=True)
        with self.plot:
            display(self.figure)


def explore(fit, ci_prob: float | None = None) -> widgets.VBox:
    """The quick explorer widget for ``fit`` (see :class:`Explorer`)."""
    return Explorer(fit, ci_prob=ci_prob).widget
