"""The Filtering tab: which data pool gives the lowest error at each compute budget (Goyal et
al.'s effective-utility law with their published parameters), and where the best one changes."""

import numpy as np
import pandas as pd
import panel as pn
import param

from workbench.app.common import error_alert, plot_or_alert, show_error, show_table
from workbench.app.state import WorkbenchState
from workbench.filtering import (
    GOYAL_TMARS_IMAGENET,
    best_by_budget,
    candidate_errors,
    crossovers,
)
from workbench.plots import plot_filtering_frontier

INTRODUCTION = (
    "**Data filtering: quality versus quantity.** Goyal et al. (2024)'s effective-utility law: "
    "each pool of data improves the model at its own rate, and less with every repetition, so "
    "the best pool depends on the compute budget. Pools and fitted parameters are the authors' "
    "(T-MARS quality buckets of DataComp medium, ImageNet-1k error); only those parameters were "
    "released. `workbench filtering --params FILE` plans with your own."
)
TABLE_BUDGETS = 7
"""Budgets the table lists, evenly spaced in log between the range's ends."""
CURVE_BUDGETS = 200


class FilteringView(pn.viewable.Viewer):
    """A budget range in; the best pool per budget, the crossovers and the frontier plot out."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    lowest_budget = param.Number(
        default=1e7, bounds=(0, None), doc="The smallest budget, in samples seen."
    )
    highest_budget = param.Number(
        default=1e10, bounds=(0, None), doc="The largest budget, in samples seen."
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs = pn.Row(
            pn.widgets.FloatInput.from_param(
                self.param.lowest_budget, name="Smallest budget (samples seen)", width=220
            ),
            pn.widgets.FloatInput.from_param(
                self.param.highest_budget, name="Largest budget (samples seen)", width=220
            ),
        )
        self._alert = error_alert()
        self._table = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._crossovers = pn.pane.Markdown(sizing_mode="stretch_width")
        self._plot = pn.Column(sizing_mode="stretch_width")
        self._compute()

    @param.depends("lowest_budget", "highest_budget", watch=True)
    def _compute(self) -> None:
        show_error(self._alert)
        low, high = self.lowest_budget, self.highest_budget
        try:
            if not low < high:
                raise ValueError("the smallest budget must be below the largest")
            best = best_by_budget(GOYAL_TMARS_IMAGENET, np.geomspace(low, high, TABLE_BUDGETS))
            found = crossovers(GOYAL_TMARS_IMAGENET, low, high)
            errors = candidate_errors(GOYAL_TMARS_IMAGENET, np.geomspace(low, high, CURVE_BUDGETS))
        except ValueError as error:
            show_error(self._alert, f"Could not plan: {error}")
            show_table(self._table, pd.DataFrame())
            self._crossovers.object = ""
            self._plot.objects = []
            return
        show_table(self._table, best)
        self._crossovers.object = crossovers_text(found)
        self._plot.objects = [plot_or_alert(plot_filtering_frontier, errors, found)]

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            self._inputs,
            self._alert,
            self._table,
            self._crossovers,
            self._plot,
            sizing_mode="stretch_width",
        )


def crossovers_text(found: pd.DataFrame) -> str:
    if found.empty:
        return "**The best pool is the same throughout this range.**"
    lines = [
        f"- at {row.budget:.4g} samples: {row.before} → {row.after}" for row in found.itertuples()
    ]
    return "**Where the best pool changes**\n\n" + "\n".join(lines)
