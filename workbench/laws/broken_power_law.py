"""Caballero et al. (2023): a smoothly broken power law with one or two breaks."""

from dataclasses import dataclass

import numpy as np

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior

MAX_BREAKS = 2


@register
@dataclass(frozen=True)
class BrokenPowerLaw(ScalingLaw):
    r"""Broken neural scaling law with ``breaks`` smooth breaks (1 or 2), in one covariate X.

    .. math::

        L(X) = E + A\,X^{-c_0}\prod_{i=1}^{n}
               \left(1 + \left(\frac{X}{d_i}\right)^{1/f_i}\right)^{-c_i f_i}

    Below the first break ``d_1`` the exponent is ``c_0``; past break i it grows by ``c_i``
    (negative ``c_i`` flatten the curve). ``f_i`` sets how sharp break i is. The sampler sees the
    first break as ``delta = log d_1`` minus the data's log-mean, the second as the gap
    ``spacing2 = log(d_2/d_1) > 0`` (which keeps the breaks in order, so they cannot swap
    labels), and the amplitude as the term's share of the typical loss at the centre.

    ``breaks=1`` has the options, label and parameter names that saved one-break fits record
    (no ``breaks`` option), so those files load unchanged.

    References
    ----------
    Caballero et al. (2023), "Broken Neural Scaling Laws", arXiv:2210.14891, eq. (1).
    """

    name = "broken_power_law"
    reference = "Caballero et al. 2023, arXiv:2210.14891"
    plain_formula = "L = E + A·X^(−c₀)·Π_i (1 + (X/d_i)^(1/f_i))^(−c_i·f_i), `breaks=1` or `2`"
    purpose = "curves whose slope changes once or twice, which one power law cannot follow"
    covariate: str = "C"
    breaks: int = 1

    def __post_init__(self):
        if self.covariate not in ("N", "D", "C"):
            raise ValueError(
                f"broken_power_law covariate must be N, D or C, not {self.covariate!r}"
            )
        if self.breaks not in range(1, MAX_BREAKS + 1):
            raise ValueError(f"broken_power_law takes 1 or 2 breaks, not {self.breaks!r}")
        object.__setattr__(self, "covariates", (self.covariate,))

    @property
    def formula(self):
        bends = "".join(
            rf"\left(1 + \left(\frac{{X}}{{d_{i}}}\right)^{{1/f_{i}}}\right)^{{-c_{i} f_{i}}}"
            for i in range(1, self.breaks + 1)
        )
        return rf"L(X) = E + A\,X^{{-c_0}}{bends}"

    @property
    def parameters(self):
        extra = tuple(f"{kind}{i}" for i in range(2, self.breaks + 1) for kind in ("c", "d", "f"))
        return ("E", "A", "c0", "c1", "d1", "f1", *extra)

    @property
    def options(self):
        # Saved one-break fits record no ``breaks``: leaving it out for one break keeps their
        # label and options.
        if self.breaks == 1:
            return {"covariate": self.covariate}
        return {"covariate": self.covariate, "breaks": self.breaks}

    def curve(self, x, params):
        value = x[self.covariate]
        result = params["A"] * value ** -params["c0"]
        for i in range(1, self.breaks + 1):
            c, d, f = params[f"c{i}"], params[f"d{i}"], params[f"f{i}"]
            result = result * (1 + (value / d) ** (1 / f)) ** (-c * f)
        return params["E"] + result

    def _log_breaks(self, theta):
        """log d_i minus the data's log-mean, for each break in order."""
        positions = [theta["delta"]]
        for i in range(2, self.breaks + 1):
            positions.append(positions[-1] + theta[f"spacing{i}"])
        return positions

    def log_mean(self, x_centred, theta, centres):
        x = x_centred[self.covariate]
        log_term = theta["a"] - theta["c0"] * x
        for i, position in enumerate(self._log_breaks(theta), start=1):
            c, f = theta[f"c{i}"], theta[f"f{i}"]
            log_term = log_term - c * f * m.softplus((x - position) / f)
        return centres["y"] + m.logaddexp(theta["e"], log_term)

    def to_paper(self, theta, centres):
        centre = centres[self.covariate]
        params = {
            "E": np.exp(theta["e"] + centres["y"]),
            "A": np.exp(theta["a"] + centres["y"] + theta["c0"] * centre),
            "c0": theta["c0"],
        }
        for i, position in enumerate(self._log_breaks(theta), start=1):
            params[f"c{i}"] = theta[f"c{i}"]
            params[f"d{i}"] = np.exp(position + centre)
            params[f"f{i}"] = theta[f"f{i}"]
        return params

    def from_paper(self, params, centres):
        centre = centres[self.covariate]
        theta = {
            "e": np.log(params["E"]) - centres["y"],
            "a": np.log(params["A"]) - centres["y"] - params["c0"] * centre,
            "c0": params["c0"],
            "c1": params["c1"],
            "delta": np.log(params["d1"]) - centre,
            "f1": params["f1"],
        }
        for i in range(2, self.breaks + 1):
            theta[f"c{i}"] = params[f"c{i}"]
            theta[f"spacing{i}"] = np.log(params[f"d{i}"] / params[f"d{i - 1}"])
            theta[f"f{i}"] = params[f"f{i}"]
        return theta

    def default_priors(self):
        priors = {
            "e": Prior("Normal", mu=-0.5, sigma=1.0),
            "a": Prior("Normal", mu=-1.5, sigma=1.5),
            "c0": Prior("LogNormal", mu=np.log(0.2), sigma=1.0),
            "c1": Prior("Normal", mu=0.0, sigma=0.5),
            "delta": Prior("Normal", mu=0.0, sigma=1.5),
            "f1": Prior("LogNormal", mu=np.log(0.5), sigma=0.7),
        }
        for i in range(2, self.breaks + 1):
            priors[f"c{i}"] = Prior("Normal", mu=0.0, sigma=0.5)
            # Breaks about a factor e^3 ≈ 20 apart; closer breaks blur into one.
            priors[f"spacing{i}"] = Prior("LogNormal", mu=np.log(3.0), sigma=0.7)
            priors[f"f{i}"] = Prior("LogNormal", mu=np.log(0.5), sigma=0.7)
        return priors
