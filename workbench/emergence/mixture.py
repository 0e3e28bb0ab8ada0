r"""Task-law predictions that follow the emergence verdict: a stacking mixture of the task laws.

:class:`TaskLawMixture` fits the plain (:class:`TaskLawFit`), accelerated
(:class:`MultipleCircuitsFit`) and sub-scaling (:class:`SubScalingFit`) task laws to the pooled
counts, weighs them by PSIS-LOO stacking (``az.compare``, Yao et al. 2018) and predicts with the
mixture: each law contributes a share of the posterior draws equal to its weight. Every draw then
gets the extrapolation discrepancy of :mod:`workbench.emergence.discrepancy` on
F = log(−log PU), one standard-normal multiplier per draw, so a draw's curve stays smooth in N.

The task laws model the pooled rate Σr/ΣK. That is PU when the instances share one pass rate and
lies below it when they differ (hard instances spend most attempts). :func:`pooling_gap` measures
the difference with the hierarchical :class:`PassUntilFit`, and :func:`choose_predictions` uses
the mixture only where it is small.

References
----------
Yao, Vehtari, Simpson and Gelman (2018), "Using Stacking to Average Bayesian Predictive
Distributions", Bayesian Analysis 13(3).
"""

import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd

from workbench.emergence.discrepancy import extrapolation_sd
from workbench.emergence.logs import read_passuntil
from workbench.emergence.model import (
    MultipleCircuitsFit,
    PassCountFit,
    PassUntilFit,
    SubScalingFit,
    TaskLawFit,
    log_pass_rates,
)
from workbench.fitting import NotFittedError
from workbench.fitting.model import stage_progress
from workbench.predict.compare import stable_stacking

TASK_LAWS = {"plain": TaskLawFit, "accelerated": MultipleCircuitsFit, "subscaling": SubScalingFit}
LABELS = {"plain": "plain", "accelerated": "accelerated", "subscaling": "sub-scaling"}
# The mixture replaces the hierarchical model's predictions only where the pooled rate it models
# is within 20 % of PU at every observed size (:func:`pooling_gap`). Measured: logs whose
# instances share a rate (6 sizes × 100 instances, straight, two-circuit and censored) gave
# largest gaps of 0.05-0.07, at small sizes, from the posterior spread of sd_b alone; instances
# with sd(log c) = 0.2 gave 0.66, and the tests' population (sd 0.8, 60 instances) 0.98.
POOLING_TOLERANCE = 0.2


class TaskLawMixture:
    """PSIS-LOO stacking mixture of the plain, accelerated and sub-scaling task laws.

    Parameters
    ----------
    sampler : mapping, optional
        nutpie options for the three fits (each law's defaults otherwise).

    Attributes
    ----------
    fits_ : dict of str to PassCountFit
        The fitted laws by label (``"plain"``, ``"accelerated"``, ``"subscaling"``).
    loo_ : DataFrame
        ``az.compare`` of the three laws, indexed by the laws' model names.
    weights_ : Series
        Stacking weights by label; they sum to 1.
    """

    name = "task_law_mixture"

    def __init__(self, sampler=None):
        self.sampler = sampler

    def fit(
        self,
        logs,
        random_seed: int | None = None,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> "TaskLawMixture":
        """Fit the three task laws to the pooled counts and weigh them; returns self.

        ``progress`` gets the finished fraction of the three fits; ``cancel`` stops the one
        sampling (see :meth:`workbench.fitting.ScalingLawFit.fit`).
        """
        logs = read_passuntil(logs)
        self.fits_ = {}
        for index, (label, law) in enumerate(TASK_LAWS.items()):
            self.fits_[label] = law(sampler=self.sampler).fit(
                logs,
                random_seed=random_seed,
                progress=stage_progress(progress, index, len(TASK_LAWS)),
                cancel=cancel,
            )
        with warnings.catch_warnings():
            # One LOO point per size: high Pareto k is expected and is shown in the table.
            warnings.simplefilter("ignore", UserWarning)
            loo = {fit.name: az.loo(fit.idata, pointwise=True) for fit in self.fits_.values()}
            self.loo_ = az.compare(loo, method="pseudo-BMA", round_to="none")
        # Stacking from the pointwise elpd, shifted per point: a size with many attempts lies
        # far below zero, where ArviZ's own stacking underflows (see predict.compare).
        self.loo_["weight"] = stable_stacking(loo, self.loo_.index)
        self.weights_ = pd.Series(
            {label: float(self.loo_.loc[fit.name, "weight"]) for label, fit in self.fits_.items()},
            name="weight",
        )
        self.logs_ = logs
        self.random_seed_ = random_seed
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "fits_"):
            raise NotFittedError(
                "this TaskLawMixture has no fits yet: call .fit(logs, random_seed=...)"
            )

    def pass_rates(self, N, *, discrepancy: bool = True) -> np.ndarray:
        """Mixture draws of PU at sizes N: shape (draws, 1, len(N)), as ``PassCountFit.pass_rates``.

        ``discrepancy=False`` leaves out the extrapolation discrepancy (the laws alone).
        """
        self._check_fitted()
        N = np.atleast_1d(np.asarray(N, dtype=float))
        eta = mixture_draws(
            {label: law_eta(fit, N) for label, fit in self.fits_.items()},
            self.weights_,
            self.random_seed_,
        )
        if discrepancy:
            rng = np.random.default_rng([0 if self.random_seed_ is None else self.random_seed_, 1])
            multiplier = rng.standard_normal(eta.shape[0])
            eta = eta + multiplier[:, None, None] * extrapolation_sd(N, self.logs_.sizes.max())
        return np.exp(log_pass_rates(eta)[0])

    def diagnostics(self) -> dict:
        """Each law's :class:`~workbench.fitting.diagnostics.Diagnostics`, by label."""
        self._check_fitted()
        return {label: fit.diagnostics() for label, fit in self.fits_.items()}

    def weights_text(self) -> str:
        """The weights as one phrase, e.g. ``"plain 0.91, accelerated 0.09, sub-scaling 0.00"``."""
        self._check_fitted()
        return ", ".join(f"{LABELS[label]} {weight:.2f}" for label, weight in self.weights_.items())

    def __repr__(self) -> str:
        state = self.weights_text() if hasattr(self, "fits_") else "not fitted"
        return f"TaskLawMixture({state})"


