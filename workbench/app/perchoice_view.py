"""The Per-choice tab: multiple-choice accuracy predicted from per-choice probability laws
(Schaeffer et al. 2024) against a law fitted to accuracy itself, on simulated logs by default or
on uploaded lm-evaluation-harness ``--log_samples`` logs."""

from dataclasses import dataclass

import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    error_alert,
    plot_or_alert,
    show_error,
    show_failure,
    show_table,
)
from workbench.app.controls import JobControls
from workbench.app.data_view import max_upload_mb_from_environment
from workbench.app.jobs import Job
from workbench.app.state import WorkbenchState
from workbench.downstream import (
    ChoiceLogs,
    LogSamplesError,
    RouteComparison,
    combine_logs,
    compare_routes,
    parse_compute,
    read_log_samples,
    simulate_choice_logs,
)
from workbench.fitting import FitCancelled
from workbench.plots.perchoice import plot_accuracy_routes, plot_choice_masses
from workbench.runs import parse_quantity

INTRODUCTION = (
    "**Per-choice probability laws** (Schaeffer et al. 2024). Accuracy on a multiple-choice "
    "task is a comparison: the correct choice must beat every incorrect one, so it depends on "
    "how the mass on the incorrect choices moves with compute. Laws of the correct choice's "
    "probability, the incorrect mass and the log-likelihood margins are fitted per item against "
    "compute on the smaller models; accuracy at the larger ones is simulated from them and set "
    "against a sigmoid law fitted to accuracy itself. The logs shown at first are **simulated**: "
    "no public per-choice log-likelihoods by model size were found. On them one distractor "
    "gains on the correct answer with scale for half of the items, so accuracy turns down while "
    "the correct choice's probability keeps rising. Upload one lm-evaluation-harness "
    "`--log_samples` JSONL log per model (named after the model) and give each model's compute."
)


@dataclass
class PerChoiceJob(Job):
    """Both routes fitted on the smaller models of ``logs`` (:func:`compare_routes`)."""

    logs: ChoiceLogs
    holdout_above: float | None = None
    random_seed: int | None = None

    def work(self) -> RouteComparison:
        return compare_routes(
            self.logs,
            self.holdout_above,
            random_seed=self.random_seed,
            progress=self._report,
            cancel=self.cancel,
        )


