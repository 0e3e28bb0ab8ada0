"""The Compare tab: fit several laws to the same runs, compare them by LOO with stacking weights,
average their predictions, and backtest them on the largest runs."""

import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    error_alert,
    formula_law_name,
    markdown_literal,
    plot_or_alert,
    show_error,
    show_table,
)
from workbench.app.controls import JobControls
from workbench.app.jobs import BacktestJob, FitJob
from workbench.app.state import WorkbenchState
from workbench.fitting import DEFAULT_SAMPLER, FitCancelled, ScalingLawFit
from workbench.laws import LAWS, get_law
from workbench.laws.formula import FormulaError
from workbench.plots import plot_backtest, plot_comparison
from workbench.predict import Comparison, model_averaged_prediction, predict
from workbench.predict.compare import loo_comparison
from workbench.runs import parse_quantity

DEFAULT_LAWS = ["chinchilla", "kaplan_joint"]
AVERAGE_LABEL = "stacking average"
LOO_COLUMNS = ["rank", "elpd", "se", "p", "weight", "elpd_diff", "dse"]
"""Columns of ArviZ's comparison shown first: the scores and weights, then the differences."""
BACKTEST_NOTE = (
    "Hold out the largest runs by compute, fit each chosen law to the rest, and score its "
    "predictions of the held-out runs: ARE is the mean relative error of the median, coverage "
    "the fraction of held-out runs inside the inner (50 %) and credible-level intervals of a "
    "new run."
)


