"""The PassUntil tab: load or simulate PassUntil logs, fit the task law, predict, test, plan.

PassUntil (Hu et al. 2023) samples each test instance until it passes, which measures pass
rates far below what greedy decoding shows. This tab shows the per-size estimates, fits the
hierarchical :class:`~workbench.emergence.PassUntilFit`, predicts PU and pass@k at larger sizes,
runs :func:`~workbench.emergence.emergence_test` and plans a sampling budget. After the test,
predictions follow :func:`~workbench.emergence.choose_predictions`: the stacking mixture of the
plain, accelerated and sub-scaling task laws, with its weights shown. The logs, fit and results
are this view's params, so they belong to one session.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    chosen_file,
    error_alert,
    plot_or_alert,
    short_number,
    show_error,
    show_table,
)
from workbench.app.data_view import (
    ACCEPTED_SUFFIXES,
    DEFAULT_MAX_ROWS,
    check_rows,
    max_rows_from_environment,
    max_upload_mb_from_environment,
)
from workbench.app.fit_view import (
    DEFAULT_MAX_DRAWS,
    diagnostic_badges,
    max_draws_from_environment,
)
from workbench.app.jobs import FitJob, check_draws, run_in_thread
from workbench.app.state import WorkbenchState
from workbench.emergence import (
    EmergenceVerdict,
    InstanceLaw,
    PassUntilFit,
    PassUntilLogs,
    SamplingPlan,
    choose_predictions,
    emergence_test,
    passuntil_estimate,
    plan_sampling,
    predict_passuntil,
    read_passuntil,
    simulate_passuntil,
)
from workbench.fitting import DEFAULT_SAMPLER, FitCancelled
from workbench.plots import plot_passuntil
from workbench.runs import RunTableError, parse_quantity
from workbench.runs.errors import UnreadableFileError

PASSUNTIL_SAMPLER = DEFAULT_SAMPLER | PassUntilFit.sampler_defaults

# The population of instance laws the "Simulate logs" button draws from: the settings of
# tests/emergence (censored at the smallest sizes, PU near 0.5 at the largest).
SIMULATION_LAW = InstanceLaw(
    mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9
)
DEFAULT_SIZES = "100M, 250M, 630M, 1.6B, 4B, 10B"
BIAS_NOTE = (
    "The points are the per-instance estimates r/K of the PassUntil paper. Sampling until the "
    "r-th pass makes them too high, most for the rarest passes, so a well-fitted curve runs "
    "below them: the model counts every attempt, and the gap is the bias it removes."
)
TARGET_SCALE = 10.0  # default target: this many times the largest size
INTRODUCTION = (
    "**PassUntil** (Hu et al. 2023): each test instance is sampled until it passes, or until a "
    "budget cap. Upload logs with columns `N`, `instance`, `attempts`, `passes` and optionally "
    "`model` and `max_attempts` (one row per model and instance), or simulate some."
)


def read_passuntil_upload(content: bytes, filename: str, max_upload_mb: float) -> PassUntilLogs:
    """Uploaded bytes as validated logs; ``ValueError`` with a readable message if not."""
    megabytes = len(content) / 2**20
    if megabytes > max_upload_mb:
        raise ValueError(
            f"Could not read {filename!r}: it is {megabytes:.1f} MB, above the upload limit of "
            f"{max_upload_mb:g} MB (workbench serve --max-upload-mb raises it)"
        )
    suffix = Path(filename).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ValueError(
            f"Could not read {filename!r}: its name must end in one of "
            f"{', '.join(ACCEPTED_SUFFIXES)}"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            return read_passuntil(path)
        except UnreadableFileError as error:
            reason = str(error).replace(str(path), repr(filename))
            raise ValueError(
                f"Could not read {filename!r} as {suffix[1:].upper()}: {reason}"
            ) from None
        except RunTableError as error:
            raise ValueError(f"Invalid PassUntil logs in {filename!r}: {error}") from None
        except Exception as error:
            # Any other reader failure means the same to the user: not a table we can read.
            raise ValueError(
                f"Could not read {filename!r} as {suffix[1:].upper()}: {error}"
            ) from None


def parse_sizes(text: str) -> np.ndarray:
    """Comma-separated quantities ("100M, 1e9, 10B") as an array; ``ValueError`` if not."""
    sizes = np.array([parse_quantity(part.strip()) for part in text.split(",") if part.strip()])
    if sizes.size == 0:
        raise ValueError("give at least one model size, e.g. 10B or 1e10")
    if not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(f"model sizes must be positive, got {text!r}")
    return sizes


def plan_text(plan: SamplingPlan, n_instances: int) -> str:
    return (
        f"Sample each instance until **{plan.passes} passes**: about "
        f"**{plan.expected_attempts.mean():,.0f} attempts per instance** on average, "
        f"**{plan.total_attempts:,.0f} attempts** for {n_instances} instances, for a relative "
        f"standard error of PU of **{plan.rel_precision:.3f}**."
    )


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


class PassUntilView(pn.viewable.Viewer):
    """PassUntil logs, their per-size estimates, the task-law fit, predictions and planning."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    passuntil = param.ClassSelector(
        class_=PassUntilLogs,
        default=None,
        allow_None=True,
        doc="The session's PassUntil logs, uploaded or simulated.",
    )
    fit = param.ClassSelector(
        class_=PassUntilFit,
        default=None,
        allow_None=True,
        doc="The hierarchical PassUntil fit of the logs.",
    )
    predictions = param.DataFrame(
        default=None, allow_None=True, doc="predict_passuntil at the targets."
    )
    verdict = param.ClassSelector(
        class_=EmergenceVerdict,
        default=None,
        allow_None=True,
        doc="The emergence test of the logs.",
    )
    plan = param.ClassSelector(
        class_=SamplingPlan, default=None, allow_None=True, doc="The sampling plan of the inputs."
    )
    sizes = param.String(default=DEFAULT_SIZES, doc="Model sizes N to simulate, comma-separated.")
    instances = param.Integer(default=100, bounds=(2, 10_000), doc="Instances to simulate.")
    budget = param.Integer(
        default=2000, bounds=(1, 10_000_000), doc="Attempt cap per instance in simulations."
    )
    seed = param.Integer(default=0, bounds=(0, 2**32 - 1), doc="Seed of the simulation.")
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
    p_guess = param.Number(
        default=0.01, bounds=(0, 1), inclusive_bounds=(False, False), doc="Guessed pass rate."
    )
    rel_precision = param.Number(
        default=0.1,
        bounds=(0, 1),
        inclusive_bounds=(False, False),
        doc="Target relative standard error of PU, e.g. 0.1 for ±10 %.",
    )
    plan_instances = param.Integer(default=100, bounds=(1, 1_000_000), doc="Instances to plan.")
    plan_budget = param.Integer(
        default=0, bounds=(0, None), doc="Attempt cap per instance for planning; 0 for none."
    )
    max_upload_mb = param.Number(
        default=50.0, bounds=(0, None), doc="Largest accepted upload, in megabytes."
    )
    max_rows = param.Integer(
        default=DEFAULT_MAX_ROWS, bounds=(1, None), doc="Most rows of an upload (--max-rows)."
    )
    max_draws = param.Integer(
        default=DEFAULT_MAX_DRAWS, bounds=(1, None), doc="Largest draws × chains (--max-draws)."
    )
    fitting = param.Boolean(default=False, doc="Whether a fit is running.")
    testing = param.Boolean(default=False, doc="Whether an emergence test is running.")
    status = param.String(default="", doc="What the fit is doing or has done, in a sentence.")

    def __init__(self, state: WorkbenchState | None = None, **params):
        params.setdefault("max_upload_mb", max_upload_mb_from_environment())
        params.setdefault("max_rows", max_rows_from_environment())
        params.setdefault("max_draws", max_draws_from_environment())
        super().__init__(state=state or WorkbenchState(), **params)
        self._job: FitJob | None = None
        self._origin = "given"
        self._file_input = pn.widgets.FileInput(accept=",".join(ACCEPTED_SUFFIXES))
        self._sizes_input = pn.widgets.TextInput.from_param(
            self.param.sizes, label="Sizes N (parameters)", width=300
        )
        self._simulation_inputs = [
            pn.widgets.IntInput.from_param(self.param.instances, label="Instances", width=100),
            pn.widgets.IntInput.from_param(self.param.budget, label="Budget (attempts)", width=130),
            pn.widgets.IntInput.from_param(self.param.seed, label="Seed", width=90),
        ]
        self._simulate_button = pn.widgets.Button(label="Simulate logs", color="light")
        self._data_alert = error_alert()
        self._summary = pn.pane.Markdown("No PassUntil logs yet: upload or simulate some.")
        self._estimates = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._sampler_inputs = [
            pn.widgets.IntInput.from_param(self.param.draws, label="Draws", width=110),
            pn.widgets.IntInput.from_param(self.param.tune, label="Tune", width=110),
            pn.widgets.IntInput.from_param(self.param.random_seed, label="Sampler seed", width=110),
        ]
        self._fit_button = pn.widgets.Button(label="Fit task law", color="primary", width=130)
        self._cancel_button = pn.widgets.Button(
            label="Cancel", color="warning", width=100, disabled=True
        )
        self._progress = pn.indicators.Progress(
            value=-1, max=100, width=300, visible=False, bar_color="primary"
        )
        self._status = pn.pane.Markdown("", sizing_mode="stretch_width")
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
        self._test_button = pn.widgets.Button(label="Test for emergence", color="primary")
        self._test_progress = pn.indicators.Progress(
            value=-1, max=100, width=200, visible=False, bar_color="primary"
        )
        self._test_status = pn.pane.Markdown("")
        self._test_alert = error_alert()
        self._verdict = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._plan_inputs = [
            pn.widgets.FloatInput.from_param(
                self.param.p_guess, label="Guessed pass rate p", width=150
            ),
            pn.widgets.FloatInput.from_param(
                self.param.rel_precision, label="Relative precision", width=150
            ),
            pn.widgets.IntInput.from_param(self.param.plan_instances, label="Instances", width=110),
            pn.widgets.IntInput.from_param(
                self.param.plan_budget, label="Budget per instance (0: none)", width=200
            ),
        ]
        self._plan_alert = error_alert()
        self._plan = pn.pane.Markdown("", sizing_mode="stretch_width")
        # An empty file changes only the name (see chosen_file).
        self._file_input.param.watch(self._on_upload, ["value", "filename"])
        self._simulate_button.on_click(lambda event: self.simulate())
        self._fit_button.on_click(self.start_fit)
        self._cancel_button.on_click(self.cancel)
        self._test_button.on_click(self.start_test)
        self._on_plan_inputs()

    # -- logs ------------------------------------------------------------------------------
    def _on_upload(self, *events):
        chosen = chosen_file(self._file_input)
        if chosen is None:
            return
        content, filename = chosen
        try:
            logs = read_passuntil_upload(content, filename, self.max_upload_mb)
            check_rows(filename, len(logs), self.max_rows)
        except ValueError as error:
            self._fail_data(str(error))
            return
        self._origin = f"from {filename}"
        self.passuntil = logs

    def simulate(self) -> None:
        """Simulated logs from ``SIMULATION_LAW`` at ``sizes`` become the session's logs."""
        try:
            sizes = parse_sizes(self.sizes)
        except ValueError as error:
            self._fail_data(f"Could not simulate: {error}")
            return
        self._origin = f"simulated, seed {self.seed}"
        self.passuntil = simulate_passuntil(
            SIMULATION_LAW, sizes, self.instances, self.budget, self.seed
        )

    def _fail_data(self, message: str) -> None:
        show_error(self._data_alert, message)
        self.state.error = message
        if self.passuntil is not None:
            self._summary.object = (
                f"**Not loaded.** The previous logs ({len(self.passuntil)} rows) are still in use."
            )

    @param.depends("passuntil", watch=True)
    def _on_logs(self):
        logs = self.passuntil
        # Errors about the previous logs do not concern these.
        for alert in (self._data_alert, self._fit_alert, self._target_alert, self._test_alert):
            show_error(alert)
        self.param.update(fit=None, verdict=None, status="")
        self._verdict.object = ""
        self._test_status.object = ""
        if logs is None:
            return
        self._summary.object = (
            f"**{len(logs)} rows** ({self._origin}) · "
            f"{len(logs.instances)} instances × {logs.sizes.size} sizes · "
            f"{int(logs.censored.sum())} censored (no pass within the cap)"
        )
        table = passuntil_estimate(logs)
        show_table(self._estimates, table)
        self.target = short_number(TARGET_SCALE * logs.sizes.max())
        self._draw()

    # -- fitting ---------------------------------------------------------------------------
    def check_draws(self) -> None:
        """``ValueError`` when the draws asked for exceed the server's ``max_draws``."""
        check_draws(self.draws, PASSUNTIL_SAMPLER["chains"], self.max_draws)

    async def start_fit(self, event=None) -> None:
        """Fit ``PassUntilFit`` on the worker pool; the result goes to ``fit``."""
        if self.fitting:
            return
        show_error(self._fit_alert)
        logs = self.passuntil
        if logs is None:
            self._fail_fit("Could not fit: upload or simulate PassUntil logs first")
            return
        try:
            self.check_draws()
        except ValueError as error:
            self._fail_fit(f"Could not fit: {error}")
            return
        fit = PassUntilFit(sampler={"draws": self.draws, "tune": self.tune})
        job = FitJob(fit, logs, random_seed=self.random_seed)
        self._job = job
        self._set_fitting(True)
        shape = f"{len(logs.instances)} instances × {logs.sizes.size} sizes"
        self.status = (
            f"Fitting the PassUntil task law to {shape} ... (the first fit for an instance count "
            "compiles the model, about 30 s)"
        )
        try:
            fitted = await job.run_async(self._show_progress)
        except FitCancelled:
            self.status = "Fit cancelled; the previous fit, if any, is kept."
        except (RunTableError, ValueError) as error:
            self._fail_fit(f"Could not fit the PassUntil task law: {error}")
        except Exception as error:
            self._fail_fit(f"Could not fit the PassUntil task law: {type(error).__name__}: {error}")
        else:
            if self.passuntil is not logs:
                self.status = "Fit finished, but the logs changed meanwhile: fit again."
                return
            self.fit = fitted
            self.status = f"PassUntil fit finished: {shape} in {job.seconds:.1f} s."
        finally:
            self._job = None
            self._set_fitting(False)

    def cancel(self, event=None) -> None:
        """Stop the running fit and keep the previous one."""
        if self._job is not None:
            self._job.cancel.set()

    def _show_progress(self, fraction: float) -> None:
        # -1 animates the bar while the model compiles and nothing is drawn yet.
        self._progress.value = int(100 * fraction) if fraction > 0 else -1

    def _set_fitting(self, running: bool) -> None:
        self.fitting = running
        self._fit_button.disabled = running
        self._cancel_button.disabled = not running
        self._progress.visible = running

    def _fail_fit(self, message: str) -> None:
        show_error(self._fit_alert, message)
        self.state.error = message
        self.status = ""

    @param.depends("status", watch=True)
    def _on_status(self):
        self._status.object = self.status

    @param.depends("fit", watch=True)
    def _on_fit(self):
        fit = self.fit
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
            return np.array([TARGET_SCALE * self.passuntil.sizes.max()])
        return parse_sizes(self.target)

    @param.depends("target", "pass_at_k", "state.ci_prob", watch=True)
    def _predict(self) -> None:
        mixture = None if self.verdict is None else self.verdict.mixture
        if (self.fit is None and mixture is None) or self.passuntil is None:
            self.predictions = None
            self._source.object = ""
            self._draw()
            return
        choice = choose_predictions(self.fit, mixture)
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
        self._plot_note.visible = self.passuntil is not None
        if self.passuntil is None:
            self._plot[:] = []
            return
        self._plot[:] = [
            plot_or_alert(
                plot_passuntil, self.passuntil, model, targets, ci_prob=self.state.ci_prob
            )
        ]

    # -- emergence -------------------------------------------------------------------------
    async def start_test(self, event=None) -> None:
        """Run ``emergence_test`` (with its three task-law fits) on the worker pool."""
        if self.testing:
            return
        show_error(self._test_alert)
        logs = self.passuntil
        if logs is None:
            show_error(self._test_alert, "Could not test: upload or simulate PassUntil logs first")
            return
        try:
            self.check_draws()
        except ValueError as error:
            show_error(self._test_alert, f"Could not test: {error}")
            return
        self.testing = True
        self._test_button.disabled = True
        self._test_progress.visible = True
        self._test_status.object = (
            "Testing for emergence (fits the plain, accelerated and sub-scaling task laws) ..."
        )
        start = time.perf_counter()
        try:
            verdict = await run_in_thread(
                emergence_test,
                logs,
                sampler={"draws": self.draws, "tune": self.tune},
                random_seed=self.random_seed,
            )
        except Exception as error:
            message = f"Could not test for emergence: {error}"
            show_error(self._test_alert, message)
            self.state.error = message
            self._test_status.object = ""
        else:
            if self.passuntil is logs:
                self.verdict = verdict
                self._test_status.object = (
                    f"Emergence test finished in {time.perf_counter() - start:.1f} s."
                )
        finally:
            self.testing = False
            self._test_button.disabled = False
            self._test_progress.visible = False

    @param.depends("verdict", watch=True)
    def _on_verdict(self):
        self._verdict.object = verdict_text(self.verdict) if self.verdict is not None else ""
        self._predict()

    # -- planning --------------------------------------------------------------------------
    @param.depends("p_guess", "rel_precision", "plan_instances", "plan_budget", watch=True)
    def _on_plan_inputs(self):
        try:
            plan = plan_sampling(
                self.p_guess,
                self.rel_precision,
                n_instances=self.plan_instances,
                budget=self.plan_budget or None,
            )
        except ValueError as error:
            show_error(self._plan_alert, f"Could not plan: {error}")
            self.plan = None
            self._plan.object = ""
            return
        show_error(self._plan_alert)
        self.plan = plan
        self._plan.object = plan_text(plan, self.plan_instances)

    def __panel__(self):
        upload = pn.Column(
            pn.pane.Markdown("Upload PassUntil logs (CSV, Parquet or JSON)"), self._file_input
        )
        simulation = pn.Column(
            pn.pane.Markdown("Or simulate logs"),
            self._sizes_input,
            pn.Row(*self._simulation_inputs),
            self._simulate_button,
        )
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            pn.Row(upload, simulation),
            self._data_alert,
            self._summary,
            self._estimates,
            pn.pane.Markdown("### Task law (hierarchical PassUntil model, NUTS via nutpie)"),
            pn.Row(*self._sampler_inputs),
            pn.Row(self._fit_button, self._cancel_button, self._progress),
            self._status,
            self._fit_alert,
            self._badges,
            self._problems,
            pn.Row(self._target_input, self._k_input),
            self._target_alert,
            self._source,
            self._predictions,
            self._plot,
            self._plot_note,
            pn.pane.Markdown("### Emergence: accelerated, plain or sub-scaling?"),
            pn.Row(self._test_button, self._test_progress),
            self._test_status,
            self._test_alert,
            self._verdict,
            pn.pane.Markdown("### Sampling budget"),
            pn.Row(*self._plan_inputs),
            self._plan_alert,
            self._plan,
            sizing_mode="stretch_width",
        )
