"""Hyperparameter transfer: move a tuned proxy's learning rate and weight decay to another width
and batch size by published rules, and check a rule's exponent on the user's own sweeps.

A rule says a hyperparameter's optimum scales as a power of a size, h* ∝ x^p:

* μP (Yang et al. 2021): η ∝ width^−1 for matrix-like parameters under Adam;
* AdamW weight decay (Fan et al. 2025): λ ∝ width^(1/2) for the same parameters, with μP's η;
* batch size: η ∝ B for SGD (Goyal et al. 2017's linear rule), η ∝ B^(1/2) for Adam (the
  square-root rule; Malladi et al. 2022).

:class:`TransferRuleFit` fits p from sweeps (runs at several hyperparameter values for each size)
with the optima machinery of :class:`workbench.hyperparameters.OptimaFit`, and says whether the
rule's exponent lies inside p's credible interval.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from workbench.fitting.base import priors_config
from workbench.hyperparameters.fit import OptimaFit
from workbench.hyperparameters.sweeps import DEFAULT_WINDOW, SweepError
from workbench.intervals import interval_names, resolve_ci_prob, summarize_draws
from workbench.laws import get_law


@dataclass(frozen=True)
class TransferRule:
    """A hyperparameter's optimum as a power of a size: ``hyperparameter* ∝ size^exponent``."""

    hyperparameter: str
    size: str
    exponent: float
    reference: str


TRANSFER_RULES = {
    "mup_learning_rate": TransferRule(
        "learning_rate", "width", -1.0, "Yang et al. 2021, μP, arXiv:2203.03466"
    ),
    "adamw_weight_decay": TransferRule(
        "weight_decay", "width", 0.5, "Fan et al. 2025, arXiv:2510.15262"
    ),
    "sgd_batch": TransferRule(
        "learning_rate", "batch_size", 1.0, "Goyal et al. 2017, linear scaling, arXiv:1706.02677"
    ),
    "adam_batch": TransferRule(
        "learning_rate",
        "batch_size",
        0.5,
        "Malladi et al. 2022, square-root rule, arXiv:2205.10287",
    ),
}
"""The published rules by name."""
BATCH_RULES = {"adam": "adam_batch", "sgd": "sgd_batch"}
"""The batch-size rule of each optimizer."""


def transfer(
    proxy: Mapping[str, float], target: Mapping[str, float], *, optimizer: str = "adam"
) -> dict[str, float]:
    """A tuned proxy's learning rate (and weight decay) at the target's width and batch size.

    Parameters
    ----------
    proxy : mapping
        ``width``, ``batch_size`` and ``learning_rate`` of the tuned proxy, and optionally its
        ``weight_decay``.
    target : mapping
        ``width`` and/or ``batch_size`` of the target; one left out stays the proxy's.
    optimizer : {"adam", "sgd"}
        Which batch-size rule applies. The width rules (μP's η ∝ 1/width and AdamW's
        λ ∝ √width) are for Adam-type optimizers and matrix-like parameters.

    Returns
    -------
    dict
        ``learning_rate`` and, given a proxy's, ``weight_decay`` at the target, with
        ``width_factor`` and ``batch_factor``, the two ratios the learning rate was scaled by.
    """
    if optimizer not in BATCH_RULES:
        raise ValueError(f"optimizer must be one of {sorted(BATCH_RULES)}, not {optimizer!r}")
    for name in ("width", "batch_size", "learning_rate"):
        if name not in proxy:
            raise ValueError(f"the proxy needs its {name}; given: {sorted(proxy)}")
    values = {**proxy, **{name: target[name] for name in ("width", "batch_size") if name in target}}
    for name, value in values.items():
        if not (np.isfinite(value) and value > 0) and not (name == "weight_decay" and value == 0):
            raise ValueError(f"{name} must be positive and finite, got {value}")
    width_ratio = values["width"] / proxy["width"]
    batch_ratio = values["batch_size"] / proxy["batch_size"]
    width_factor = width_ratio ** TRANSFER_RULES["mup_learning_rate"].exponent
    batch_factor = batch_ratio ** TRANSFER_RULES[BATCH_RULES[optimizer]].exponent
    result = {
        "learning_rate": proxy["learning_rate"] * width_factor * batch_factor,
        "width_factor": width_factor,
        "batch_factor": batch_factor,
    }
    if "weight_decay" in proxy:
        exponent = TRANSFER_RULES["adamw_weight_decay"].exponent
        result["weight_decay"] = proxy["weight_decay"] * width_ratio**exponent
    return result


