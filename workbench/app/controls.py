"""The run, cancel and progress controls that every long job of the dashboard shares."""

import contextlib
from collections.abc import Callable

import panel as pn
import param

from workbench.app.jobs import Job


class JobControls(pn.viewable.Viewer):
    """A run button, a cancel button, a progress bar and a status line for one kind of job.

    The owning view gives the run button's handler; that handler starts its job with
    :meth:`run`, which disables the run button, enables cancel and shows the job's progress
    until the job ends, however it ends.
    """

    label = param.String(default="Run", doc="The run button's label.")
    cancel_label = param.String(default="Cancel", doc="The cancel button's label.")
    running = param.Boolean(default=False, doc="Whether a job is running.")
    cancelled = param.Boolean(
        default=False, doc="Whether cancel was pressed since the controls last started."
    )
    status = param.String(default="", doc="What the job is doing or has done, in a sentence.")

    def __init__(self, on_run: Callable, progress_width: int | None = 250, **params):
        super().__init__(**params)
        self.run_button = pn.widgets.Button(label=self.label, color="primary")
        self.cancel_button = pn.widgets.Button(
            label=self.cancel_label, color="warning", disabled=True
        )
        # No bar (None) where the view shows progress its own way, e.g. one bar per law.
        self._has_bar = progress_width is not None
        self.progress = pn.indicators.Progress(
            value=-1, max=100, width=progress_width or 0, visible=False, bar_color="primary"
        )
        self._status = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._job: Job | None = None
        self._working_status = ""
        self.run_button.on_click(on_run)
        self.cancel_button.on_click(self.cancel)

    async def run(
        self,
        job: Job,
        status: str = "",
        on_progress: Callable[[float], None] | None = None,
    ):
        """``job.run_async`` with these controls showing it, ``status`` while it works (after
        waiting for its place on the server), and ``on_progress`` called with its progress
        too; returns its result."""
        self._job, self._working_status = job, status
        self.status = status

        def progress(fraction: float) -> None:
            self.show_progress(fraction)
            if on_progress is not None:
                on_progress(fraction)

        with self.busy():
            try:
                return await job.run_async(progress, on_wait=self._show_wait)
            finally:
                self._job = None

    @property
    def job(self) -> Job | None:
        """The job running now, if any."""
        return self._job

    @contextlib.contextmanager
    def busy(self):
        """Hold the running state across several jobs run in turn; cancel stops them all (a
        view's loop reads :attr:`cancelled` between jobs)."""
        if self.running:
            yield
            return
        self.cancelled = False
        self._set_running(True)
        try:
            yield
        finally:
            self._set_running(False)

    def cancel(self, event=None) -> None:
        """Ask the running job to stop; its view then says so and keeps the previous result."""
        self.cancelled = True
        if self._job is not None:
            self._job.cancel.set()
            self.status = "Cancelling ..."

    def show_progress(self, fraction: float) -> None:
        if self.status.startswith("Waiting:"):  # the job left the queue and started
            self.status = self._working_status
        # -1 animates the bar while the model compiles and nothing is drawn yet.
        self.progress.value = int(100 * fraction) if fraction > 0 else -1

    def _show_wait(self, ahead: int) -> None:
        jobs = "job" if ahead == 1 else "jobs"
        self.status = f"Waiting: {ahead} {jobs} ahead of yours on this server ..."

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.run_button.disabled = running
        self.cancel_button.disabled = not running
        self.progress.param.update(visible=running and self._has_bar, value=-1)

    @param.depends("status", watch=True)
    def _on_status(self) -> None:
        self._status.object = self.status

    def __panel__(self):
        return pn.Column(
            pn.Row(self.run_button, self.cancel_button, self.progress),
            self._status,
            sizing_mode="stretch_width",
        )
