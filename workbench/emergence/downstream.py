r"""Downstream accuracy without instance data: a sigmoid in log N above a chance floor.

.. math::

    \mathrm{acc}(N) = \text{chance} + (1 - \text{chance} - \varepsilon)\,
    \sigma\big(s\,(\log N - m)\big)

The sampler sees ``m`` on log N centred on the data's mean, the slope ``s`` ~ HalfNormal(1.5)
per unit log N, the midpoint ``m`` ~ Normal(0, 3) and the ceiling gap as a fraction
``gap = ε/(1 − chance)`` ~ Beta(1, 3). The likelihood is binomial on ``round(score·n_items)`` when
the number of items is known, else Normal on the score with noise ``sigma`` ~ HalfNormal(0.05),
which also absorbs checkpoint-to-checkpoint noise that a binomial would understate.

Gadre et al.'s loss-to-error law Err(L) = ε − k·exp(−γL) is the registered law
``downstream_error`` (:mod:`workbench.laws.downstream_error`);
:mod:`workbench.emergence.loss_to_error` fits it to arrays.

References
----------
Wei et al. (2022), "Emergent Abilities of Large Language Models", arXiv:2206.07682.
Biderman et al. (2023), "Pythia", arXiv:2304.01373 (the real-data tests).
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from workbench.emergence.logs import TaskScores, read_task_scores
from workbench.fitting import BayesianFit
from workbench.fitting.base import priors_config
from workbench.fitting.compiling import compiled_for
from workbench.fitting.model import create_variable, sample, sampler_seed
from workbench.intervals import interval_levels, summary_table
from workbench.laws.priors import Prior, merge_priors, priors_to_json
from workbench.runs import parse_quantity

RISE_MARGIN = 0.05
RISE_PROB = 0.5


def sigmoid_accuracy(log_n, chance, gap, slope, midpoint):
    """acc = chance + (1 − chance)(1 − gap)·sigmoid(slope·(log_n − midpoint)); NumPy."""
    return chance + (1 - chance) * (1 - gap) / (1 + np.exp(-slope * (log_n - midpoint)))


class SigmoidScoreFit(BayesianFit):
    """Bayesian sigmoid of accuracy against log N with a chance floor (module docstring).

    Parameters
    ----------
    chance : float
        The accuracy of guessing (0.25 for four-way multiple choice, 0 for open answers).
    priors, sampler : mapping, optional
        Overrides of the default priors (``slope``, ``midpoint``, ``gap``, ``sigma``) and of the
        nutpie options.
    """

    name = "sigmoid_accuracy"
    var_names = ("slope", "midpoint", "gap")
    # Five or eight sizes leave the ceiling weakly identified: on Pythia's LAMBADA up to 1.4B the
    # posterior of gap runs from a sharp bend (gap 0.4, slope 1.6, sigma 0.03) to a slow rise
    # (gap 0, slope 0.6, sigma 0.05), a curved ridge. Measured on Pythia's LAMBADA (five and
    # eight sizes) and MMLU, seeds 1-4 (R-hat / min bulk ESS / divergences): the package
    # defaults gave 1.001-1.036 / 70-1115 / 0-12; draws 4000, tune 2000 and target_accept
    # 0.99 gave ≤ 1.009 / ≥ 524 / 0, in well under a second a fit. Re-parameterizing the
    # midpoint by the onset of the rise, or by the accuracies at the smallest and largest sizes,
    # did not help.
    sampler_defaults: ClassVar[dict] = {"draws": 4000, "tune": 2000, "target_accept": 0.99}
    fit_call = "fit(scores, random_seed=...)"

    def __init__(self, chance: float = 0.0, priors=None, sampler=None):
        self.chance = chance
        self.priors = priors
        self.sampler = sampler

    def default_priors(self) -> dict[str, Prior]:
        return {
            "slope": Prior("HalfNormal", sigma=1.5),
            "midpoint": Prior("Normal", mu=0.0, sigma=3.0),
            "gap": Prior("Beta", alpha=1.0, beta=3.0),
            "sigma": Prior("HalfNormal", sigma=0.05),
        }

    @property
    def effective_priors(self) -> dict[str, Prior]:
        return merge_priors(self.default_priors(), self.priors, self.name)

    def config(self) -> dict:
        return {
            "chance": self.chance,
            "priors": priors_config(self.priors),
            "sampler": self.sampler,
        }

    def fit(self, scores, random_seed: int | None = None) -> "SigmoidScoreFit":
        """Sample the posterior; sets ``idata_`` and ``scores_`` and returns self."""
        scores = read_task_scores(scores)
        if not 0 <= self.chance < 1:
            raise ValueError(f"chance must lie in [0, 1), got {self.chance}")
        priors = self.effective_priors
        options = self.sampler_options
        centre = float(np.mean(np.log(scores.N)))
        binomial = scores.n_items is not None
        data = {
            "x": np.log(scores.N) - centre,
            "score_data": scores.score,
            "chance": np.asarray(float(self.chance)),
        }
        if binomial:
            data["n_items"] = scores.n_items
        compiled = self._compiled(priors, binomial, data)
        seed = sampler_seed(random_seed)
        trace = sample(compiled, seed, options)
        self.scores_ = scores
        return self.keep_sample(
            trace,
            priors,
            options,
            seed,
            groups={
                "observed_data": xr.Dataset({"score": ("obs", scores.score)}),
                "constant_data": xr.Dataset({"N": ("obs", scores.N)}),
            },
            likelihood="binomial" if binomial else "normal",
            chance=float(self.chance),
            centre_log_N=centre,
        )

    def _compiled(self, priors, binomial: bool, data):
        def build():
            with pm.Model() as model:
                containers = {name: pm.Data(name, value) for name, value in data.items()}
                self._build(containers, priors, binomial)
            return model

        return compiled_for((type(self).__name__, priors_to_json(priors), binomial), build, data)

    @staticmethod
    def _build(containers, priors, binomial: bool):
        slope = create_variable("slope", priors["slope"])
        midpoint = create_variable("midpoint", priors["midpoint"])
        gap = create_variable("gap", priors["gap"])
        chance = containers["chance"]
        accuracy = chance + (1 - chance) * (1 - gap) * pm.math.sigmoid(
            slope * (containers["x"] - midpoint)
        )
        if binomial:
            correct = pm.math.round(containers["score_data"] * containers["n_items"])
            pm.Binomial("correct", n=containers["n_items"], p=accuracy, observed=correct)
        else:
            sigma = create_variable("sigma", priors["sigma"])
            pm.Normal("score", mu=accuracy, sigma=sigma, observed=containers["score_data"])

    # -- results -------------------------------------------------------------------------
    def diagnostic_names(self) -> list[str]:
        return list(self.var_names)

    def input_table(self) -> pd.DataFrame:
        return self.scores_.frame

    def restore_inputs(self, table: pd.DataFrame) -> None:
        self.scores_ = TaskScores(table)

    def accuracy(self, N) -> np.ndarray:
        """Posterior draws of the mean accuracy at sizes N: shape (draws, len(N))."""
        N = np.atleast_1d(np.asarray(N, dtype=float))
        draws = self.draws()
        x = np.log(N)[None, :] - self.idata.attrs["centre_log_N"]
        return sigmoid_accuracy(
            x,
            self.idata.attrs["chance"],
            draws["gap"][:, None],
            draws["slope"][:, None],
            draws["midpoint"][:, None],
        )

    def predict(
        self, N_target, ci_prob: float | None = None, *, inner_prob: float | None = None
    ) -> pd.DataFrame:
        """Median and central ``ci_prob`` (and ``inner_prob``) intervals of the mean accuracy
        (``kind="mean"``) and of a new measured score (``kind="observation"``, adding the fitted
        noise) at each size."""
        levels = interval_levels(ci_prob, inner_prob)
        sizes = np.atleast_1d(np.asarray([parse_quantity(n) for n in np.ravel(N_target)]))
        mean = self.accuracy(sizes)
        rng = np.random.default_rng(self.idata.attrs["random_seed"])
        draws = self.draws()
        if "sigma" in draws:
            observed = mean + draws["sigma"][:, None] * rng.standard_normal(mean.shape)
        else:
            observed = mean  # binomial noise of a score on a new item set is not modelled
        groups = {"mean": mean, "observation": np.clip(observed, 0, 1)}
        return summary_table({"N": sizes}, "kind", groups, levels)


@dataclass(frozen=True)
class EmergenceCheck:
    """Whether accuracy rose clearly above chance within the observed sizes."""

    emerged: bool
    p_above_chance: float
    p_rise: float
    text: str


def emergence_within_range(
    fit: SigmoidScoreFit, *, margin: float = RISE_MARGIN, prob: float = RISE_PROB
) -> EmergenceCheck:
    """Has the ability emerged within the observed sizes?

    Emerged means both P(acc(N_max) − chance > margin) ≥ ``prob`` and
    P(acc(N_max) − acc(N_min) > margin) ≥ ``prob``: at the largest model the fitted accuracy is
    more likely than not ``margin`` (5 points) above chance, and it rose by at least that much
    over the range. Otherwise the fit is indistinguishable from flat at that resolution and the
    result reads "not emerged within range".
    """
    sizes = fit.scores_.N
    accuracy = fit.accuracy([sizes.min(), sizes.max()])
    chance = fit.idata.attrs["chance"]
    p_above = float(np.mean(accuracy[:, 1] - chance > margin))
    p_rise = float(np.mean(accuracy[:, 1] - accuracy[:, 0] > margin))
    emerged = p_above >= prob and p_rise >= prob
    verdict = "emerged within range" if emerged else "not emerged within range"
    text = (
        f"{verdict}: P(accuracy at the largest model > chance + {margin:g}) = {p_above:.2f}, "
        f"P(rise over the observed sizes > {margin:g}) = {p_rise:.2f} (threshold {prob:g})."
    )
    return EmergenceCheck(emerged, p_above, p_rise, text)
