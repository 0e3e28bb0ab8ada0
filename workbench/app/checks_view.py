"""The Checks tab: posterior predictive checks, LOO-PIT, residuals and posteriors of the fit."""

import panel as pn
import param

from workbench.app.common import StaleNote, markdown_literal, plot_or_alert
from workbench.app.state import WorkbenchState
from workbench.plots import (
    plot_calibration,
    plot_loo_pit,
    plot_pair,
    plot_posteriors,
    plot_ppc,
    plot_residuals,
)

CALIBRATION_CHECK = "Extrapolation calibration"
CHECKS = {
    "Posterior predictive": plot_ppc,
    "LOO-PIT": plot_loo_pit,
    CALIBRATION_CHECK: plot_calibration,
    "Residuals": plot_residuals,
    "Posteriors": plot_posteriors,
    "Pair plot": plot_pair,
}
"""Title of each check and the plot function drawing it from a fit."""


class ChecksView(pn.viewable.Viewer):
    """Plots that say whether the current fit describes the runs it was fitted to."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._empty = pn.pane.Markdown("No fit yet: fit a law first.")
        self._stale = StaleNote(state=self.state, about="fit")
        self._shown_law = pn.pane.Markdown("", visible=False)
        # Only the open sub-tab is sent to the browser; the pair plot is large.
        self._tabs = pn.Tabs(dynamic=True, sizing_mode="stretch_width")
        self._on_fit()

    @param.depends("state.fit", "state.ensemble", "state.ci_prob", watch=True)
    def _on_fit(self):
        fit = self.state.fit
        self._empty.visible = fit is None
        # An auto fit is a mixture; its checks are those of the law with the largest weight.
        if self.state.ensemble is not None:
            self._shown_law.object = (
                f"Checks of **{markdown_literal(fit.law.label)}**, the top-weighted law of the "
                "auto fit; the "
                "extrapolation calibration is the whole mixture's."
            )
        self._shown_law.visible = self.state.ensemble is not None
        active = self._tabs.active
        self._tabs[:] = (
            [
                (title, plot_or_alert(function, self._checked(title), **self._options(title)))
                for title, function in CHECKS.items()
            ]
            if fit is not None
            else []
        )
        if self._tabs.objects:
            self._tabs.active = min(active, len(self._tabs) - 1)

    def _options(self, title: str) -> dict:
        # These checks draw intervals, at the session's level.
        with_level = CHECKS[title] in (plot_ppc, plot_calibration)
        return {"ci_prob": self.state.ci_prob} if with_level else {}

    def _checked(self, title: str):
        """What the check titled ``title`` draws: the fit, except that an auto fit's intervals
        use the calibration of the mixture as a whole, not the top law's."""
        if title == CALIBRATION_CHECK and self.state.ensemble is not None:
            return self.state.ensemble.calibration_
        return self.state.fit

    def __panel__(self):
        return pn.Column(
            self._empty, self._stale, self._shown_law, self._tabs, sizing_mode="stretch_width"
        )