def law_eta(fit: PassCountFit, N) -> np.ndarray:
    """η = log(−log p) draws of a fitted task law at sizes N: shape (draws, 1, len(N))."""
    x = np.log(np.asarray(N, dtype=float)) - fit.idata.attrs["centre_log_N"]
    return fit.eta(fit.draws(), x[None, None, :])


def mixture_draws(draws: dict, weights: pd.Series, random_seed) -> np.ndarray:
    """Draws of the stacking mixture: each component's share of the draws equals its weight.

    With M the smallest number of draws of a component, component k gives
    ``round(weight_k · M)`` of its draws (largest remainders, so the shares add up to M), chosen
    by a permutation seeded with ``random_seed``.
    """
    total = min(value.shape[0] for value in draws.values())
    exact = weights.to_numpy() * total
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact)[: total - counts.sum()]] += 1
    rng = np.random.default_rng([0 if random_seed is None else random_seed, 0])
    parts = [
        value[rng.permutation(value.shape[0])[:count]]
        for value, count in zip(draws.values(), counts, strict=True)
    ]
    return np.concatenate(parts, axis=0)


def pooling_gap(fit: PassUntilFit) -> pd.Series:
    r"""How far the pooled rate falls below PU at each observed size, by the hierarchical fit.

    Per posterior draw, :math:`1 - \frac{\sum_i p_i K_i / \sum_i K_i}{\frac1n \sum_i p_i}`
    with the attempts :math:`K_i` actually made: 0 when the instances share a pass rate, and
    large when hard instances take most attempts. Returns the posterior median per size N.
    """
    logs = fit.logs_
    rates = fit.pass_rates(logs.sizes)  # draws × instances × sizes
    attempts = (
        logs.frame.pivot_table(index="instance", columns="N", values="attempts", aggfunc="sum")
        .reindex(index=logs.instances, columns=logs.sizes)
        .fillna(0.0)
        .to_numpy()
    )
    pooled = (rates * attempts).sum(axis=1) / attempts.sum(axis=0)
    gap = 1.0 - pooled / rates.mean(axis=1)
    return pd.Series(np.median(gap, axis=0), index=pd.Index(logs.sizes, name="N"), name="gap")


@dataclass(frozen=True)
class PredictionChoice:
    """Which model :func:`choose_predictions` picked, and why.

    Attributes
    ----------
    model : TaskLawMixture or PassUntilFit
        Pass it to :func:`predict_passuntil`.
    source : {"task_law_mixture", "passuntil_hierarchical"}
    weights : Series or None
        The mixture's stacking weights, also when the hierarchical model was chosen.
    text : str
        One sentence for people.
    """

    model: object
    source: str
    weights: pd.Series | None
    text: str


def choose_predictions(
    hierarchical: PassUntilFit | None, mixture: TaskLawMixture | None
) -> PredictionChoice:
    """The task-law mixture where the pooled rate is PU, else the hierarchical model.

    Either argument may be None (not fitted yet), not both. Without the hierarchical fit the
    mixture is used unchecked, and the text says so.
    """
    if mixture is None:
        if hierarchical is None:
            raise ValueError("choose_predictions needs a fitted PassUntilFit or TaskLawMixture")
        return PredictionChoice(
            hierarchical,
            PassUntilFit.name,
            None,
            "Predictions come from the hierarchical model (plain per-instance laws); test for "
            "emergence to predict with the mixture of plain, accelerated and sub-scaling laws.",
        )
    weights = f"stacking weights {mixture.weights_text()}"
    text = (
        f"Predictions come from the stacking mixture of the task laws ({weights}), widened "
        "for the distance beyond the largest size."
    )
    if hierarchical is None:
        text += (
            " Whether the instances share a pass rate, as the task laws assume, is unchecked: "
            "fit the hierarchical model to check."
        )
        return PredictionChoice(mixture, TaskLawMixture.name, mixture.weights_, text)
    gap = pooling_gap(hierarchical)
    if gap.max() > POOLING_TOLERANCE:
        return PredictionChoice(
            hierarchical,
            PassUntilFit.name,
            mixture.weights_,
            f"Predictions come from the hierarchical model: the instances differ, so the "
            f"pooled rate the task laws model is {100 * gap.max():.0f} % below PU at "
            f"N = {float(gap.idxmax()):.3g} and the task-law mixture ({weights}) would not "
            "predict PU.",
        )
    return PredictionChoice(mixture, TaskLawMixture.name, mixture.weights_, text)
