"""The Plan tab: which runs to train next, ranked by expected variance reduction per FLOP."""

import pandas as pd
import panel as pn
import param

from workbench.app.common import (
    error_alert,
    markdown_literal,
    plot_or_alert,
    show_error,
    show_table,
)
from workbench.app.jobs import run_in_thread
from workbench.app.state import WorkbenchState
from workbench.plots import plot_run_plan
from workbench.predict import plan_next_runs
from workbench.predict.planning import RELIABLE_ESS
from workbench.runs import parse_quantity

SHOWN_COLUMNS = ["candidate", "N", "D", "cost", "expected_variance_reduction"]


def candidate_grid(sizes: str, ratios: str) -> pd.DataFrame:
    """Every (N, D = N · tokens per parameter) pair of two comma-separated lists."""
    parameters = [parse_quantity(value.strip()) for value in sizes.split(",") if value.strip()]
    tokens_per_parameter = [float(value) for value in ratios.split(",") if value.strip()]
    grid = [(size, size * ratio) for size in parameters for ratio in tokens_per_parameter]
    return pd.DataFrame(grid, columns=["N", "D"])


class PlanView(pn.viewable.Viewer):
    """Rank candidate runs by how much they are expected to narrow the prediction at a target."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    sizes = param.String(
        default="1e8, 3e8, 1e9, 3e9", doc="Candidate model sizes N (parameters), comma-separated."
    )
    ratios = param.String(default="5, 20, 80", doc="Candidate tokens per parameter, D / N.")
    target_N = param.String(default="70B", doc="Target parameters, e.g. 70e9 or 70B.")
    target_D = param.String(default="1.4T", doc="Target tokens, e.g. 1.4e12 or 1.4T.")
    budget = param.String(default="1e21", doc="FLOPs to spend on new runs.")
    n_simulations = param.Integer(
        default=128, bounds=(8, 2048), doc="Simulated outcomes per candidate."
    )

    def __init__(self, state: WorkbenchState | None = None, **params):
        super().__init__(state=state or WorkbenchState(), **params)
        self._inputs = pn.Column(
            *(
                pn.widgets.TextInput.from_param(self.param[name], width=220)
                for name in ("sizes", "ratios", "target_N", "target_D", "budget")
            ),
            pn.widgets.IntInput.from_param(self.param.n_simulations, width=220),
        )
        self._plan_button = pn.widgets.Button(label="Plan", color="primary")
        self._plan_button.on_click(self._on_plan)
        self._progress = pn.indicators.Progress(
            value=-1, active=True, width=220, bar_color="primary", visible=False
        )
        self._alert = error_alert()
        self._summary = pn.pane.Markdown("")
        table = dict(
            disabled=True,
            show_index=False,
            sizing_mode="stretch_width",
        )
        self._ranking = pn.widgets.Tabulator(pd.DataFrame(), **table)
        self._batch = pn.widgets.Tabulator(pd.DataFrame(), **table)
        self._plot = pn.Column(sizing_mode="stretch_width")
        self._layout = pn.Row(
            pn.Column(self._inputs, self._plan_button, self._progress, width=260),
            pn.Column(
                self._alert,
                self._summary,
                self._plot,
                pn.pane.Markdown("### Best runs per FLOP"),
                self._ranking,
                pn.pane.Markdown("### Greedy batch within the budget"),
                self._batch,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
        self._on_fit()

    @param.depends("state.fit", watch=True)
    def _on_fit(self):
        """A plan belongs to the fit it was made for: a new fit (or none) clears it."""
        show_error(self._alert)
        self._ranking.value = pd.DataFrame()
        self._batch.value = pd.DataFrame()
        self._plot[:] = []
        fit = self.state.fit
        self._summary.object = (
            "No fit yet: fit a law on the Fit tab first."
            if fit is None
            else f"Ready to plan for the {markdown_literal(fit.law.label)} fit: press **Plan**."
        )

    def plan(self):
        """The ``RunPlan`` for the current fit and inputs (runs in the calling thread)."""
        if self.state.fit is None:
            raise ValueError("No fit yet: fit a law on the Fit tab first.")
        target = {"N": parse_quantity(self.target_N), "D": parse_quantity(self.target_D)}
        return plan_next_runs(
            self.state.fit,
            candidate_grid(self.sizes, self.ratios),
            target,
            parse_quantity(self.budget),
            n_simulations=self.n_simulations,
            ci_prob=self.state.ci_prob,
            random_seed=0,
        )

    async def _on_plan(self, _event=None):
        self._plan_button.disabled = True
        self._progress.visible = True
        try:
            # Planning takes a second or so; keep it off the server's event loop.
            self.show(await run_in_thread(self.plan))
        except (ValueError, TypeError) as error:
            show_error(self._alert, str(error))
        finally:
            self._progress.visible = False
            self._plan_button.disabled = False

    def show(self, plan) -> None:
        show_error(self._alert)
        self._summary.object = plan_summary(plan)
        columns = [*SHOWN_COLUMNS, "expected_ci_width", "reduction_per_flop"]
        show_table(self._ranking, plan.top(10)[columns])
        show_table(self._batch, plan.batch.drop(columns="candidate"))
        self._plot[:] = [plot_or_alert(plot_run_plan, plan)]

    def __panel__(self):
        return self._layout


def plan_summary(plan) -> str:
    """The interval width now and after the batch, or after its last step that can be trusted."""
    label = f"{100 * plan.ci_prob:g} % interval width at the target"
    now = f"{label} now: **{plan.prior_ci_width:.4g}**"
    trusted = plan.reliable_steps
    if trusted == len(plan.batch):
        after = plan.batch["expected_ci_width"].iloc[-1] if trusted else plan.prior_ci_width
        return f"{now}; expected after the batch: **{after:.4g}**"
    caveat = (
        f"estimates past that rest on fewer than {RELIABLE_ESS} effective posterior draws and "
        f"are optimistic: train the first picks, refit and plan again"
    )
    if not trusted:
        return f"{now}; even the first pick's expected width is uncertain ({caveat})"
    after = plan.batch["expected_ci_width"].iloc[trusted - 1]
    return f"{now}; expected after the first {trusted} picks: **{after:.4g}** ({caveat})"
