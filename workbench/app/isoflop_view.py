"""The IsoFLOP tab: runs at fixed FLOP budgets → each budget's optimum → N_opt ∝ C^a."""

import numpy as np
import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    UPLOAD_SUFFIXES,
    csv_download,
    error_alert,
    offer_csv,
    plot_or_alert,
    read_uploaded,
    show_error,
    show_failure,
    show_table,
    watch_upload,
)
from workbench.app.controls import JobControls
from workbench.app.data_view import max_upload_mb_from_environment
from workbench.app.jobs import FitJob
from workbench.app.state import WorkbenchState
from workbench.fitting import FitCancelled
from workbench.hyperparameters import IsoFlopFit, SweepError, simulate_isoflop_runs
from workbench.hyperparameters.isoflop import group_budgets
from workbench.plots.isoflop import plot_isoflop_curves, plot_isoflop_frontier
from workbench.runs import RunTable, RunTableError, from_frame, parse_quantity, read_runs

SIMULATED_BUDGETS = np.geomspace(1e18, 1e21, 7)
ALL_RUNS = "all runs"
SUBSET_VALUES = 30  # text columns with at most this many values offer a subset each
TARGET_SCALE = 100.0  # the default target: this many times the largest budget
INTRODUCTION = (
    "**IsoFLOP analysis** (Hoffmann et al. 2022, approach 2): runs at a few fixed FLOP budgets, "
    "several model sizes each. Each budget's loss against N is a parabola near its minimum; the "
    "minima follow N_opt = A·C^a, fitted in one Bayesian model so that every budget's "
    "uncertainty reaches a. D_opt = C/(6·N_opt). Upload runs with `N`, `C` (or `D`) and `loss`, "
    "use the Data tab's runs, or simulate some."
)


