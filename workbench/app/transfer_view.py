"""The Transfer tab: a tuned proxy's learning rate and weight decay at a target's width and
batch size, by the published transfer rules."""

import pandas as pd
import panel as pn
import param

from workbench.app.common import error_alert, number_inputs, show_error, show_table
from workbench.app.state import WorkbenchState
from workbench.hyperparameters.transfer import BATCH_RULES, TRANSFER_RULES, transfer

INTRODUCTION = (
    "**Hyperparameter transfer.** Tune a small proxy, then scale its learning rate and weight "
    "decay to the target: μP's η ∝ 1/width for matrix-like parameters (Yang et al. 2021), "
    "AdamW's λ ∝ √width with it (Fan et al. 2025), and η ∝ √B for Adam or η ∝ B for SGD. "
    "`workbench transfer-rule` checks a rule's exponent on your own sweeps."
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

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(INTRODUCTION, sizing_mode="stretch_width"),
            self._inputs,
            self._alert,
            self._result,
            self._rules,
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
