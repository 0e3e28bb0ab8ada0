"""The Compare tab: fit several laws to the same runs and compare them by LOO."""

import pandas as pd
import panel as pn
import param

from workbench.app.common import error_alert, plot_or_alert, show_error
from workbench.app.jobs import FitJob
from workbench.app.state import WorkbenchState
from workbench.fitting import FitCancelled, ScalingLawFit
from workbench.laws import LAWS, get_law
from workbench.plots import plot_comparison
from workbench.predict import compare

DEFAULT_LAWS = ["chinchilla", "kaplan_joint"]


class CompareView(pn.viewable.Viewer):
    """Fit each chosen law in turn off the event loop, then show the LOO table and the curves."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    laws = param.ListSelector(
        default=DEFAULT_LAWS, objects=list(LAWS), doc="Law families to fit and compare."
    )
    covariate = param.Selector(
        default="C", objects=["N", "D", "C"], doc="Covariate of one-covariate families."
    )
    random_seed = param.Integer(default=1, bounds=(0, 2**32 - 1), doc="Seed of every fit.")
    running = param.Boolean(default=False, doc="Whether the fits are running.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._job: FitJob | None = None
        self._cancelled = False
        self._laws_choice = pn.widgets.MultiChoice.from_param(self.param.laws, label="Laws")
        self._covariate_select = pn.widgets.Select.from_param(
            self.param.covariate, label="Covariate of one-covariate laws", width=220
        )
        self._compare_button = pn.widgets.Button(label="Fit and compare", color="primary")
        self._cancel_button = pn.widgets.Button(label="Cancel", color="warning", disabled=True)
        self._progress = pn.Column()
        self._alert = error_alert()
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, sizing_mode="stretch_width"
        )
        self._plot = pn.Column(sizing_mode="stretch_width")
        self._compare_button.on_click(self.run_comparison)
        self._cancel_button.on_click(self.cancel)

    def configured_law(self, name: str):
        options = {"covariate": self.covariate} if "covariate" in get_law(name).options else {}
        return get_law(name, **options)

    async def run_comparison(self, event=None) -> None:
        """Fit each law (progress per law), store them in ``state.fits`` and compare them."""
        if self.running:
            return
        show_error(self._alert)
        if self.state.runs is None:
            show_error(self._alert, "Could not compare: load runs in the Data tab first")
            return
        if len(self.laws) < 2:
            show_error(self._alert, "Could not compare: choose at least two laws")
            return
        runs = self.state.runs
        bars = {
            name: pn.indicators.Progress(value=0, max=100, width=250, bar_color="primary")
            for name in self.laws
        }
        notes = {name: pn.pane.Markdown("waiting", width=300) for name in self.laws}
        self._progress[:] = [
            pn.Row(pn.pane.Markdown(f"**{name}**", width=160), bars[name], notes[name])
            for name in self.laws
        ]
        self._set_running(True)
        fits = {}
        try:
            for name in self.laws:
                if self._cancelled:
                    notes[name].object = "skipped"
                    continue
                fit = ScalingLawFit(self.configured_law(name))
                self._job = FitJob(fit, runs, random_seed=self.random_seed)
                notes[name].object = (
                    "compiling, then sampling" if self._job.needs_compiling else ("sampling")
                )

                def show(fraction, bar=bars[name]):
                    bar.value = int(100 * fraction) if fraction > 0 else -1

                try:
                    fits[name] = await self._job.run_async(show)
                except FitCancelled:
                    notes[name].object = "cancelled"
                except Exception as error:
                    notes[name].object = f"failed: {error}"
                else:
                    notes[name].object = f"done in {self._job.seconds:.1f} s"
        finally:
            self._job = None
            self._set_running(False)
        self.state.fits = fits
        self._show_comparison(fits)

    def cancel(self, event=None) -> None:
        """Stop the running fit and skip the laws not yet fitted."""
        self._cancelled = True
        if self._job is not None:
            self._job.cancel.set()

    def _set_running(self, running: bool) -> None:
        self.running = running
        self._cancelled = False if running else self._cancelled
        self._compare_button.disabled = running
        self._cancel_button.disabled = not running

    def _show_comparison(self, fits: dict) -> None:
        try:
            table = compare(fits)
        except ValueError as error:
            show_error(self._alert, f"Could not compare: {error}")
            self._table.value = pd.DataFrame()
            self._plot[:] = []
            return
        self._table.value = table.round(3)
        self._plot[:] = [plot_or_alert(plot_comparison, fits)]

    def __panel__(self):
        return pn.Column(
            pn.Row(self._laws_choice, self._covariate_select),
            pn.Row(self._compare_button, self._cancel_button),
            self._progress,
            self._alert,
            pn.Row(
                pn.Column(pn.pane.Markdown("**LOO comparison** (best first)"), self._table),
                self._plot,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
