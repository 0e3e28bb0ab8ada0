"""The Groups tab: one curve per group (data set, architecture, ...), ranked at a target."""

import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    error_alert,
    formula_law_name,
    plot_or_alert,
    show_error,
    show_table,
)
from workbench.app.controls import JobControls
from workbench.app.jobs import FitJob
from workbench.app.state import WorkbenchState
from workbench.fitting import FitCancelled, ScalingLawFit
from workbench.laws import LAWS, get_law
from workbench.laws.formula import FormulaError
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
    formula = param.String(
        default="", doc="A law written as a formula, fitted per group in place of the law."
    )
    target_N = param.String(default="7B", doc="Parameters at which to rank the groups.")
    target_D = param.String(default="140B", doc="Tokens at which to rank the groups.")
    random_seed = param.Integer(default=1, bounds=(0, 2**32 - 1), doc="Seed of the fit.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._column_select = pn.widgets.Select.from_param(
            self.param.group_column, label="Group by"
        )
        self._law_select = pn.widgets.Select.from_param(self.param.law, label="Law")
        self._formula_input = pn.widgets.TextInput.from_param(
            self.param.formula,
            name="Or a formula (in place of the law)",
            placeholder="E + A*N**-alpha + B*D**-beta",
            sizing_mode="stretch_width",
        )
        self._target_inputs = [
            pn.widgets.TextInput.from_param(self.param.target_N, label="Target N (parameters)"),
            pn.widgets.TextInput.from_param(self.param.target_D, label="Target D (tokens)"),
        ]
        self.controls = JobControls(self.run_fit, label="Fit groups")
        self._alert = error_alert()
        self._ranking = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._pairs = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._plot = pn.Column(sizing_mode="stretch_width")
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
        if self.controls.running:
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
        try:
            law = get_law(formula_law_name(self.formula) or self.law)
        except FormulaError as error:
            show_error(self._alert, f"Could not fit groups: {error}")
            return None
        fit = ScalingLawFit(law)
        # The groups are compared by the law's own draws, so the nested calibration refits
        # (three times the fit) would be spent on intervals this view never shows.
        job = FitJob(
            fit,
            self.state.runs,
            self.random_seed,
            options={"groups": self.group_column},
            calibrate=False,
        )
        try:
            fit = await self.controls.run(job)
            comparison = compare_groups(fit, target, ci_prob=self.state.ci_prob)
        except FitCancelled:
            return None
        except Exception as error:
            show_error(self._alert, f"Could not fit groups: {error}")
            return None
        show_table(self._ranking, comparison.ranking)
        show_table(self._pairs, comparison.pairs)
        self._plot[:] = [plot_or_alert(plot_groups, fit, comparison, ci_prob=self.state.ci_prob)]
        return fit

    def cancel(self, event=None) -> None:
        self.controls.cancel()

    def __panel__(self):
        return pn.Column(
            pn.Row(self._column_select, self._law_select, *self._target_inputs),
            self._formula_input,
            self.controls,
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
