"""Step Law: optimal hyperparameters as log-linear power laws of model and data size."""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior

RESERVED_COVARIATES = ("y",)  # ``centres["y"]`` is the target's log-mean


@register
@dataclass(frozen=True)
class OptimalHyperparameters(ScalingLaw):
    r"""A hyperparameter's optimum as a power law of covariates.

    .. math::

        y = A \prod_i x_i^{b_i}

    The default covariates ``("N", "D")`` give Li et al.'s optimal learning rate
    η_opt = 1.79 · N^-0.713 · D^0.307; ``covariates=("D",)`` gives their optimal batch size in
    tokens, B_opt = 0.58 · D^0.571; ``covariates=("B",)`` gives a learning-rate-vs-batch-size
    rule η* ∝ B^p with the exponent free (p ≈ 1 for SGD, p ≈ 0.5 for Adam). Covariates other
    than N, D and C are read from run-table columns of the same name.

    The sampler sees ``a``, the log target at the covariates' log-mean relative to the target's
    log-mean, and the exponents ``b_<covariate>``, which are not correlated with it.

    References
    ----------
    Li, H., Zheng, W., Hu, J., et al. (2025), "Predictable Scale: Part I — Optimal
    Hyperparameter Scaling Law in Large Language Model Pretraining", arXiv:2503.04715, eq. (1)–(2).
    """

    name = "optimal_hyperparameters"
    formula = r"y = A \prod_i x_i^{b_i}"
    reference = "Li et al. 2025, arXiv:2503.04715"
    plain_formula = "y = A·N^(b_N)·D^(b_D), e.g. Step Law's η_opt and B_opt"
    purpose = (
        "learning rate and batch size for a new model size and token "
        "budget (see `workbench.hyperparameters`)"
    )
    covariates: tuple[str, ...] = ("N", "D")
    falls_with_scale: ClassVar[bool] = False

    def __post_init__(self):
        covariates = (self.covariates,) if isinstance(self.covariates, str) else self.covariates
        covariates = tuple(covariates)
        if not covariates:
            raise ValueError(
                "optimal_hyperparameters covariates: give at least one, e.g. ('N', 'D')"
            )
        bad = [name for name in covariates if not isinstance(name, str) or not name.isidentifier()]
        if bad or set(covariates) & set(RESERVED_COVARIATES):
            raise ValueError(
                f"optimal_hyperparameters covariates must be column names like 'N', 'D' or 'B' "
                f"(not {RESERVED_COVARIATES}); got {covariates!r}"
            )
        if len(set(covariates)) != len(covariates):
            raise ValueError(f"optimal_hyperparameters covariates repeat: {covariates!r}")
        object.__setattr__(self, "covariates", covariates)

    @property
    def parameters(self):
        return ("A", *self.exponents)

    @property
    def exponents(self) -> tuple[str, ...]:
        """Names of the exponents, ``b_<covariate>``, in covariate order."""
        return tuple(f"b_{name}" for name in self.covariates)

    @property
    def options(self):
        return {"covariates": self.covariates}

    @property
    def has_compute_optimum(self) -> bool:
        # A hyperparameter is not a loss: minimizing it under a compute budget means nothing.
        return False

    def curve(self, x, params):
        value = params["A"]
        for name, exponent in zip(self.covariates, self.exponents, strict=True):
            value = value * x[name] ** params[exponent]
        return value

    def log_mean(self, x_centred, theta, centres):
        mean = centres["y"] + theta["a"]
        for name, exponent in zip(self.covariates, self.exponents, strict=True):
            mean = mean + theta[exponent] * x_centred[name]
        return mean

    def to_paper(self, theta, centres):
        log_amplitude = theta["a"] + centres["y"]
        for name, exponent in zip(self.covariates, self.exponents, strict=True):
            log_amplitude = log_amplitude - theta[exponent] * centres[name]
        return {"A": np.exp(log_amplitude), **{name: theta[name] for name in self.exponents}}

    def from_paper(self, params, centres):
        a = np.log(params["A"]) - centres["y"]
        for name, exponent in zip(self.covariates, self.exponents, strict=True):
            a = a + params[exponent] * centres[name]
        return {"a": a, **{name: params[name] for name in self.exponents}}

    def default_priors(self):
        # Exponents of hyperparameter laws are O(1) and of either sign (η falls with N and rises
        # with D); a unit normal is weak on that scale.
        return {
            "a": Prior("Normal", mu=0.0, sigma=1.0),
            **{name: Prior("Normal", mu=0.0, sigma=1.0) for name in self.exponents},
        }
