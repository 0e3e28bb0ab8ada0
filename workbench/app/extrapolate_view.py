"""The Extrapolate tab: predictions with credible intervals at target sizes (of one law, or of
the stacked laws of an auto fit), compute optimum."""

import warnings

import numpy as np
import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    StaleNote,
    csv_download,
    ensemble_weights,
    error_alert,
    markdown_literal,
    offer_csv,
    plot_or_alert,
    show_error,
    show_table,
)
from workbench.app.state import WorkbenchState
from workbench.intervals import interval_names
from workbench.laws import COVARIATE_UNITS
from workbench.plots import plot_compute_optimal, plot_extrapolation
from workbench.predict import ExtrapolationWarning, target_covariates
from workbench.runs import parse_quantity

TARGET_LABELS = {name: f"Target {name} ({unit})" for name, unit in COVARIATE_UNITS.items()}


def compute_optimal_table(table: pd.DataFrame, ci_prob: float) -> pd.DataFrame:
    """``fit.compute_optimal`` as one row per budget: medians and the tokens per parameter's
    ``ci_prob`` interval."""
    quantity = "tokens_per_parameter"
    wide = table.pivot(index="C", columns="quantity", values="median")
    interval = table[table["quantity"] == quantity].set_index("C")[list(interval_names(ci_prob))]
    wide = wide.join(interval.set_axis(list(interval_names(ci_prob, quantity)), axis=1))
    columns = ["N_opt", "D_opt", "loss_opt", quantity, *interval_names(ci_prob, quantity)]
    return wide[columns].reset_index().rename_axis(columns=None)


