"""Kaplan et al. (2020): the joint dependence of loss on parameters and data."""

from dataclasses import dataclass

import numpy as np

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior


@register
@dataclass(frozen=True)
class KaplanJoint(ScalingLaw):
    r"""Kaplan's L(N, D), with no irreducible term.

    .. math::

        L(N, D) = \left[\left(\frac{N_c}{N}\right)^{\alpha_N/\alpha_D}
                  + \frac{D_c}{D}\right]^{\alpha_D}

    The sampler sees ``z``, the log target at the data's centre relative to the log-mean ȳ, and
    ``w``, the log ratio of the N term to the D term there. Both are well identified; N_c and D_c
    follow from them and the exponents.

    References
    ----------
    Kaplan et al. (2020), "Scaling Laws for Neural Language Models", arXiv:2001.08361, eq. (1.5).
    """

    name = "kaplan_joint"
    formula = (
        r"L(N, D) = \left[\left(\frac{N_c}{N}\right)^{\alpha_N/\alpha_D}"
        r" + \frac{D_c}{D}\right]^{\alpha_D}"
    )
    reference = "Kaplan et al. 2020, arXiv:2001.08361"
    plain_formula = "L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D"
    purpose = (
        "loss when model size or data is the bottleneck, with no floor; a rival to `chinchilla`"
    )
    parameters = ("N_c", "D_c", "alpha_N", "alpha_D")
    covariates: tuple[str, ...] = ("N", "D")

    def loss_exponents(self, params):
        # Each alone: L = (N_c/N)^α_N with D unbounded, (D_c/D)^α_D with N unbounded.
        return {"N": params["alpha_N"], "D": params["alpha_D"]}

    def curve(self, x, params):
        ratio = params["alpha_N"] / params["alpha_D"]
        return ((params["N_c"] / x["N"]) ** ratio + params["D_c"] / x["D"]) ** params["alpha_D"]

    @staticmethod
    def _log_terms_at_centre(theta, centres):
        """Log of the N and D terms inside the bracket at the data's centre."""
        total = (centres["y"] + theta["z"]) / theta["alpha_D"]
        return total + m.log_sigmoid(theta["w"]), total + m.log_sigmoid(-theta["w"])

    def log_mean(self, x_centred, theta, centres):
        log_n_term, log_d_term = self._log_terms_at_centre(theta, centres)
        ratio = theta["alpha_N"] / theta["alpha_D"]
        return theta["alpha_D"] * m.logaddexp(
            log_n_term - ratio * x_centred["N"], log_d_term - x_centred["D"]
        )

    def to_paper(self, theta, centres):
        log_n_term, log_d_term = self._log_terms_at_centre(theta, centres)
        ratio = theta["alpha_N"] / theta["alpha_D"]
        return {
            "N_c": np.exp(centres["N"] + log_n_term / ratio),
            "D_c": np.exp(centres["D"] + log_d_term),
            "alpha_N": theta["alpha_N"],
            "alpha_D": theta["alpha_D"],
        }

    def from_paper(self, params, centres):
        ratio = params["alpha_N"] / params["alpha_D"]
        log_n_term = ratio * (np.log(params["N_c"]) - centres["N"])
        log_d_term = np.log(params["D_c"]) - centres["D"]
        return {
            "z": params["alpha_D"] * np.logaddexp(log_n_term, log_d_term) - centres["y"],
            "w": log_n_term - log_d_term,
            "alpha_N": params["alpha_N"],
            "alpha_D": params["alpha_D"],
        }

    def default_priors(self):
        return {
            "z": Prior("Normal", mu=0.0, sigma=0.5),
            "w": Prior("Normal", mu=0.0, sigma=2.0),
            "alpha_N": Prior("LogNormal", mu=np.log(0.1), sigma=1.0),
            "alpha_D": Prior("LogNormal", mu=np.log(0.1), sigma=1.0),
        }
