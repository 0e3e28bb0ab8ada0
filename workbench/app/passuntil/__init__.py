"""The PassUntil tab: load or simulate PassUntil logs, fit the task law, predict, test, plan.

PassUntil (Hu et al. 2023) samples each test instance until it passes, which measures pass
rates far below what greedy decoding shows. One Viewer per task, sharing a
:class:`PassUntilSession` (the logs, their fit and their emergence test):

- :class:`PassUntilLogsView`: upload or simulate logs; their per-size estimates;
- :class:`TaskLawView`: fit the hierarchical :class:`~workbench.emergence.PassUntilFit`,
  predict PU and pass@k at larger sizes; after the test, predictions follow
  :func:`~workbench.emergence.choose_predictions`;
- :class:`EmergenceView`: :func:`~workbench.emergence.emergence_test`, with progress and cancel;
- :class:`SamplingPlanView`: a sampling budget.
"""

import panel as pn
import param

from workbench.app.passuntil.emergence import EmergenceView
from workbench.app.passuntil.logs import SIMULATION_LAW, PassUntilLogsView
from workbench.app.passuntil.sampling import SamplingPlanView
from workbench.app.passuntil.session import PassUntilSession
from workbench.app.passuntil.task_law import TaskLawView
from workbench.app.state import WorkbenchState

__all__ = [
    "SIMULATION_LAW",
    "EmergenceView",
    "PassUntilLogsView",
    "PassUntilSession",
    "PassUntilView",
    "SamplingPlanView",
    "TaskLawView",
]


class PassUntilView(pn.viewable.Viewer):
    """The PassUntil tab: its four parts on one session of logs, fit and test."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self.session = PassUntilSession()
        shared = {"state": self.state, "session": self.session}
        self.logs = PassUntilLogsView(**shared)
        self.task_law = TaskLawView(**shared)
        self.emergence = EmergenceView(task_law=self.task_law, **shared)
        self.sampling = SamplingPlanView()

    def simulate(self) -> None:
        """Simulated logs become the session's logs (see :meth:`PassUntilLogsView.simulate`)."""
        self.logs.simulate()

    def cancel(self, event=None) -> None:
        """Stop the running fit and test."""
        self.task_law.cancel()
        self.emergence.cancel()

    def __panel__(self):
        return pn.Column(
            self.logs, self.task_law, self.emergence, self.sampling, sizing_mode="stretch_width"
        )
