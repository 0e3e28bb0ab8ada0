"""The Transfer tab: a tuned proxy's learning rate and weight decay at a target's width and
batch size, by the published transfer rules."""

import numpy as np
import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    UPLOAD_SUFFIXES,
    error_alert,
    number_inputs,
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
from workbench.hyperparameters import TransferRuleFit, simulate_transfer_sweeps
from workbench.hyperparameters.transfer import BATCH_RULES, TRANSFER_RULES, transfer
from workbench.plots import plot_hyperparameter_law
from workbench.runs import RunTable, from_frame, read_runs

INTRODUCTION = (
    "**Hyperparameter transfer.** Tune a small proxy, then scale its learning rate and weight "
    "decay to the target: μP's η ∝ 1/width for matrix-like parameters (Yang et al. 2021), "
    "AdamW's λ ∝ √width with it (Fan et al. 2025), and η ∝ √B for Adam or η ∝ B for SGD. "
    "Below, a rule's exponent is checked on sweeps (`workbench transfer-rule` does it too)."
)
SIMULATED_WIDTHS = np.geomspace(256, 4096, 5)
RULE_NOTE = (
    "**Check a rule on sweeps.** At each size the optimum of the swept hyperparameter is the "
    "minimum of a parabola in its log, fitted to the runs near that size's lowest loss; the "
    "optima follow h* ∝ size^p, all in one Bayesian model. Upload sweeps (one row per run: the "
    "size column, the hyperparameter, `loss` and `N`) or use the simulated μP sweeps."
)


class TransferView(pn.viewable.Viewer):
    """Proxy and target sizes in, the target's learning rate and weight decay out."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    proxy_width = param.Number(default=256, bounds=(0, None), doc="The proxy's width.")
    proxy_batch = param.Number(default=256, bounds=(0, None), doc="The proxy's batch size.")
    learning_rate = param.Number(default=3e-3, bounds=(0, None), doc="The proxy's learning rate.")
    weight_decay = param.Number(default=0.1, bounds=(0, None), doc="The proxy's weight decay.")
    target_width = param.Number(default=4096, bounds=(0, None), doc="The target's width.")
    target_batch = param.Number(default=1024, bounds=(0, None), doc="The target's batch size.")
    optimizer = param.Selector(default="adam", objects=list(BATCH_RULES), doc="The optimizer.")

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs = pn.Row(
            *number_inputs(
                self,
                {
                    "proxy_width": "Proxy width",
                    "proxy_batch": "Proxy batch size",
                    "learning_rate": "Proxy learning rate",
                    "weight_decay": "Proxy weight decay",
                    "target_width": "Target width",
                    "target_batch": "Target batch size",
                },
                width=150,
            ),
            pn.widgets.Select.from_param(self.param.optimizer, name="Optimizer", width=110),
        )
        self._alert = error_alert()
        self._result = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._rules = pn.pane.Markdown(rules_text(), sizing_mode="stretch_width")
        self.rule_check = TransferRuleView(state=self.state)
        self._compute()

    @param.depends(
        "proxy_width",
        "proxy_batch",
        "learning_rate",
        "weight_decay",
        "target_width",
        "target_batch",
        "optimizer",
        watch=True,
    )
    def _compute(self) -> None:
        show_error(self._alert)
        proxy = {
            "width": self.proxy_width,
            "batch_size": self.proxy_batch,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
        }
        target = {"width": self.target_width, "batch_size": self.target_batch}
        try:
            result = transfer(proxy, target, optimizer=self.optimizer)
        except ValueError as error:
            show_error(self._alert, f"Could not transfer: {error}")
            show_table(self._result, pd.DataFrame())
            return
        show_table(
            self._result,
            pd.DataFrame(
                {
                    "hyperparameter": ["learning rate", "weight decay"],
                    "proxy": [self.learning_rate, self.weight_decay],
                    "target": [result["learning_rate"], result["weight_decay"]],
                }
            ),
        )

    def cancel(self, event=None) -> None:
        """Stop the rule's running fit."""
        self.rule_check.cancel()

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            self._inputs,
            self._alert,
            self._result,
            self._rules,
            self.rule_check,
            sizing_mode="stretch_width",
        )