class TransferRuleFit(OptimaFit):
    r"""A rule's exponent from sweeps: h*(x) = A·x^p with p free, and whether the rule's p fits.

    At each value of the size column x (width, batch size, ...), the optimal hyperparameter h* is
    the minimum of a parabola in log h fitted to the runs within ``window`` of that size's lowest
    loss; the optima follow the power law up to a scatter, all in one model.

    Parameters
    ----------
    hyperparameter : str
        The swept column, e.g. ``lr`` or ``weight_decay``.
    size : str
        The column the rule scales with, e.g. ``width`` or ``B``.
    rule : str, optional
        A name in ``TRANSFER_RULES`` whose exponent :meth:`verdict` checks.
    target, window, min_runs, priors, sampler
        As for :class:`workbench.hyperparameters.LearningRateBatchRule`.
    """

    min_runs_default: ClassVar[int] = 5
    # As for LearningRateBatchRule: few sizes, optima close to the law.
    centred: ClassVar[bool] = False
    sampler_defaults: ClassVar[dict] = {"target_accept": 0.95, "tune": 1500, "draws": 2000}
    fit_call = "fit(sweeps, random_seed=...)"

    def __init__(
        self,
        hyperparameter: str = "lr",
        size: str = "width",
        target: str | None = None,
        *,
        rule: str | None = None,
        window: float = DEFAULT_WINDOW,
        min_runs: int | None = None,
        priors: Mapping | None = None,
        sampler: Mapping | None = None,
    ):
        if rule is not None and rule not in TRANSFER_RULES:
            raise ValueError(f"unknown rule {rule!r}; known: {', '.join(TRANSFER_RULES)}")
        self.hyperparameter = hyperparameter
        self.size = size
        self.target = target
        self.rule = rule
        self.window = window
        self.min_runs = min_runs
        self.priors = priors
        self.sampler = sampler

    def config(self) -> dict:
        return {
            "hyperparameter": self.hyperparameter,
            "size": self.size,
            "target": self.target,
            "rule": self.rule,
            "window": self.window,
            "min_runs": self.min_runs,
            "priors": priors_config(self.priors),
            "sampler": self.sampler,
        }

    @property
    def quantities(self) -> dict[str, str]:
        return {"h": self.hyperparameter}

    @property
    def roles(self) -> dict[str, str]:
        return {"h": self.hyperparameter}

    @property
    def axis_laws(self):
        return {"h": get_law("optimal_hyperparameters", covariates=(self.size,))}

    @property
    def axis_columns(self):
        return {"h": self.hyperparameter}

    def keys(self, runs) -> Sequence[str]:
        if not runs.has(self.size):
            raise SweepError(
                f"the sweeps have no {self.size!r} column to scale with; they have "
                f"{list(runs.data.columns)}"
            )
        return (self.size,)

    def covariate_column(self, name: str) -> str:
        return name

    @property
    def exponent_(self) -> np.ndarray:
        """Posterior draws of p."""
        return self.draws([f"h_b_{self.size}"])[f"h_b_{self.size}"]

    def verdict(self, ci_prob: float | None = None) -> dict:
        """p's median and central ``ci_prob`` interval and, for the rule given, ``agreement``:
        whether the rule's exponent lies inside the interval, or says which way the data differ."""
        ci_prob = resolve_ci_prob(ci_prob)
        low, high = interval_names(ci_prob)
        summary = summarize_draws(self.exponent_, [ci_prob])
        result = {"hyperparameter": self.hyperparameter, "size": self.size} | {
            column: float(value) for column, value in summary.items()
        }
        if self.rule is not None:
            rule = TRANSFER_RULES[self.rule]
            result |= {"rule": self.rule, "rule_exponent": rule.exponent}
            if rule.exponent < result[low]:
                result["agreement"] = "the data's exponent is larger than the rule's"
            elif rule.exponent > result[high]:
                result["agreement"] = "the data's exponent is smaller than the rule's"
            else:
                result["agreement"] = "agrees"
        return result

    def report(self, ci_prob: float | None = None, targets=None, seq_len=None) -> dict:
        report = super().report(ci_prob, targets)
        report["exponent"] = self.verdict(ci_prob)
        return report
