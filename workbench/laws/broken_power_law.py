"""Caballero et al. (2023): a smoothly broken power law with one break."""

from dataclasses import dataclass

import numpy as np

from workbench.laws import _math as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior


@register
@dataclass(frozen=True)
class BrokenPowerLaw(ScalingLaw):
    r"""Broken neural scaling law with one smooth break, in one covariate X.

    .. math::

        L(X) = E + A\,X^{-c_0}\left(1 + \left(\frac{X}{d_1}\right)^{1/f_1}\right)^{-c_1 f_1}

    Below the break ``d_1`` the exponent is ``c_0``; above it, ``c_0 + c_1``. ``f_1`` sets how
    sharp the break is. The sampler sees the break as ``delta = log d_1`` minus the data's
    log-mean, and the amplitude as the term's share of the typical loss at the centre.

    References
    ----------
    Caballero et al. (2023), "Broken Neural Scaling Laws", arXiv:2210.14891.
    """

    name = "broken_power_law"
    formula = (
        r"L(X) = E + A\,X^{-c_0}\left(1 + \left(\frac{X}{d_1}\right)^{1/f_1}\right)^{-c_1 f_1}"
    )
    reference = "Caballero et al. 2023, arXiv:2210.14891"
    parameters = ("E", "A", "c0", "c1", "d1", "f1")
    covariate: str = "C"

    def __post_init__(self):
        if self.covariate not in ("N", "D", "C"):
            raise ValueError(
                f"broken_power_law covariate must be N, D or C, not {self.covariate!r}"
            )
        object.__setattr__(self, "covariates", (self.covariate,))

    @property
    def options(self):
        return {"covariate": self.covariate}

    def curve(self, x, params):
        value = x[self.covariate]
        bend = (1 + (value / params["d1"]) ** (1 / params["f1"])) ** (-params["c1"] * params["f1"])
        return params["E"] + params["A"] * value ** -params["c0"] * bend

    def log_mean(self, x_centred, theta, centres):
        x = x_centred[self.covariate]
        log_term = (
            theta["a"]
            - theta["c0"] * x
            - theta["c1"] * theta["f1"] * m.softplus((x - theta["delta"]) / theta["f1"])
        )
        return centres["y"] + m.logaddexp(theta["e"], log_term)

    def to_paper(self, theta, centres):
        centre = centres[self.covariate]
        return {
            "E": np.exp(theta["e"] + centres["y"]),
            "A": np.exp(theta["a"] + centres["y"] + theta["c0"] * centre),
            "c0": theta["c0"],
            "c1": theta["c1"],
            "d1": np.exp(theta["delta"] + centre),
            "f1": theta["f1"],
        }

    def from_paper(self, params, centres):
        centre = centres[self.covariate]
        return {
            "e": np.log(params["E"]) - centres["y"],
            "a": np.log(params["A"]) - centres["y"] - params["c0"] * centre,
            "c0": params["c0"],
            "c1": params["c1"],
            "delta": np.log(params["d1"]) - centre,
            "f1": params["f1"],
        }

    def default_priors(self):
        return {
            "e": Prior("Normal", mu=-0.5, sigma=1.0),
            "a": Prior("Normal", mu=-1.5, sigma=1.5),
            "c0": Prior("LogNormal", mu=np.log(0.2), sigma=1.0),
            "c1": Prior("Normal", mu=0.0, sigma=0.5),
            "delta": Prior("Normal", mu=0.0, sigma=1.5),
            "f1": Prior("LogNormal", mu=np.log(0.5), sigma=0.7),
        }
