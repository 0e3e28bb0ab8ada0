"""The PassUntil tab's task law: fit the hierarchical PassUntil model, predict PU and pass@k."""

import numpy as np
import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    error_alert,
    plot_or_alert,
    short_number,
    show_error,
    show_failure,
    show_table,
)
from workbench.app.controls import JobControls
from workbench.app.fit_view import (
    DEFAULT_MAX_DRAWS,
    diagnostic_badges,
    max_draws_from_environment,
)
from workbench.app.jobs import FitJob, check_draws
from workbench.app.passuntil.logs import parse_sizes
from workbench.app.passuntil.session import PassUntilSession
from workbench.app.state import WorkbenchState
from workbench.emergence import PassUntilFit, choose_predictions, predict_passuntil
from workbench.fitting import DEFAULT_SAMPLER, FitCancelled
from workbench.plots import plot_passuntil
from workbench.runs import RunTableError

PASSUNTIL_SAMPLER = DEFAULT_SAMPLER | PassUntilFit.sampler_defaults
TARGET_SCALE = 10.0  # default target: this many times the largest size
BIAS_NOTE = (
    "The points are the per-instance estimates r/K of the PassUntil paper. Sampling until the "
    "r-th pass makes them too high, most for the rarest passes, so a well-fitted curve runs "
    "below them: the model counts every attempt, and the gap is the bias it removes."
)