class CompareView(pn.viewable.Viewer):
    """Fit each chosen law in turn off the event loop, then show the LOO table and the curves;
    average the laws' predictions by their stacking weights; backtest the laws."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    laws = param.ListSelector(
        default=DEFAULT_LAWS, objects=list(LAWS), doc="Law families to fit and compare."
    )
    covariate = param.Selector(
        default="C", objects=["N", "D", "C"], doc="Covariate of one-covariate families."
    )
    formula = param.String(
        default="", doc="A law written as a formula, compared beside the families (optional)."
    )
    random_seed = param.Integer(default=1, bounds=(0, 2**32 - 1), doc="Seed of every fit.")
    draws = param.Integer(
        default=DEFAULT_SAMPLER["draws"], bounds=(10, 1_000_000), doc="Posterior draws per chain."
    )
    tune = param.Integer(
        default=DEFAULT_SAMPLER["tune"], bounds=(10, 100_000), doc="Tuning steps per chain."
    )
    target_N = param.String(default="70B", doc="Target parameters of the averaged prediction.")
    target_D = param.String(default="1.4T", doc="Target tokens of the averaged prediction.")
    holdout_top_frac = param.Number(
        default=0.2,
        bounds=(0.05, 0.5),
        step=0.05,
        doc="Fraction of the runs, the largest by compute, held out by the backtest.",
    )

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self.comparison: Comparison | None = None
        self.backtest_result = None
        self._laws_choice = pn.widgets.MultiChoice.from_param(self.param.laws, label="Laws")
        self._formula_input = pn.widgets.TextInput.from_param(
            self.param.formula,
            name="And a formula (optional)",
            placeholder="E + A*N**-alpha + B*D**-beta",
            sizing_mode="stretch_width",
        )
        self._covariate_select = pn.widgets.Select.from_param(
            self.param.covariate, label="Covariate of one-covariate laws", width=220
        )
        self._draws_input = pn.widgets.IntInput.from_param(
            self.param.draws, label="Draws per chain", width=140
        )
        self._tune_input = pn.widgets.IntInput.from_param(
            self.param.tune, label="Tuning steps per chain", width=160
        )
        # One progress bar per law instead of the controls' own.
        self.compare_controls = JobControls(
            self.run_comparison, label="Fit and compare", progress_width=None
        )
        self._progress = pn.Column()
        self._alert = error_alert()
        self._pareto_alert = pn.pane.Alert(
            "", alert_type="warning", visible=False, sizing_mode="stretch_width"
        )
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, sizing_mode="stretch_width"
        )
        self._plot = pn.Column(sizing_mode="stretch_width")
        self._average_inputs = pn.Row(
            pn.widgets.TextInput.from_param(
                self.param.target_N, label="Target N (parameters)", width=200
            ),
            pn.widgets.TextInput.from_param(
                self.param.target_D, label="Target D (tokens)", width=200
            ),
        )
        self._average_alert = error_alert()
        self._average_table = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._holdout_input = pn.widgets.FloatInput.from_param(
            self.param.holdout_top_frac, label="Held-out fraction (largest by compute)", width=260
        )
        self.backtest_controls = JobControls(
            self.run_backtest, label="Run backtest", cancel_label="Cancel backtest"
        )
        self._backtest_alert = error_alert()
        self._backtest_table = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._backtest_plot = pn.Column(sizing_mode="stretch_width")

    def configured_law(self, name: str):
        options = {"covariate": self.covariate} if "covariate" in get_law(name).options else {}
        return get_law(name, **options)

    def chosen_laws(self) -> dict:
        """The chosen families and the formula, if any, configured, by name; a bad formula
        raises ``FormulaError``."""
        formula = formula_law_name(self.formula)
        names = [*self.laws, *([formula] if formula else [])]
        return {name: self.configured_law(name) for name in names}

    @property
    def sampler(self) -> dict:
        return {"draws": self.draws, "tune": self.tune}

    # -- comparison ------------------------------------------------------------------------
    async def run_comparison(self, event=None) -> None:
        """Fit each law (progress per law), store them in ``state.fits`` and compare them."""
        controls = self.compare_controls
        if controls.running:
            return
        show_error(self._alert)
        if self.state.runs is None:
            show_error(self._alert, "Could not compare: load runs in the Data tab first")
            return
        try:
            laws = self.chosen_laws()
        except FormulaError as error:
            show_error(self._alert, f"Could not compare: {error}")
            return
        if len(laws) < 2:
            show_error(self._alert, "Could not compare: choose at least two laws")
            return
        runs = self.state.runs
        bars = {
            name: pn.indicators.Progress(value=0, max=100, width=250, bar_color="primary")
            for name in laws
        }
        notes = {name: pn.pane.Markdown("waiting", width=300) for name in laws}
        self._progress[:] = [
            pn.Row(
                pn.pane.Markdown(f"**{markdown_literal(name)}**", width=160),
                bars[name],
                notes[name],
            )
            for name in laws
        ]
        fits = {}
        with controls.busy():
            for name, law in laws.items():
                if controls.cancelled:
                    notes[name].object = "skipped"
                    continue
                fit = ScalingLawFit(law, sampler=self.sampler)
                job = FitJob(fit, runs, random_seed=self.random_seed)
                notes[name].object = (
                    "compiling, then sampling" if job.needs_compiling else "sampling"
                )

                def show(fraction, bar=bars[name]):
                    bar.value = int(100 * fraction) if fraction > 0 else -1

                try:
                    fits[name] = await controls.run(job, on_progress=show)
                except FitCancelled:
                    notes[name].object = "cancelled"
                except Exception as error:
                    notes[name].object = f"failed: {error}"
                else:
                    notes[name].object = f"done in {job.seconds:.1f} s"
        controls.status = ""
        self.state.fits = fits
        self._show_comparison(fits)

    def cancel(self, event=None) -> None:
        """Stop the running fit and skip the laws not yet fitted."""
        self.compare_controls.cancel()

    def _show_comparison(self, fits: dict) -> None:
        try:
            # The Pareto-k points are shown below the table, so no warning is issued.
            comparison = loo_comparison(fits)
        except ValueError as error:
            show_error(self._alert, f"Could not compare: {error}")
            self.comparison = None
            self._table.value = pd.DataFrame()
            self._plot[:] = []
            self._pareto_alert.visible = False
            self._show_average()
            return
        self.comparison = comparison
        table = comparison.table
        first = [column for column in LOO_COLUMNS if column in table.columns]
        table = table[first + [column for column in table.columns if column not in first]]
        show_table(self._table, table.rename_axis("law"))
        points = comparison.pareto_k
        self._pareto_alert.param.update(
            object=(
                f"PSIS-LOO is unreliable at {len(points)} observation(s) (Pareto k > "
                f"{comparison.pareto_k_threshold:g}): " + "; ".join(map(str, points))
            ),
            visible=bool(points),
        )
        self._plot[:] = [plot_or_alert(plot_comparison, fits, ci_prob=self.state.ci_prob)]
        self._show_average()

    @param.depends("state.ci_prob", watch=True)
    def _on_ci_prob(self) -> None:
        if self.comparison is not None:
            fits = self.comparison.fits
            self._plot[:] = [plot_or_alert(plot_comparison, fits, ci_prob=self.state.ci_prob)]
            self._show_average()

    # -- model-averaged prediction ---------------------------------------------------------
    @param.depends("target_N", "target_D", watch=True)
    def _show_average(self) -> None:
        """The stacking average of the laws' predictions of a new run at the target, beside each
        law's own prediction."""
        comparison = self.comparison
        if comparison is None:
            self._average_table.value = pd.DataFrame()
            show_error(self._average_alert)
            return
        try:
            targets = {"N": [parse_quantity(self.target_N)], "D": [parse_quantity(self.target_D)]}
            table = averaged_prediction_table(
                comparison, targets, self.random_seed, self.state.ci_prob
            )
        except (TypeError, ValueError) as error:
            show_error(self._average_alert, f"Could not predict at the target: {error}")
            return
        show_error(self._average_alert)
        show_table(self._average_table, table)

    @param.depends("state.predictions", watch=True)
    def _follow_extrapolate_targets(self) -> None:
        """Predict at the latest target of the Extrapolate tab, when it has N and D."""
        predictions = self.state.predictions
        if predictions is None or not {"N", "D"} <= set(predictions.columns):
            return
        last = predictions.iloc[-1]
        self.param.update(target_N=f"{last['N']:.4g}", target_D=f"{last['D']:.4g}")

    # -- backtest --------------------------------------------------------------------------
    async def run_backtest(self, event=None) -> None:
        """Backtest the chosen laws off the event loop; show the table and the plot."""
        if self.backtest_controls.running:
            return
        show_error(self._backtest_alert)
        if self.state.runs is None:
            show_error(self._backtest_alert, "Could not backtest: load runs in the Data tab first")
            return
        try:
            laws = self.chosen_laws()
        except FormulaError as error:
            show_error(self._backtest_alert, f"Could not backtest: {error}")
            return
        if not laws:
            show_error(self._backtest_alert, "Could not backtest: choose at least one law")
            return
        job = BacktestJob(
            self.state.runs,
            laws,
            {
                "holdout_top_frac": self.holdout_top_frac,
                "sampler": self.sampler,
                "random_seed": self.random_seed,
                "ci_prob": self.state.ci_prob,
            },
        )
        controls = self.backtest_controls
        try:
            result = await controls.run(job, f"Backtesting {', '.join(laws)} ...")
        except FitCancelled:
            controls.status = "Backtest cancelled."
            return
        except Exception as error:
            controls.status = ""
            show_error(self._backtest_alert, f"Could not backtest: {error}")
            return
        self.backtest_result = result
        controls.status = f"Backtest finished in {job.seconds:.1f} s: {result.holdout.describe()}."
        show_table(self._backtest_table, result.table.reset_index())
        self._backtest_plot[:] = [plot_or_alert(plot_backtest, result)]

    def cancel_backtest(self, event=None) -> None:
        self.backtest_controls.cancel()

    def __panel__(self):
        return pn.Column(
            pn.Row(self._laws_choice, self._covariate_select),
            self._formula_input,
            pn.Row(self._draws_input, self._tune_input),
            self.compare_controls,
            self._progress,
            self._alert,
            # The table above the plot, not beside it: its ten columns need the page's width.
            pn.pane.Markdown("**LOO comparison** (best first; stacking weights)"),
            self._table,
            self._pareto_alert,
            self._plot,
            pn.pane.Markdown(
                "### Model-averaged prediction\nA new run's target at (N, D), mixing the laws' "
                "predictive draws by their stacking weights; the Extrapolate tab's latest target "
                "is copied here."
            ),
            self._average_inputs,
            self._average_alert,
            self._average_table,
            pn.pane.Markdown(f"### Backtest\n{BACKTEST_NOTE}"),
            self._holdout_input,
            self.backtest_controls,
            self._backtest_alert,
            self._backtest_table,
            self._backtest_plot,
            sizing_mode="stretch_width",
        )


def averaged_prediction_table(
    comparison: Comparison, targets, random_seed, ci_prob: float | None = None
) -> pd.DataFrame:
    """One row per law and one for their stacking average: weight, median and ``ci_prob``
    interval of a new run's target (the observation predictive)."""
    weights = comparison.weights
    rows = [
        model_averaged_prediction(
            comparison, targets, ci_prob=ci_prob, random_seed=random_seed
        ).assign(law=AVERAGE_LABEL, weight=1.0)
    ]
    rows += [
        predict(fit, targets, ci_prob=ci_prob).assign(law=name, weight=weights[name])
        for name, fit in comparison.fits.items()
    ]
    table = pd.concat(rows, ignore_index=True).query("kind == 'observation'")
    columns = [column for column in table.columns if column == "median" or "ci_" in column]
    return table[["law", "weight", *columns]].reset_index(drop=True)
