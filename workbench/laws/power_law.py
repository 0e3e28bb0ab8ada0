"""A saturating power law in one covariate (N, D or C)."""

from dataclasses import dataclass

import numpy as np

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior


@register
@dataclass(frozen=True)
class PowerLaw(ScalingLaw):
    r"""Power law in one covariate X, with an irreducible term.

    .. math::

        L(X) = E + A \, X^{-\alpha}

    ``irreducible=False`` fixes E = 0, Kaplan et al.'s pure power law.

    References
    ----------
    Kaplan et al. (2020), "Scaling Laws for Neural Language Models", arXiv:2001.08361.
    """

    name = "power_law"
    formula = r"L(X) = E + A\,X^{-\alpha}"
    reference = "Kaplan et al. 2020, arXiv:2001.08361"
    plain_formula = "L = E + A·X^(−α), X one of N, D, C (`covariate=`)"
    purpose = "one axis at a time, e.g. loss against compute along a frontier"
    covariate: str = "C"
    irreducible: bool = True

    def __post_init__(self):
        if self.covariate not in ("N", "D", "C"):
            raise ValueError(f"power_law covariate must be N, D or C, not {self.covariate!r}")
        object.__setattr__(self, "covariates", (self.covariate,))

    @property
    def parameters(self):
        return ("E", "A", "alpha") if self.irreducible else ("A", "alpha")

    @property
    def options(self):
        return {"covariate": self.covariate, "irreducible": self.irreducible}

    def loss_exponents(self, params):
        return {self.covariate: params["alpha"]}

    def curve(self, x, params):
        reducible = params["A"] * x[self.covariate] ** -params["alpha"]
        return params["E"] + reducible if self.irreducible else reducible

    def log_mean(self, x_centred, theta, centres):
        reducible = theta["a"] - theta["alpha"] * x_centred[self.covariate]
        if self.irreducible:
            return centres["y"] + m.logaddexp(theta["e"], reducible)
        return centres["y"] + reducible

    def to_paper(self, theta, centres):
        params = {
            "A": np.exp(theta["a"] + centres["y"] + theta["alpha"] * centres[self.covariate]),
            "alpha": theta["alpha"],
        }
        if self.irreducible:
            params["E"] = np.exp(theta["e"] + centres["y"])
        return params

    def from_paper(self, params, centres):
        theta = {
            "a": np.log(params["A"]) - centres["y"] - params["alpha"] * centres[self.covariate],
            "alpha": params["alpha"],
        }
        if self.irreducible:
            theta["e"] = np.log(params["E"]) - centres["y"]
        return theta

    def default_priors(self):
        priors = {
            "a": Prior("Normal", mu=-1.5 if self.irreducible else 0.0, sigma=1.5),
            "alpha": Prior("LogNormal", mu=np.log(0.2), sigma=1.0),
        }
        if self.irreducible:
            priors["e"] = Prior("Normal", mu=-0.5, sigma=1.0)
        return priors