class TaskLawView(pn.viewable.Viewer):
    """Fit the task law to the session's logs off the event loop, then predict PU and pass@k at
    target sizes, from the fit or, after the emergence test, from what it chose."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    session = param.ClassSelector(class_=PassUntilSession, doc="The tab's logs, fit and test.")
    draws = param.Integer(
        default=PASSUNTIL_SAMPLER["draws"], bounds=(10, 100_000), doc="Posterior draws per chain."
    )
    tune = param.Integer(
        default=PASSUNTIL_SAMPLER["tune"], bounds=(10, 100_000), doc="Tuning steps per chain."
    )
    random_seed = param.Integer(default=1, bounds=(0, 2**32 - 1), doc="Seed of the sampler.")
    target = param.String(
        default="", doc="Target sizes N, comma-separated (1e11 or 100B); 10× the largest size."
    )
    pass_at_k = param.Integer(default=10, bounds=(2, 100_000), doc="The k of pass@k.")
    max_draws = param.Integer(
        default=DEFAULT_MAX_DRAWS, bounds=(1, None), doc="Largest draws × chains (--max-draws)."
    )
    predictions = param.DataFrame(
        default=None, allow_None=True, doc="predict_passuntil at the targets."
    )

    def __init__(self, **params):
        params.setdefault("max_draws", max_draws_from_environment())
        super().__init__(**params)
        self._sampler_inputs = [
            pn.widgets.IntInput.from_param(self.param.draws, label="Draws", width=110),
            pn.widgets.IntInput.from_param(self.param.tune, label="Tune", width=110),
            pn.widgets.IntInput.from_param(self.param.random_seed, label="Sampler seed", width=110),
        ]
        self.controls = JobControls(self.start_fit, label="Fit task law", progress_width=300)
        self._fit_alert = error_alert()
        self._badges = pn.pane.HTML("")
        self._problems = pn.pane.Alert("", alert_type="warning", visible=False)
        self._target_input = pn.widgets.TextInput.from_param(
            self.param.target, label="Target N (parameters)", width=220
        )
        self._k_input = pn.widgets.IntInput.from_param(
            self.param.pass_at_k, label="k of pass@k", width=110
        )
        self._target_alert = error_alert()
        self._source = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._predictions = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._plot = pn.Column(sizing_mode="stretch_width")
        self._plot_note = pn.pane.Markdown(BIAS_NOTE, sizing_mode="stretch_width", visible=False)

    def check_draws(self) -> None:
        """``ValueError`` when the draws asked for exceed the server's ``max_draws``."""
        check_draws(self.draws, PASSUNTIL_SAMPLER["chains"], self.max_draws)

    # -- fitting ---------------------------------------------------------------------------
    async def start_fit(self, event=None) -> None:
        """Fit ``PassUntilFit`` on the worker pool; the result goes to the session's ``fit``."""
        controls = self.controls
        if controls.running:
            return
        show_error(self._fit_alert)
        logs = self.session.passuntil
        if logs is None:
            self._fail("Could not fit: upload or simulate PassUntil logs first")
            return
        try:
            self.check_draws()
        except ValueError as error:
            self._fail(f"Could not fit: {error}")
            return
        fit = PassUntilFit(sampler={"draws": self.draws, "tune": self.tune})
        job = FitJob(fit, logs, random_seed=self.random_seed)
        shape = f"{len(logs.instances)} instances × {logs.sizes.size} sizes"
        starting = (
            f"Fitting the PassUntil task law to {shape} ... (the first fit for an instance count "
            "compiles the model, about 30 s)"
        )
        try:
            fitted = await controls.run(job, starting)
        except FitCancelled:
            controls.status = "Fit cancelled; the previous fit, if any, is kept."
        except (RunTableError, ValueError) as error:
            self._fail(f"Could not fit the PassUntil task law: {error}")
        except Exception as error:
            self._fail(f"Could not fit the PassUntil task law: {type(error).__name__}: {error}")
        else:
            if self.session.passuntil is not logs:
                controls.status = "Fit finished, but the logs changed meanwhile: fit again."
                return
            self.session.fit = fitted
            controls.status = f"PassUntil fit finished: {shape} in {job.seconds:.1f} s."

    def cancel(self, event=None) -> None:
        """Stop the running fit and keep the previous one."""
        self.controls.cancel()

    def _fail(self, message: str) -> None:
        show_failure(self._fit_alert, self.state, self.controls, message)

    @param.depends("session.passuntil", watch=True)
    def _on_logs(self):
        # Errors and results about the previous logs do not concern these.
        for alert in (self._fit_alert, self._target_alert):
            show_error(alert)
        self.controls.status = ""
        logs = self.session.passuntil
        target = self.target if logs is None else short_number(TARGET_SCALE * logs.sizes.max())
        if target != self.target:
            self.target = target  # predicts again
        else:
            self._predict()

    @param.depends("session.fit", watch=True)
    def _on_fit(self):
        fit = self.session.fit
        if fit is None:
            self._badges.object = ""
            self._problems.visible = False
        else:
            diagnostics = fit.diagnostics()
            self._badges.object = diagnostic_badges(diagnostics)
            problems = diagnostics.problems()
            self._problems.param.update(
                object="**Do not trust these numbers yet.** " + " ".join(problems),
                visible=bool(problems),
            )
        self._predict()

    # -- predictions -----------------------------------------------------------------------
    def target_sizes(self) -> np.ndarray:
        """The target sizes in the input; ten times the largest size when it is empty."""
        if not self.target.strip():
            return np.array([TARGET_SCALE * self.session.passuntil.sizes.max()])
        return parse_sizes(self.target)

    @param.depends("target", "pass_at_k", "state.ci_prob", "session.verdict", watch=True)
    def _predict(self) -> None:
        session = self.session
        mixture = None if session.verdict is None else session.verdict.mixture
        if (session.fit is None and mixture is None) or session.passuntil is None:
            self.predictions = None
            self._source.object = ""
            self._draw()
            return
        choice = choose_predictions(session.fit, mixture)
        try:
            targets = self.target_sizes()
            predictions = predict_passuntil(
                choice.model, targets, ci_prob=self.state.ci_prob, k=(1, self.pass_at_k)
            )
        except ValueError as error:
            show_error(self._target_alert, f"Invalid target: {error}")
            return
        show_error(self._target_alert)
        self._source.object = choice.text
        self.predictions = predictions
        self._draw(targets, choice.model)

    @param.depends("predictions", watch=True)
    def _on_predictions(self):
        predictions = self.predictions
        if predictions is None:
            self._predictions.value = pd.DataFrame()
            return
        show_table(self._predictions, predictions)

    def _draw(self, targets=None, model=None) -> None:
        logs = self.session.passuntil
        self._plot_note.visible = logs is not None
        if logs is None:
            self._plot[:] = []
            return
        self._plot[:] = [
            plot_or_alert(plot_passuntil, logs, model, targets, ci_prob=self.state.ci_prob)
        ]

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown("### Task law (hierarchical PassUntil model, NUTS via nutpie)"),
            pn.Row(*self._sampler_inputs),
            self.controls,
            self._fit_alert,
            self._badges,
            self._problems,
            pn.Row(self._target_input, self._k_input),
            self._target_alert,
            self._source,
            self._predictions,
            self._plot,
            self._plot_note,
            sizing_mode="stretch_width",
        )
