"""The PassUntil tab's emergence test: accelerated, plain or sub-scaling?"""

import panel as pn
import param

from workbench.app.common import error_alert, show_error, show_failure
from workbench.app.controls import JobControls
from workbench.app.jobs import EmergenceJob
from workbench.app.passuntil.session import PassUntilSession
from workbench.app.passuntil.task_law import TaskLawView
from workbench.app.state import WorkbenchState
from workbench.emergence import EmergenceVerdict
from workbench.fitting import FitCancelled


def verdict_text(verdict: EmergenceVerdict) -> str:
    text = (
        f"**Verdict: {verdict.verdict}**\n\n"
        "| | accelerated | plain | sub-scaling |\n|---|---|---|---|\n"
        f"| posterior probability | {verdict.p_accelerated:.2f} | {verdict.p_plain:.2f} | "
        f"{verdict.p_subscaling:.2f} |"
    )
    if verdict.weights is not None:
        weights = verdict.weights
        text += (
            f"\n| stacking weight | {weights['accelerated']:.2f} | {weights['plain']:.2f} | "
            f"{weights['subscaling']:.2f} |"
        )
    return f"{text}\n\n{verdict.text}"


class EmergenceView(pn.viewable.Viewer):
    """Run :func:`~workbench.emergence.emergence_test` (with its three task-law fits) off the
    event loop, with progress and cancel; its verdict goes to the session."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    session = param.ClassSelector(class_=PassUntilSession, doc="The tab's logs, fit and test.")
    task_law = param.ClassSelector(
        class_=TaskLawView, doc="Whose draws, tuning steps and seed the test's fits use."
    )

    def __init__(self, **params):
        super().__init__(**params)
        self.controls = JobControls(self.start_test, label="Test for emergence", progress_width=200)
        self._test_alert = error_alert()
        self._verdict = pn.pane.Markdown("", sizing_mode="stretch_width")

    async def start_test(self, event=None) -> None:
        """Run the emergence test of the session's logs on the worker pool."""
        controls = self.controls
        if controls.running:
            return
        show_error(self._test_alert)
        logs = self.session.passuntil
        if logs is None:
            self._fail("Could not test: upload or simulate PassUntil logs first")
            return
        task_law = self.task_law
        try:
            task_law.check_draws()
        except ValueError as error:
            self._fail(f"Could not test: {error}")
            return
        job = EmergenceJob(
            logs=logs,
            sampler={"draws": task_law.draws, "tune": task_law.tune},
            random_seed=task_law.random_seed,
        )
        starting = (
            "Testing for emergence (fits the plain, accelerated and sub-scaling task laws) ..."
        )
        try:
            verdict = await controls.run(job, starting)
        except FitCancelled:
            controls.status = "Emergence test cancelled; the previous verdict, if any, is kept."
        except Exception as error:
            self._fail(f"Could not test for emergence: {error}")
        else:
            if self.session.passuntil is logs:
                self.session.verdict = verdict
                controls.status = f"Emergence test finished in {job.seconds:.1f} s."

    def cancel(self, event=None) -> None:
        """Stop the running test and keep the previous verdict."""
        self.controls.cancel()

    def _fail(self, message: str) -> None:
        show_failure(self._test_alert, self.state, self.controls, message)

    @param.depends("session.passuntil", watch=True)
    def _on_logs(self):
        show_error(self._test_alert)
        self.controls.status = ""

    @param.depends("session.verdict", watch=True)
    def _on_verdict(self):
        verdict = self.session.verdict
        self._verdict.object = verdict_text(verdict) if verdict is not None else ""

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown("### Emergence: accelerated, plain or sub-scaling?"),
            self.controls,
            self._test_alert,
            self._verdict,
            sizing_mode="stretch_width",
        )
