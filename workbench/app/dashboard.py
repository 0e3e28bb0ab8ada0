"""The whole dashboard: one shared state and a tab per view."""

import pandas as pd
import panel as pn
import param

from workbench.app.checks_view import ChecksView
from workbench.app.compare_view import CompareView
from workbench.app.data_view import DataView
from workbench.app.export_view import ExportView
from workbench.app.extrapolate_view import ExtrapolateView
from workbench.app.filtering_view import FilteringView
from workbench.app.fit_view import FitView
from workbench.app.groups_view import GroupsView
from workbench.app.isoflop_view import IsoFlopView
from workbench.app.ledger_view import LedgerView
from workbench.app.observational_view import ObservationalView
from workbench.app.passuntil import PassUntilView
from workbench.app.perchoice_view import PerChoiceView
from workbench.app.plan_view import PlanView
from workbench.app.state import WorkbenchState
from workbench.app.testtime_view import InferenceBudgetView
from workbench.app.transfer_view import TransferView
from workbench.runs import RunTable, read_runs

VIEWS = [
    ("Data", DataView),
    ("Fit", FitView),
    ("Checks", ChecksView),
    ("Extrapolate", ExtrapolateView),
    ("Compare", CompareView),
    ("Groups", GroupsView),
    ("Plan", PlanView),
    ("Export", ExportView),
    ("Ledger", LedgerView),
    ("PassUntil", PassUntilView),
    ("IsoFLOP", IsoFlopView),
    ("Transfer", TransferView),
    ("Filtering", FilteringView),
    ("Test-time", InferenceBudgetView),
    ("Observational", ObservationalView),
    ("Per-choice", PerChoiceView),
]
"""Tab title and view class, in order. A new view is one more entry: a ``pn.viewable.Viewer``
whose constructor takes ``state=`` (a ``WorkbenchState``)."""

INTRODUCTION = (
    "Fit Bayesian scaling laws to training runs, check the fit, and extrapolate with honest "
    "uncertainty: load runs, fit a law, check it, then extrapolate."
)
DEMO_INTRODUCTION = (
    " The Data tab holds {runs} simulated demo runs, and a {law} fit of them starts as the page "
    "opens: the Extrapolate tab shows its prediction at {N} parameters and {D} tokens. "
    "Upload your own runs in the Data tab."
)


class Workbench(pn.viewable.Viewer):
    """The Scaling Workbench dashboard for one session (or one notebook cell)."""

    runs = param.ClassSelector(
        class_=(RunTable, pd.DataFrame),
        default=None,
        allow_None=True,
        doc="Initial runs, as a RunTable or a DataFrame read with read_runs; demo runs if None.",
    )
    fit_on_start = param.Boolean(
        default=False, doc="Fit the default law to the initial runs as soon as the page loads."
    )

    def __init__(self, **params):
        super().__init__(**params)
        runs = read_runs(self.runs) if self.runs is not None else None
        self.state = WorkbenchState(runs=runs)
        self.views = {title: view(state=self.state) for title, view in VIEWS}
        if runs is None:
            # Like the Data tab's demo runs: a visitor sees data and estimates, not an empty form.
            self.views["PassUntil"].simulate()
            self.views["IsoFLOP"].simulate()
        self._tabs = pn.Tabs(
            *((title, view) for title, view in self.views.items()),
            dynamic=True,
            sizing_mode="stretch_width",
        )
        self._demo_runs = self.state.runs if runs is None else None
        self._introduction = pn.pane.Markdown(self.introduction(), margin=(0, 10))
        self._ci_prob = pn.widgets.FloatSlider.from_param(
            self.state.param.ci_prob,
            name="Credible level of every interval",
            format="0%",
            width=260,
        )
        # Once the visitor loads other runs, the demo sentence would describe runs not shown.
        self.state.param.watch(self._on_runs, "runs")
        if self.fit_on_start:
            # A first-time visitor should see a fit, not an empty form.
            pn.state.onload(self.views["Fit"].start_fit)

    def _on_runs(self, event) -> None:
        self._introduction.object = self.introduction()

    def introduction(self) -> str:
        """What the page is for, and, on the demo, what it is already doing."""
        on_demo = self._demo_runs is not None and self.state.runs is self._demo_runs
        if not (on_demo and self.fit_on_start):
            return INTRODUCTION
        extrapolate = self.views["Extrapolate"]
        return INTRODUCTION + DEMO_INTRODUCTION.format(
            runs=len(self.state.runs),
            law=self.views["Fit"].law,
            N=extrapolate.target_N,
            D=extrapolate.target_D,
        )

    def close(self) -> None:
        """Cancel this session's running jobs and drop its runs and fits, for a closed tab
        (``pn.state.on_session_destroyed``): its fits would hold a slot of the server's fit
        queue until they finished."""
        for view in self.views.values():
            for cancel in ("cancel", "cancel_backtest"):
                if hasattr(view, cancel):
                    getattr(view, cancel)()
        # The page is gone: nothing needs redrawing.
        with param.parameterized.discard_events(self.state):
            self.state.param.update(runs=None, fit=None, ensemble=None, fits={}, predictions=None)

    def __panel__(self):
        return pn.Column(
            pn.Row(
                pn.pane.Markdown("# Scaling Workbench", margin=(0, 10)),
                pn.layout.HSpacer(),
                self._ci_prob,
                sizing_mode="stretch_width",
            ),
            self._introduction,
            self._tabs,
            sizing_mode="stretch_width",
        )
