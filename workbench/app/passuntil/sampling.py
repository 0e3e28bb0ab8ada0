"""The PassUntil tab's sampling budget: how many passes to wait for, and what that costs."""

import panel as pn
import param

from workbench.app.common import error_alert, show_error
from workbench.emergence import SamplingPlan, plan_sampling


def plan_text(plan: SamplingPlan, n_instances: int) -> str:
    return (
        f"Sample each instance until **{plan.passes} passes**: about "
        f"**{plan.expected_attempts.mean():,.0f} attempts per instance** on average, "
        f"**{plan.total_attempts:,.0f} attempts** for {n_instances} instances, for a relative "
        f"standard error of PU of **{plan.rel_precision:.3f}**."
    )


class SamplingPlanView(pn.viewable.Viewer):
    """Plan a PassUntil sampling budget from a guessed pass rate and the precision wanted."""

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
    plan = param.ClassSelector(
        class_=SamplingPlan, default=None, allow_None=True, doc="The sampling plan of the inputs."
    )

    def __init__(self, **params):
        super().__init__(**params)
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
        self._on_plan_inputs()

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
        return pn.Column(
            pn.pane.Markdown("### Sampling budget"),
            pn.Row(*self._plan_inputs),
            self._plan_alert,
            self._plan,
            sizing_mode="stretch_width",
        )