class TransferRuleView(pn.viewable.Viewer):
    """Sweeps in (uploaded or simulated), :class:`TransferRuleFit` off the event loop, the
    exponent's interval against the chosen rule's and the optima with the fitted law out."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    sweeps = param.ClassSelector(
        class_=RunTable, default=None, allow_None=True, doc="The sweeps the rule is checked on."
    )
    hyperparameter = param.String(default="lr", doc="The swept column.")
    size = param.String(default="width", doc="The column the rule scales with.")
    rule = param.Selector(
        default="mup_learning_rate", objects=list(TRANSFER_RULES), doc="The rule to check."
    )
    fit = param.ClassSelector(
        class_=TransferRuleFit, default=None, allow_None=True, doc="The last finished fit."
    )
    random_seed = param.Integer(default=0, bounds=(0, 2**32 - 1), doc="Seed of the sampler.")
    max_upload_mb = param.Number(
        default=50.0, bounds=(0, None), doc="Largest accepted upload, in megabytes."
    )

    def __init__(self, state: WorkbenchState | None = None, **params):
        params.setdefault("max_upload_mb", max_upload_mb_from_environment())
        super().__init__(state=state or WorkbenchState(), **params)
        self._origin = ""
        self._file_input = pn.widgets.FileInput(accept=",".join(UPLOAD_SUFFIXES))
        self._simulate_button = pn.widgets.Button(label="Simulate μP sweeps", color="light")
        self._columns = pn.Row(
            pn.widgets.TextInput.from_param(self.param.hyperparameter, name="Swept column"),
            pn.widgets.TextInput.from_param(self.param.size, name="Size column"),
            pn.widgets.Select.from_param(self.param.rule, name="Rule"),
        )
        self._data_alert = error_alert()
        self._data_summary = pn.pane.Markdown("")
        self.controls = JobControls(self.start_fit, label="Fit the rule", progress_width=300)
        self._fit_alert = error_alert()
        self._verdict = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._plot = pn.Column(sizing_mode="stretch_width")
        watch_upload(self._file_input, self._read_upload, self._set_sweeps, self._fail_data)
        self._simulate_button.on_click(lambda event: self.simulate())
        self.simulate()

    def simulate(self, seed: int = 0) -> None:
        """Sweeps at five widths whose optimal learning rate follows μP's width⁻¹."""
        frame = simulate_transfer_sweeps(SIMULATED_WIDTHS, -1.0, random_seed=seed)
        self.hyperparameter, self.size = "lr", "width"
        self._set_sweeps(from_frame(frame.drop(columns="lr_opt")), f"simulated μP, seed {seed}")

    def _read_upload(self, content: bytes, filename: str) -> RunTable:
        return read_uploaded(content, filename, self.max_upload_mb, read_runs, "sweeps")

    def _fail_data(self, message: str) -> None:
        show_error(self._data_alert, message)
        self.state.error = message

    def _set_sweeps(self, sweeps: RunTable, origin: str) -> None:
        show_error(self._data_alert)
        self._origin = origin
        self.sweeps = sweeps
        self.fit = None
        self._data_summary.object = (
            f"**{len(sweeps)} runs** ({origin}); columns: {', '.join(sweeps.data.columns)}."
        )

    async def start_fit(self, event=None) -> None:
        controls = self.controls
        if controls.running:
            return
        show_error(self._fit_alert)
        fit = TransferRuleFit(self.hyperparameter, self.size, rule=self.rule)
        job = FitJob(fit, self.sweeps, random_seed=self.random_seed)
        try:
            fitted = await controls.run(job, f"Fitting {self.hyperparameter}* ∝ {self.size}^p ...")
        except FitCancelled:
            controls.status = "Fit cancelled; the previous fit, if any, is kept."
        except Exception as error:
            show_failure(self._fit_alert, self.state, controls, f"Could not fit the rule: {error}")
        else:
            self.fit = fitted
            controls.status = f"Rule fit finished in {job.seconds:.1f} s."

    def cancel(self, event=None) -> None:
        self.controls.cancel()

    @param.depends("fit", "rule", "state.ci_prob", watch=True)
    def _show_fit(self) -> None:
        if self.fit is None:
            show_table(self._verdict, pd.DataFrame())
            self._plot[:] = []
            return
        self.fit.rule = self.rule  # the verdict reads the draws: another rule needs no refit
        verdict = self.fit.verdict(ci_prob=self.state.ci_prob)
        show_table(self._verdict, pd.DataFrame([verdict]))
        self._plot[:] = [
            plot_or_alert(
                plot_hyperparameter_law,
                self.fit,
                quantity=self.fit.hyperparameter,
                x=self.fit.size,
                ci_prob=self.state.ci_prob,
            )
        ]

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(RULE_NOTE, sizing_mode="stretch_width"),
            pn.Row(self._file_input, self._simulate_button),
            self._data_alert,
            self._data_summary,
            self._columns,
            self.controls,
            self._fit_alert,
            self._verdict,
            self._plot,
            sizing_mode="stretch_width",
        )


def rules_text() -> str:
    """The rules in a list, with their exponents and sources."""
    lines = [
        f"- {rule.hyperparameter.replace('_', ' ')} ∝ {rule.size.replace('_', ' ')}^"
        f"{rule.exponent:g} ({name}; {rule.reference})"
        for name, rule in TRANSFER_RULES.items()
    ]
    return "**Rules**\n\n" + "\n".join(lines)
