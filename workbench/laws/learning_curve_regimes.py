"""Hestness et al. (2017): a learning curve with a small-data plateau, a power law and a floor."""

from dataclasses import dataclass

import numpy as np

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior

REGION_THRESHOLD = 0.1
"""The power-law region starts where the excess over the floor has fallen to this fraction of
its plateau value, and ends where it has fallen to this fraction of the floor."""


@register
@dataclass(frozen=True)
class LearningCurveRegimes(ScalingLaw):
    r"""Hestness's three regions of a learning curve as one smooth curve in data size X.

    .. math::

        L(X) = E + \frac{L_p - E}{1 + (X / X_0)^{\alpha}}

    With little data the loss sits on the plateau L_p (a best guess); past X_0 the excess over the
    floor falls as the power law (L_p − E)·(X_0/X)^α, Hestness's power-law region with exponent
    −α; with abundant data it reaches the irreducible loss E. The excess is a logistic function of
    log X, the simplest smooth curve with these three regions and one parameter per feature
    (plateau, floor, crossover, exponent).

    ``derived`` reports where the power-law region lies. It starts at ``X_start`` where the
    excess has fallen to 10 % of the plateau gap (its local log-slope is then 90 % of −α) and
    ends at ``X_end`` where the excess is 10 % of E, so the curve has begun to flatten onto the
    floor. A plateau so close to the floor that the excess is below 10 % of E already at
    ``X_start`` has no power-law region to speak of: there ``X_end = X_start``.

    The sampler sees ``e = log(E/ȳ)``, ``gap = log((L_p − E)/ȳ)`` and ``delta = log X_0`` minus
    the data's log-mean.

    References
    ----------
    Hestness et al. (2017), "Deep Learning Scaling is Predictable, Empirically",
    arXiv:1712.00409, section 6 and figure 6.
    """

    name = "learning_curve_regimes"
    formula = r"L(X) = E + \frac{L_p - E}{1 + (X / X_0)^{\alpha}}"
    reference = "Hestness et al. 2017, arXiv:1712.00409"
    plain_formula = "L = E + (L_p − E)/(1 + (X/X₀)^α)"
    purpose = "small-data, power-law and irreducible-error regimes of one learning curve"
    parameters = ("E", "L_p", "X_0", "alpha")
    covariate: str = "D"

    def __post_init__(self):
        if self.covariate not in ("N", "D", "C"):
            raise ValueError(
                f"learning_curve_regimes covariate must be N, D or C, not {self.covariate!r}"
            )
        object.__setattr__(self, "covariates", (self.covariate,))

    @property
    def options(self):
        return {"covariate": self.covariate}

    def curve(self, x, params):
        ratio = x[self.covariate] / params["X_0"]
        return params["E"] + (params["L_p"] - params["E"]) / (1 + ratio ** params["alpha"])

    def log_mean(self, x_centred, theta, centres):
        transition = theta["alpha"] * (x_centred[self.covariate] - theta["delta"])
        return centres["y"] + m.logaddexp(theta["e"], theta["gap"] - m.softplus(transition))

    def to_paper(self, theta, centres):
        floor = np.exp(theta["e"] + centres["y"])
        return {
            "E": floor,
            "L_p": floor + np.exp(theta["gap"] + centres["y"]),
            "X_0": np.exp(theta["delta"] + centres[self.covariate]),
            "alpha": theta["alpha"],
        }

    def from_paper(self, params, centres):
        return {
            "e": np.log(params["E"]) - centres["y"],
            "gap": np.log(params["L_p"] - params["E"]) - centres["y"],
            "delta": np.log(params["X_0"]) - centres[self.covariate],
            "alpha": params["alpha"],
        }

    def default_priors(self):
        return {
            "e": Prior("Normal", mu=-0.5, sigma=1.0),
            "gap": Prior("Normal", mu=0.0, sigma=1.0),
            "delta": Prior("Normal", mu=0.0, sigma=2.0),
            "alpha": Prior("LogNormal", mu=np.log(0.4), sigma=0.8),
        }

    def derived(self, params):
        start_ratio = 1 / REGION_THRESHOLD - 1
        end_ratio = (params["L_p"] - params["E"]) / (REGION_THRESHOLD * params["E"]) - 1
        exponent = 1 / params["alpha"]
        return {
            "X_start": params["X_0"] * start_ratio**exponent,
            "X_end": params["X_0"] * np.maximum(end_ratio, start_ratio) ** exponent,
        }
