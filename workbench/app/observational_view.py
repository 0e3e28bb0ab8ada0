"""The Observational tab: Ruan et al.'s held-out protocol for observational scaling, the
Bayesian low-rank model against a per-family power law, on the authors' public benchmark table."""

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
from workbench.app.jobs import FitJob, run_in_thread
from workbench.app.state import WorkbenchState
from workbench.downstream import (
    CHANCE_FLOORS,
    DEFAULT_COMPONENTS,
    HoldoutReport,
    ObservationalScalingFit,
    holdout_groups,
    score_holdout,
)
from workbench.downstream.holdout import TRAINING
from workbench.fitting import FitCancelled
from workbench.plots import plot_family_curves, plot_holdout_predictions
from workbench.runs.datasets import RUAN2024_CONSTANTS_URL, RUAN2024_URL, DatasetError, ruan2024

INTRODUCTION = (
    "**Observational scaling** (Ruan et al. 2024): a few latent capabilities per public model, "
    "each linear in log training compute within its family, read by each benchmark through a "
    "sigmoid above chance. Fitted to the models below 8.4e22 FLOPs, it predicts the larger ones "
    "and the 20 models the authors pre-registered before their release; a power law per family "
    "and benchmark is the baseline. The data are the authors' table, downloaded once."
)
FAMILIES_SHOWN = 6
"""Families drawn in the compute plot: those with the most models below the cut."""


class ObservationalView(pn.viewable.Viewer):
    """Load the public table, fit below the cut off the event loop, show the held-out report."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    data = param.String(default=RUAN2024_URL, doc="Path or URL of the authors' score table.")
    constants = param.String(
        default=RUAN2024_CONSTANTS_URL, doc="Path or URL of their constants.py (pre-registered)."
    )
    components = param.Integer(
        default=DEFAULT_COMPONENTS, bounds=(1, len(CHANCE_FLOORS)), doc="Latent capabilities K."
    )
    draws = param.Integer(
        default=None, allow_None=True, bounds=(1, None), doc="Draws per chain (model default)."
    )
    tune = param.Integer(
        default=None, allow_None=True, bounds=(0, None), doc="Tuning steps (model default)."
    )
    random_seed = param.Integer(default=0, bounds=(0, 2**32 - 1), doc="Seed of the sampler.")
    benchmark = param.Selector(
        default=next(iter(CHANCE_FLOORS)), objects=list(CHANCE_FLOORS), doc="Benchmark plotted."
    )
    report = param.ClassSelector(
        class_=HoldoutReport, default=None, allow_None=True, doc="The last held-out report."
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._scores: pd.DataFrame | None = None
        self._inputs = pn.Row(
            pn.widgets.TextInput.from_param(self.param.data, name="Score table", width=300),
            pn.widgets.TextInput.from_param(
                self.param.constants, name="Pre-registered list (constants.py)", width=300
            ),
            pn.widgets.IntInput.from_param(self.param.components, name="Capabilities", width=120),
            pn.widgets.Select.from_param(self.param.benchmark, name="Benchmark", width=160),
        )
        self.controls = JobControls(self.start_fit, label="Fit and score", progress_width=300)
        self._alert = error_alert()
        self._note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._table = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._plots = pn.Column(sizing_mode="stretch_width")
        self._show_report()

    async def start_fit(self, event=None) -> None:
        controls = self.controls
        if controls.running:
            return
        show_error(self._alert)
        try:
            scores = await run_in_thread(ruan2024, url=self.data, constants_url=self.constants)
        except DatasetError as error:
            self._fail(
                f"Could not load Ruan et al.'s table: {error}. Offline? Give the path of a "
                "local copy of base_llm_benchmark_eval.csv and constants.py above."
            )
            return
        sampler = {"draws": self.draws, "tune": self.tune}
        fit = ObservationalScalingFit(
            components=self.components,
            sampler={name: value for name, value in sampler.items() if value is not None},
        )
        training = scores[holdout_groups(scores) == TRAINING]
        job = FitJob(fit, training, random_seed=self.random_seed)
        try:
            fitted = await controls.run(job, f"Fitting {len(training)} models below the cut ...")
        except FitCancelled:
            controls.status = "Fit cancelled; the previous report, if any, is kept."
            return
        except ValueError as error:
            self._fail(f"Could not fit: {error}")
            return
        self._scores = scores
        self.report = score_holdout(fitted, scores, self.state.ci_prob, self.random_seed)
        diagnostics = fitted.diagnostics()
        controls.status = (
            f"Fitted in {job.seconds:.1f} s: R-hat max {diagnostics.rhat_max:.3f}, "
            f"{diagnostics.divergences} divergences."
        )

    def cancel(self, event=None) -> None:
        """Stop the running fit and keep the previous report."""
        self.controls.cancel()

    def _fail(self, message: str) -> None:
        show_failure(self._alert, self.state, self.controls, message)

    @param.depends("report", "benchmark", watch=True)
    def _show_report(self) -> None:
        report = self.report
        if report is None:
            self._note.object = "No report yet: press **Fit and score**."
            show_table(self._table, pd.DataFrame())
            self._plots.objects = []
            return
        show_table(self._table, report.table)
        dropped = report.table.groupby("group")["dropped_without_flops"].first()
        self._note.object = (
            f"Mean absolute error in points of accuracy and coverage of the "
            f"{100 * report.ci_prob:g} % intervals; {dropped.sum()} held-out models without "
            "FLOPs cannot be placed and are left out."
        )
        training = self._scores[holdout_groups(self._scores) == TRAINING]
        families = training["family"].value_counts().index[:FAMILIES_SHOWN]
        self._plots.objects = [
            plot_or_alert(plot_holdout_predictions, report),
            plot_or_alert(
                plot_family_curves,
                report.fit,
                self._scores,
                benchmark=self.benchmark,
                families=list(families),
                ci_prob=report.ci_prob,
            ),
        ]

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            self._inputs,
            self.controls,
            self._alert,
            self._note,
            self._table,
            self._plots,
            sizing_mode="stretch_width",
        )
