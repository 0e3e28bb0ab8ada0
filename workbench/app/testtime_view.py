"""The Test-time tab: a test-time budget allocated over model size, generated tokens and samples,
under FLOPs only and under the Kinetics cost, side by side."""

import holoviews as hv
import pandas as pd
import panel as pn
import param

from workbench.app.common import error_alert, number_inputs, show_error, show_table
from workbench.app.state import WorkbenchState
from workbench.plots.testtime import plot_testtime_frontiers
from workbench.testtime import B200_INTENSITY, COST_MODELS, QWEN3, compare_allocations

INTRODUCTION = (
    "**Test-time compute.** Counted in FLOPs, a small model writing long chains of thought many "
    "times looks cheap; the Kinetics cost (Sadhukhan et al. 2025) adds attention and the KV "
    "cache's memory traffic, and moves the best choice to larger models with shorter "
    "generations. Accuracy follows an illustrative law, 1 − (1 − σ(a + b_N log P + b_L log "
    "L))^n, whose parameters come from simulated accuracies: no public generation data could be "
    "reached here."
)


class InferenceBudgetView(pn.viewable.Viewer):
    """A budget and the models to choose from in; both cost models' best allocations out."""

    state = param.ClassSelector(class_=WorkbenchState, doc="The session's shared state.")
    budget = param.Number(default=1e15, bounds=(0, None), doc="Cost per problem.")
    prompt_tokens = param.Number(default=1024, bounds=(0, None), doc="Prompt length in tokens.")
    intensity = param.Number(
        default=B200_INTENSITY, bounds=(0, None), doc="FLOPs per byte of memory traffic."
    )
    models = param.ListSelector(
        default=list(QWEN3), objects=list(QWEN3), doc="The Qwen3 sizes to choose from."
    )

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs = pn.Row(
            *number_inputs(
                self,
                {
                    "budget": "Budget (FLOPs or eFLOPs)",
                    "prompt_tokens": "Prompt tokens",
                    "intensity": "Arithmetic intensity",
                },
                width=170,
            ),
            pn.widgets.MultiChoice.from_param(self.param.models, name="Models", width=420),
        )
        self._alert = error_alert()
        self._result = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False)
        self._plot = pn.pane.HoloViews(hv.Overlay(), sizing_mode="stretch_width")
        self._compute()

    @param.depends("budget", "prompt_tokens", "intensity", "models", watch=True)
    def _compute(self) -> None:
        show_error(self._alert)
        options = {
            "architectures": [QWEN3[name] for name in self.models],
            "prompt_tokens": self.prompt_tokens,
            "intensity": self.intensity,
        }
        try:
            if not self.models:
                raise ValueError("choose at least one model")
            both = compare_allocations(self.budget, **options)
        except ValueError as error:
            show_error(self._alert, f"Could not allocate: {error}")
            show_table(self._result, pd.DataFrame())
            return
        show_table(self._result, allocation_frame(both))
        self._plot.object = plot_testtime_frontiers(budget=self.budget, **options)

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            self._inputs,
            self._alert,
            self._result,
            self._plot,
            sizing_mode="stretch_width",
        )


def allocation_frame(both: dict) -> pd.DataFrame:
    """One row per cost model: its best choice, with what it costs under both cost models."""
    columns = ["model", "tokens", "samples", "accuracy", "flops_cost", "kinetics_cost"]
    rows = [
        {"cost model": COST_MODELS[name]}
        | ({column: best[column] for column in columns} if best else {"model": "nothing fits"})
        for name, best in both.items()
    ]
    return pd.DataFrame(rows)