class IsoFlopView(pn.viewable.Viewer):
    """Choose IsoFLOP runs, fit :class:`IsoFlopFit` off the event loop, and show the curves, the
    frontier, the exponents and N_opt and D_opt at a target budget."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    runs = param.ClassSelector(
        class_=RunTable, default=None, allow_None=True, doc="The IsoFLOP runs the tab fits."
    )
    subset = param.Selector(default=ALL_RUNS, objects=[ALL_RUNS], doc="Which runs to fit.")
    fit = param.ClassSelector(
        class_=IsoFlopFit, default=None, allow_None=True, doc="The last finished fit."
    )
    random_seed = param.Integer(default=0, bounds=(0, 2**32 - 1), doc="Seed of the sampler.")
    target = param.String(default="", doc="FLOP budgets to predict at, comma-separated.")
    max_upload_mb = param.Number(
        default=50.0, bounds=(0, None), doc="Largest accepted upload, in megabytes."
    )

    def __init__(self, **params):
        params.setdefault("max_upload_mb", max_upload_mb_from_environment())
        super().__init__(**params)
        self._origin = ""
        self._file_input = pn.widgets.FileInput(accept=",".join(UPLOAD_SUFFIXES))
        self._session_button = pn.widgets.Button(label="Use the Data tab's runs", color="light")
        self._simulate_button = pn.widgets.Button(label="Simulate IsoFLOP runs", color="light")
        self._subset_select = pn.widgets.Select.from_param(
            self.param.subset, name="Runs to fit", width=320
        )
        self._data_alert = error_alert()
        self._data_summary = pn.pane.Markdown("No IsoFLOP runs yet.")
        self.controls = JobControls(self.start_fit, label="Fit IsoFLOP", progress_width=300)
        self._fit_alert = error_alert()
        self._result_note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._exponents = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._budgets = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._budgets_download = csv_download("Download budgets (CSV)", "isoflop_budgets.csv")
        self._target_input = pn.widgets.TextInput.from_param(
            self.param.target, name="Target budget C (FLOPs)", width=240
        )
        self._target_alert = error_alert()
        self._predictions = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._plots = pn.Row(sizing_mode="stretch_width")
        watch_upload(self._file_input, self._read_upload, self._set_runs, self._fail_data)
        self._session_button.on_click(lambda event: self.use_session_runs())
        self._simulate_button.on_click(lambda event: self.simulate())
        self._describe_runs()
        self._show_fit()

    # -- runs ------------------------------------------------------------------------------
    def simulate(self, seed: int = 0) -> None:
        """Runs simulated from Hoffmann et al.'s law at seven budgets become the tab's runs."""
        frame = simulate_isoflop_runs(SIMULATED_BUDGETS, random_seed=seed).drop(columns="N_opt")
        self._set_runs(from_frame(frame), f"simulated from Hoffmann et al.'s law, seed {seed}")

    def use_session_runs(self) -> None:
        if self.state.runs is None:
            self._fail_data("The Data tab has no runs yet.")
            return
        self._set_runs(self.state.runs.final_checkpoints(), "the Data tab's runs")

    def _read_upload(self, content: bytes, filename: str) -> RunTable:
        return read_uploaded(content, filename, self.max_upload_mb, read_runs, "runs")

    def _set_runs(self, runs: RunTable, origin: str) -> None:
        show_error(self._data_alert)
        self._origin = origin
        self.param.subset.objects = [ALL_RUNS, *subset_choices(runs.data)]
        with param.parameterized.discard_events(self):
            self.subset = ALL_RUNS
        self.runs = runs

    def _fail_data(self, message: str) -> None:
        show_error(self._data_alert, message)
        self.state.error = message

    def chosen_runs(self) -> RunTable:
        """The tab's runs, narrowed to the chosen subset."""
        if self.subset == ALL_RUNS:
            return self.runs
        column, value = self.subset.split(" = ", 1)
        return self.runs.filter((self.runs.data[column].astype(str) == value).to_numpy())

    @param.depends("runs", "subset", watch=True)
    def _describe_runs(self) -> None:
        self.controls.status = ""
        show_error(self._fit_alert)
        if self.runs is None:
            self._data_summary.object = "No IsoFLOP runs yet: upload, use or simulate some."
            return
        runs = self.chosen_runs()
        if not runs.has("C"):
            self._data_summary.object = (
                f"**{len(runs)} runs** ({self._origin}): no FLOP column C (or N and D) to group "
                "them into budgets."
            )
            return
        _, counts = np.unique(group_budgets(runs.column("C")), return_counts=True)
        sizes = (
            f"{counts.min()}" if counts.min() == counts.max() else f"{counts.min()}–{counts.max()}"
        )
        self._data_summary.object = (
            f"**{len(runs)} runs** ({self._origin}) at **{len(counts)} FLOP budgets**, "
            f"{sizes} model sizes each."
        )

    # -- fitting ---------------------------------------------------------------------------
    async def start_fit(self, event=None) -> None:
        controls = self.controls
        if controls.running:
            return
        show_error(self._fit_alert)
        if self.runs is None:
            self._fail_fit("Could not fit: upload, use or simulate IsoFLOP runs first")
            return
        runs = self.chosen_runs()
        job = FitJob(IsoFlopFit(), runs, random_seed=self.random_seed)
        try:
            fitted = await controls.run(
                job, f"Fitting the IsoFLOP analysis to {len(runs)} runs ..."
            )
        except FitCancelled:
            controls.status = "Fit cancelled; the previous fit, if any, is kept."
        except (RunTableError, SweepError, ValueError) as error:
            self._fail_fit(f"Could not fit the IsoFLOP analysis: {error}")
        except Exception as error:
            self._fail_fit(f"Could not fit the IsoFLOP analysis: {type(error).__name__}: {error}")
        else:
            self.fit = fitted
            budgets = fitted.idata.attrs["n_groups"]
            controls.status = f"IsoFLOP fit finished: {budgets} budgets in {job.seconds:.1f} s."

    def cancel(self, event=None) -> None:
        """Stop the running fit and keep the previous one."""
        self.controls.cancel()

    def _fail_fit(self, message: str) -> None:
        show_failure(self._fit_alert, self.state, self.controls, message)

    # -- results ---------------------------------------------------------------------------
    @param.depends("fit", "state.ci_prob", watch=True)
    def _show_fit(self) -> None:
        fit = self.fit
        if fit is None:
            self._result_note.object = "No IsoFLOP fit yet: press **Fit IsoFLOP**."
            show_table(self._exponents, pd.DataFrame())
            show_table(self._budgets, pd.DataFrame())
            offer_csv(self._budgets_download, None)
            self._plots.objects = []
            return
        ci_prob = self.state.ci_prob
        exponents = fit.exponents(ci_prob).reset_index()
        exponents.insert(1, "law", ["N_opt ∝ C^a", "D_opt ∝ C^b"])
        show_table(self._exponents, exponents)
        budgets = fit.budget_optima(ci_prob)
        show_table(self._budgets, budgets)
        offer_csv(self._budgets_download, budgets)
        a = exponents.set_index("exponent").loc["a", "median"]
        self._result_note.object = (
            f"Compute-optimal model size grows as **C^{a:.3f}**, and tokens as "
            f"**C^{1 - a:.3f}**: Hoffmann et al. found about 0.5 for both, Kaplan et al. 0.73 "
            "for N. Each diamond is a budget's optimum with its interval."
        )
        self._plots.objects = [
            plot_or_alert(plot_isoflop_curves, fit, ci_prob=ci_prob),
            plot_or_alert(plot_isoflop_frontier, fit, ci_prob=ci_prob),
        ]
        default = f"{TARGET_SCALE * budgets['C'].max():.3g}"
        if not self.target:
            self.target = default  # predicts through _predict
        else:
            self._predict()

    @param.depends("target", "state.ci_prob", watch=True)
    def _predict(self) -> None:
        show_error(self._target_alert)
        if self.fit is None or not self.target.strip():
            show_table(self._predictions, pd.DataFrame())
            return
        try:
            budgets = [parse_quantity(part.strip()) for part in self.target.split(",") if part]
            table = self.fit.predict(C=budgets, ci_prob=self.state.ci_prob)
        except ValueError as error:
            show_error(self._target_alert, f"Could not predict: {error}")
            return
        rows = table[table["kind"] == "setting"].drop(columns="kind")
        show_table(self._predictions, rows.sort_values(["C", "quantity"], ascending=[True, False]))

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            pn.Row(
                self._file_input,
                self._session_button,
                self._simulate_button,
                self._subset_select,
            ),
            self._data_alert,
            self._data_summary,
            self.controls,
            self._fit_alert,
            self._result_note,
            pn.Row(self._exponents, pn.Column(self._target_input, self._target_alert)),
            self._predictions,
            self._plots,
            pn.pane.Markdown("**Each budget's optimum**"),
            self._budgets,
            self._budgets_download,
            sizing_mode="stretch_width",
        )


def subset_choices(frame: pd.DataFrame) -> list[str]:
    """``column = value`` for each value of each text column with few values, e.g. the
    ``setting`` of Porian et al.'s runs."""
    choices = []
    for column in frame.columns.drop("run", errors="ignore"):
        values = frame[column]
        if values.dtype.kind in "OUS" and 1 < values.nunique() <= SUBSET_VALUES:
            choices += [f"{column} = {value}" for value in sorted(values.astype(str).unique())]
    return choices
