"""The Groups tab: one curve per group (data set, architecture, ...), ranked at a target."""

import pandas as pd
import panel as pn
import param

from workbench.app.common import error_alert, plot_or_alert, show_error, show_table
from workbench.app.jobs import FitJob
from workbench.app.state import WorkbenchState
from workbench.fitting import FitCancelled, ScalingLawFit
from workbench.laws import LAWS, get_law
from workbench.plots import plot_groups
from workbench.predict.groups import compare_groups
from workbench.runs import parse_quantity

GROUPED_LAWS = [name for name in LAWS if set(get_law(name).covariates) <= {"N", "D", "C"}]


def group_columns(runs) -> list[str]:
    """Columns that can split runs into groups: text or few distinct values, not the run id."""
    if runs is None:
        return []
    frame = runs.data.drop(columns=["run"], errors="ignore")
    return [
        column
        for column in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[column]) and 2 <= frame[column].nunique() <= 20
    ]


class GroupsView(pn.viewable.Viewer):
    """Fit a law with partial pooling across groups and compare the groups at a target."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    group_column = param.Selector(default=None, objects=[], doc="Column whose values are groups.")
    law = param.Selector(default="chinchilla", objects=GROUPED_LAWS, doc="Law fitted per group.")
    target_N = param.String(default="7B", doc="Parameters at which to rank the groups.")
    target_D = param.String(default="140B", doc="Tokens at which to rank the groups.")
    random_seed = param.Integer(default=1, bounds=(0, 2**32 - 1), doc="Seed of the fit.")
    running = param.Boolean(default=False, doc="Whether the fit is running.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._job: FitJob | None = None
        self._column_select = pn.widgets.Select.from_param(
            self.param.group_column, label="Group by"
        )
        self._law_select = pn.widgets.Select.from_param(self.param.law, label="Law")
        self._target_inputs = [
            pn.widgets.TextInput.from_param(self.param.target_N, label="Target N (parameters)"),
            pn.widgets.TextInput.from_param(self.param.target_D, label="Target D (tokens)"),
        ]
        self._fit_button = pn.widgets.Button(label="Fit groups", color="primary")
        self._cancel_button = pn.widgets.Button(label="Cancel", color="warning", disabled=True)
        self._progress = pn.indicators.Progress(value=0, max=100, width=250, visible=False)
        self._alert = error_alert()
        self._ranking = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._pairs = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._plot = pn.Column(sizing_mode="stretch_width")
        self._fit_button.on_click(self.run_fit)
        self._cancel_button.on_click(self.cancel)
        self._update_columns()

    @param.depends("state.runs", watch=True)
    def _update_columns(self) -> None:
        columns = group_columns(self.state.runs)
        self.param.group_column.objects = columns
        self.group_column = columns[0] if columns else None

    def target(self) -> dict[str, float]:
        return {"N": parse_quantity(self.target_N), "D": parse_quantity(self.target_D)}

    async def run_fit(self, event=None) -> "ScalingLawFit | None":
        """Fit the grouped law off the event loop, then rank the groups and draw their curves."""
        if self.running:
            return None
        show_error(self._alert)
        if self.state.runs is None or self.group_column is None:
            show_error(
                self._alert,
                "Could not fit groups: load runs with a column that names each run's group "
                "(data set, architecture, ...) in the Data tab",
            )
            return None
        try:
            target = self.target()
        except ValueError as error:
            show_error(self._alert, f"Could not read the target: {error}")
            return None
        fit = ScalingLawFit(get_law(self.law))
        self._job = FitJob(
            fit, self.state.runs, self.random_seed, options={"groups": self.group_column}
        )
        self._set_running(True)
        try:
            fit = await self._job.run_async(self._show_progress)
            comparison = compare_groups(fit, target, ci_prob=self.state.ci_prob)
        except FitCancelled:
            return None
        except Exception as error:
            show_error(self._alert, f"Could not fit groups: {error}")
            return None
        finally:
            self._job = None
            self._set_running(False)
        show_table(self._ranking, comparison.ranking)
        show_table(self._pairs, comparison.pairs)
        self._plot[:] = [plot_or_alert(plot_groups, fit, comparison, ci_prob=self.state.ci_prob)]
        return fit

    def cancel(self, event=None) -> None:
        if self._job is not None:
            self._job.cancel.set()

    def _show_progress(self, fraction: float) -> None:
        self._progress.value = int(100 * fraction) if fraction > 0 else -1

    def _set_running(self, running: bool) -> None:
        self.running = running
        self._fit_button.disabled = running
        self._cancel_button.disabled = not running
        self._progress.visible = running

    def __panel__(self):
        return pn.Column(
            pn.Row(self._column_select, self._law_select, *self._target_inputs),
            pn.Row(self._fit_button, self._cancel_button, self._progress),
            self._alert,
            pn.Row(
                pn.Column(
                    pn.pane.Markdown("**Ranking at the target** (best first)"),
                    self._ranking,
                    pn.pane.Markdown("**Pairs**: who wins, and where the curves cross"),
                    self._pairs,
                ),
                self._plot,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