class PerChoiceView(pn.viewable.Viewer):
    """Logs in (simulated or uploaded, with each model's compute); the two routes' predictions
    of the held-out models' accuracy out, with the fitted laws."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    logs = param.ClassSelector(
        class_=ChoiceLogs, default=None, allow_None=True, doc="The models' logs the tab fits."
    )
    compute = param.String(
        default="", doc="Each uploaded model's training compute, one MODEL=FLOPs a line."
    )
    holdout_above = param.String(
        default="", doc="Predict the models above this compute (empty: the top 40 % of log C)."
    )
    comparison = param.ClassSelector(
        class_=RouteComparison, default=None, allow_None=True, doc="The last finished fit."
    )
    random_seed = param.Integer(default=0, bounds=(0, 2**32 - 1), doc="Seed of the sampler.")
    max_upload_mb = param.Number(
        default=50.0, bounds=(0, None), doc="Largest accepted upload, in megabytes."
    )

    def __init__(self, **params):
        params.setdefault("max_upload_mb", max_upload_mb_from_environment())
        super().__init__(**params)
        self._origin = ""
        self._uploaded = {}
        self._file_input = pn.widgets.FileInput(accept=".jsonl", multiple=True)
        self._simulate_button = pn.widgets.Button(label="Simulate logs", color="light")
        self._compute_input = pn.widgets.TextAreaInput.from_param(
            self.param.compute, name="Compute per model (MODEL=FLOPs)", height=120, width=360
        )
        self._holdout_input = pn.widgets.TextInput.from_param(
            self.param.holdout_above, name="Hold out above C (FLOPs)", width=220
        )
        self._data_alert = error_alert()
        self._data_summary = pn.pane.Markdown("")
        self._models = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self.controls = JobControls(self.start_fit, label="Fit both routes", progress_width=300)
        self._fit_alert = error_alert()
        self._result_note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._predictions = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._plots = pn.Row(sizing_mode="stretch_width")
        self._file_input.param.watch(self._on_upload, ["value", "filename"])
        self._simulate_button.on_click(lambda event: self.simulate())
        self.simulate()
        self._show_comparison()

    # -- logs ------------------------------------------------------------------------------
    def simulate(self, seed: int = 0) -> None:
        """Simulated logs of a ladder of models become the tab's logs."""
        self._uploaded = {}
        show_error(self._data_alert)
        self._origin = f"simulated, seed {seed}"
        self.logs = simulate_choice_logs(random_seed=seed)

    def _on_upload(self, *events) -> None:
        names, contents = self._file_input.filename, self._file_input.value
        if not names:
            return
        names = [names] if isinstance(names, str) else list(names)
        contents = [contents] if not isinstance(contents, list) else contents
        try:
            size = sum(len(content or b"") for content in contents) / 2**20
            if size > self.max_upload_mb:
                raise LogSamplesError(
                    f"the logs are {size:.1f} MB, above the upload limit of "
                    f"{self.max_upload_mb:g} MB (workbench serve --max-upload-mb raises it)"
                )
            uploaded = {
                name.removesuffix(".jsonl"): read_log_samples(content or b"", repr(name))
                for name, content in zip(names, contents, strict=True)
            }
        except LogSamplesError as error:
            self._fail(self._data_alert, f"Could not read the logs: {error}")
            return
        self._uploaded = uploaded
        self._origin = "uploaded"
        known = parse_compute_or_empty(self.compute)
        # Lines for each new model, to fill in; compute already given is kept.
        self.compute = "\n".join(f"{model}={known.get(model, '')}" for model in uploaded)

    @param.depends("compute", watch=True)
    def _combine(self) -> None:
        if not self._uploaded:
            return
        try:
            logs = combine_logs(self._uploaded, parse_compute(self.compute.splitlines()))
        except LogSamplesError as error:
            self._fail(self._data_alert, f"Could not use the logs: {error}")
            return
        show_error(self._data_alert)
        self.logs = logs

    @param.depends("logs", watch=True)
    def _describe_logs(self) -> None:
        self.controls.status = ""
        show_error(self._fit_alert)
        logs = self.logs
        self._data_summary.object = (
            f"**{len(logs.models)} models** ({self._origin}), {logs.n_items} items × "
            f"{logs.n_choices} choices, {logs.compute.min():.3g} to {logs.compute.max():.3g} "
            "FLOPs."
        )
        show_table(self._models, logs.table())

    # -- fitting ---------------------------------------------------------------------------
    async def start_fit(self, event=None) -> None:
        controls = self.controls
        if controls.running:
            return
        show_error(self._fit_alert)
        try:
            holdout = parse_quantity(self.holdout_above) if self.holdout_above.strip() else None
        except ValueError as error:
            self._fail(self._fit_alert, f"Could not fit: hold-out compute: {error}")
            return
        job = PerChoiceJob(logs=self.logs, holdout_above=holdout, random_seed=self.random_seed)
        try:
            comparison = await controls.run(
                job, f"Fitting both routes to {len(self.logs.models)} models' logs ..."
            )
        except FitCancelled:
            controls.status = "Fit cancelled; the previous fit, if any, is kept."
        except ValueError as error:
            self._fail(self._fit_alert, f"Could not fit: {error}")
        except Exception as error:
            self._fail(self._fit_alert, f"Could not fit: {type(error).__name__}: {error}")
        else:
            self.comparison = comparison
            controls.status = (
                f"Fitted {len(comparison.fitted.models)} models and predicted "
                f"{len(comparison.held_out.models)} in {job.seconds:.1f} s."
            )

    def _fail(self, alert: pn.pane.Alert, message: str) -> None:
        """Say what went wrong in place (the logs' or the fit's alert) and in the session."""
        show_failure(alert, self.state, self.controls, message)

    # -- results ---------------------------------------------------------------------------
    @param.depends("comparison", "state.ci_prob", watch=True)
    def _show_comparison(self) -> None:
        comparison = self.comparison
        if comparison is None:
            self._result_note.object = "No fit yet: press **Fit both routes**."
            show_table(self._predictions, pd.DataFrame())
            self._plots.objects = []
            return
        ci_prob = self.state.ci_prob
        show_table(self._predictions, comparison.table(ci_prob))
        scores = comparison.scores(ci_prob)
        self._result_note.object = "  \n".join(
            f"**{label}**: mean absolute error {scores[route]['mean_absolute_error']:.3f}, "
            f"{scores[route]['coverage']:.0%} of the held-out models inside the interval."
            for route, label in (("perchoice", "Per-choice laws"), ("direct", "Direct law"))
        )
        self._plots.objects = [
            plot_or_alert(plot_choice_masses, comparison, ci_prob=ci_prob),
            plot_or_alert(plot_accuracy_routes, comparison, ci_prob=ci_prob),
        ]

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            pn.Row(self._file_input, self._simulate_button),
            pn.Row(self._compute_input, self._holdout_input),
            self._data_alert,
            self._data_summary,
            self._models,
            self.controls,
            self._fit_alert,
            self._result_note,
            self._predictions,
            self._plots,
            sizing_mode="stretch_width",
        )


def parse_compute_or_empty(text: str) -> dict[str, float]:
    """The compute already typed, or nothing when it does not parse yet."""
    try:
        return parse_compute(text.splitlines())
    except LogSamplesError:
        return {}