class ExtrapolateView(pn.viewable.Viewer):
    """Predict the target at sizes beyond the runs, for the law's mean and for a new run."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    target_N = param.String(default="70B", doc="Target parameters, e.g. 70e9 or 70B.")
    target_D = param.String(default="1.4T", doc="Target tokens, e.g. 1.4e12 or 1.4T.")
    target_C = param.String(default="6e23", doc="Target training FLOPs, e.g. 6e23.")
    compute_budgets = param.String(
        default="1e21, 1e22, 1e23, 1e24",
        doc="Compute budgets C (FLOPs), separated by commas, for the compute-optimal table.",
    )
    targets = param.List(
        default=[], item_type=dict, doc="Targets added so far, as {covariate: value} dicts."
    )

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._inputs = {
            name: pn.widgets.TextInput.from_param(
                self.param[f"target_{name}"], label=TARGET_LABELS[name], width=200
            )
            for name in COVARIATE_UNITS
        }
        self._add_button = pn.widgets.Button(label="Add target", color="light")
        self._predict_button = pn.widgets.Button(label="Predict", color="primary")
        self._clear_button = pn.widgets.Button(label="Clear targets", color="light")
        self._empty = pn.pane.Markdown("No fit yet: fit a law first.")
        self._stale = StaleNote(state=self.state, about="fit")
        self._alert = error_alert()
        self._targets_note = pn.pane.Markdown("")
        self._table = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._download = csv_download(
            "Download predictions (CSV)", "predictions.csv", color="success"
        )
        self._plot = pn.Column(sizing_mode="stretch_width")
        self._budgets_input = pn.widgets.TextInput.from_param(
            self.param.compute_budgets, label="Compute budgets C (FLOPs)", width=320
        )
        self._optimal_alert = error_alert()
        self._optimal_table = pn.widgets.Tabulator(
            pd.DataFrame(), disabled=True, show_index=False, sizing_mode="stretch_width"
        )
        self._optimal_plot = pn.Column(sizing_mode="stretch_width")
        self._ensemble_note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._weights = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            show_index=False,
        )
        self._ensemble = pn.Column(
            pn.pane.Markdown("### Laws stacked by the auto fit"),
            self._ensemble_note,
            self._weights,
            sizing_mode="stretch_width",
        )
        self._optimal = pn.Column(
            pn.pane.Markdown("### Compute-optimal allocation (C = 6·N·D)"),
            self._budgets_input,
            self._optimal_alert,
            self._optimal_table,
            self._optimal_plot,
            sizing_mode="stretch_width",
        )
        self._add_button.on_click(lambda event: self.add_target())
        self._predict_button.on_click(lambda event: self.predict())
        self._clear_button.on_click(lambda event: self.clear_targets())
        self._on_fit()

    # -- targets ---------------------------------------------------------------------------
    def predictor(self):
        """What predicts: the stacked laws of an auto fit, else the fit."""
        return self.state.ensemble if self.state.ensemble is not None else self.state.fit

    def target_names(self) -> tuple[str, ...]:
        """The covariates a target is given in: the law's, or every stacked law's, except C when
        N and D are there (C = 6·N·D follows from them)."""
        ensemble = self.state.ensemble
        names = ensemble.covariates if ensemble is not None else self.state.fit.law.covariates
        if {"N", "D"} <= set(names):
            names = tuple(name for name in names if name != "C")
        return names

    def add_target(self) -> bool:
        """Add the target in the inputs to ``targets``; show why not if it is invalid."""
        if self.state.fit is None:
            show_error(self._alert, "Could not add the target: fit a law in the Fit tab first")
            return False
        covariates = self.target_names()
        others = self.covariates_without_input(covariates)
        if others:
            label = "auto" if self.state.ensemble is not None else self.state.fit.law.label
            keywords = ", ".join(f"{name}=..." for name in others)
            show_error(
                self._alert,
                f"Could not add the target: {label} also needs {', '.join(others)}, "
                f"which this tab has no input for; predict with fit.predict(..., {keywords}) "
                f"or `workbench predict --at {others[0]}=...`",
            )
            return False
        try:
            target = self.input_target()
        except (TypeError, ValueError) as error:
            show_error(self._alert, f"Invalid target: {error}")
            return False
        show_error(self._alert)
        if target not in self.targets:
            self.targets = [*self.targets, target]
        return True

    def input_target(self) -> dict[str, float]:
        """The target the inputs hold; ``ValueError`` or ``TypeError`` when they hold none."""
        covariates = self.target_names()
        target = {name: parse_quantity(getattr(self, f"target_{name}")) for name in covariates}
        target_covariates(covariates, {name: [value] for name, value in target.items()})
        return target

    def shown_targets(self) -> dict[str, np.ndarray] | None:
        """What the plot marks before Predict: the inputs' target, so the marker and the
        fields agree (the plot's own default, 10× the largest run, is another scale)."""
        if self.covariates_without_input(self.target_names()):
            return None
        try:
            target = self.input_target()
        except (TypeError, ValueError):
            return None
        return {name: np.array([value]) for name, value in target.items()}

    def covariates_without_input(self, covariates) -> list[str]:
        """Covariates beyond N, D and C (unique tokens, streams, ...)."""
        return [name for name in covariates if name not in self._inputs]

    def clear_targets(self) -> None:
        self.targets = []
        self.state.predictions = None

    def target_arrays(self) -> dict[str, np.ndarray]:
        names = self.target_names()
        return {name: np.array([target[name] for target in self.targets]) for name in names}

    def predict(self) -> None:
        """Predict at every target (adding the one in the inputs) and draw the extrapolation."""
        if self.add_target():
            self.predict_targets()

    def predict_targets(self) -> None:
        """Predict at the added targets, at the session's credible level, and draw them."""
        targets, ci_prob = self.target_arrays(), self.state.ci_prob
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ExtrapolationWarning)
            try:
                predictions = self.predictor().predict(targets, ci_prob=ci_prob)
            except ValueError as error:
                show_error(self._alert, f"Could not predict: {error}")
                return
            # The plot predicts the same targets again, silently; the alert below says it once.
            plot = plot_or_alert(plot_extrapolation, self.state.fit, targets, ci_prob=ci_prob)
        beyond = [w for w in caught if issubclass(w.category, ExtrapolationWarning)]
        if beyond:
            show_error(self._alert, f"Beyond the evidence: {beyond[0].message}")
        self.state.predictions = predictions
        self._plot[:] = [plot]

    @param.depends("targets", watch=True)
    def _on_targets(self):
        listed = "; ".join(
            ", ".join(f"{name} = {value:.3g}" for name, value in target.items())
            for target in self.targets
        )
        self._targets_note.object = f"**Targets:** {listed}" if listed else ""

    @param.depends("state.predictions", watch=True)
    def _on_predictions(self):
        predictions = self.state.predictions
        offer_csv(self._download, predictions)
        if predictions is None:
            self._table.value = pd.DataFrame()
        else:
            show_table(self._table, predictions)

    # -- the fit ---------------------------------------------------------------------------
    @param.depends("state.fit", "state.ensemble", watch=True)
    def _on_fit(self):
        fit = self.state.fit
        self._empty.visible = fit is None
        covariates = self.target_names() if fit is not None else ("N", "D")
        for name, widget in self._inputs.items():
            widget.visible = fit is not None and name in covariates
        self.targets = []
        self._plot[:] = []
        if fit is not None:
            self._plot[:] = [self._shown_plot(fit)]
        # The compute optimum holds other covariates fixed, which this tab cannot set.
        self._optimal.visible = (
            fit is not None
            and fit.law.has_compute_optimum
            and not self.covariates_without_input(fit.law.covariates)
        )
        self._show_weights()
        self._optimal_plot[:] = []
        self._on_budgets()

    def _shown_plot(self, fit):
        return plot_or_alert(
            plot_extrapolation, fit, self.shown_targets(), ci_prob=self.state.ci_prob
        )

    @param.depends("state.ci_prob", watch=True)
    def _on_ci_prob(self):
        fit = self.state.fit
        if fit is None:
            return
        if self.targets and self.state.predictions is not None:
            self.predict_targets()
        else:
            self._plot[:] = [self._shown_plot(fit)]
        self._optimal_plot[:] = []
        self._on_budgets()

    def _show_weights(self):
        ensemble = self.state.ensemble
        self._ensemble.visible = ensemble is not None
        if ensemble is None:
            self._weights.value = pd.DataFrame()
            return
        show_table(self._weights, ensemble_weights(ensemble))
        drawn = (
            "the plot and the compute-optimal table show"
            if self._optimal.visible
            else "the plot shows"
        )
        self._ensemble_note.object = (
            "Predictions are the mixture of these laws by their weights, with calibrated "
            f"intervals; {drawn} **{markdown_literal(self.state.fit.law.label)}**, the law with "
            "the largest weight."
        )

    @param.depends("compute_budgets", watch=True)
    def _on_budgets(self):
        fit = self.state.fit
        if fit is None or not self._optimal.visible:
            self._optimal_plot[:] = []
            return
        try:
            budgets = [part.strip() for part in self.compute_budgets.split(",") if part.strip()]
            table = fit.compute_optimal(budgets, ci_prob=self.state.ci_prob)
        except ValueError as error:
            show_error(self._optimal_alert, f"Invalid compute budgets: {error}")
            return
        show_error(self._optimal_alert)
        show_table(self._optimal_table, compute_optimal_table(table, self.state.ci_prob))
        if not self._optimal_plot.objects:
            self._optimal_plot[:] = [
                plot_or_alert(plot_compute_optimal, fit, ci_prob=self.state.ci_prob)
            ]

    def __panel__(self):
        return pn.Column(
            self._empty,
            self._stale,
            pn.Row(*self._inputs.values()),
            pn.Row(self._add_button, self._predict_button, self._clear_button),
            self._targets_note,
            self._alert,
            self._ensemble,
            self._table,
            self._download,
            self._plot,
            self._optimal,
            sizing_mode="stretch_width",
        )
