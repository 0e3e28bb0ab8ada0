"""Gadre et al. (2024): loss of over-trained models, in compute and tokens per parameter."""

from dataclasses import dataclass

import numpy as np

from workbench.compute import COMPUTE_PER_PARAMETER_TOKEN, training_compute
from workbench.laws.base import SeparableLaw, register
from workbench.laws.priors import Prior

LOG_SIX = float(np.log(COMPUTE_PER_PARAMETER_TOKEN))


@register
@dataclass(frozen=True)
class Overtraining(SeparableLaw):
    r"""Gadre et al.'s over-training law: loss in compute C and tokens per parameter M.

    .. math::

        L(C, M) = E + \left(a\,M^{\eta} + b\,M^{-\eta}\right) C^{-\eta},
        \qquad C = 6ND, \quad M = D/N

    Written in N and D it is the Chinchilla law with one exponent for both terms:

    .. math::

        L(N, D) = E + a\,6^{-\eta} N^{-2\eta} + b\,6^{-\eta} D^{-2\eta}

    so the covariates are N and D, and C and M follow. Gadre et al.'s code fits the same curve as
    ``L(N, M) = α·N^b' + β·6^(b'/2)·(M·N)^b' + E``; the exact map is α = a·6^(-η), β = b and
    b' = -2η (derived as ``code_alpha``, ``code_beta`` and ``code_b``).

    At a fixed compute C the loss is lowest at M_opt = (b/a)^(1/(2η)) tokens per parameter, the
    same for every budget: N_opt = G·(C/6)^(1/2) and D_opt = (C/6)^(1/2)/G with G = M_opt^(-1/2).
    The loss there is E + 2·sqrt(a·b)·C^(-η).

    The sampler sees ``e = log(E/ȳ)``, ``n_term`` and ``d_term``, the logs of the N and D terms'
    shares of the typical loss ȳ at the data's centre (N̄, D̄), and ``eta``: the parameterization
    of the Chinchilla law, with one exponent.

    References
    ----------
    Gadre et al. (2024), "Language models scale reliably with over-training and on downstream
    tasks", arXiv:2403.08540, eq. (3).
    """

    name = "overtraining"
    formula = r"L(C, M) = E + \left(a\,M^{\eta} + b\,M^{-\eta}\right) C^{-\eta}"
    reference = "Gadre et al. 2024, arXiv:2403.08540"
    plain_formula = "L = E + (a·M^η + b·M^−η)·C^−η, M = D/N"
    purpose = "models trained far past the compute-optimal tokens per parameter"
    parameters = ("E", "a", "b", "eta")
    covariates: tuple[str, ...] = ("N", "D")

    def loss_exponents(self, params):
        return {"N": 2 * params["eta"], "D": 2 * params["eta"]}

    def curve(self, x, params):
        eta = params["eta"]
        tokens_per_parameter = x["D"] / x["N"]
        compute = training_compute(x["N"], x["D"])
        return (
            params["E"]
            + (params["a"] * tokens_per_parameter**eta + params["b"] * tokens_per_parameter**-eta)
            * compute**-eta
        )

    def log_terms(self, x_centred, theta):
        exponent = 2 * theta["eta"]
        return {
            "": theta["e"],
            "N": theta["n_term"] - exponent * x_centred["N"],
            "D": theta["d_term"] - exponent * x_centred["D"],
        }

    def to_paper(self, theta, centres):
        eta = theta["eta"]
        return {
            "E": np.exp(theta["e"] + centres["y"]),
            "a": np.exp(theta["n_term"] + centres["y"] + eta * (2 * centres["N"] + LOG_SIX)),
            "b": np.exp(theta["d_term"] + centres["y"] + eta * (2 * centres["D"] + LOG_SIX)),
            "eta": eta,
        }

    def from_paper(self, params, centres):
        eta = params["eta"]
        return {
            "e": np.log(params["E"]) - centres["y"],
            "n_term": np.log(params["a"]) - centres["y"] - eta * (2 * centres["N"] + LOG_SIX),
            "d_term": np.log(params["b"]) - centres["y"] - eta * (2 * centres["D"] + LOG_SIX),
            "eta": eta,
        }

    def default_priors(self):
        # A priori no term dominates at the data's centre: each of the three shares is centred on
        # 1/3, with a 90 % range of 0.06 to 1.7 (a share of a sum of positive terms is below 1).
        # The exponent is informative: fits of L = E + A/N^α + B/D^β put α and β (2η here)
        # between 0.27 and 0.37 (Hoffmann et al. 2022; Besiroglu et al. 2024; Gadre et al.
        # 2024), so η ~ LogNormal(log 0.15, 0.3), a 90 % range of 0.09 to 0.25. With few runs,
        # as in Gadre et al.'s 5-run protocol, the data alone cannot separate η from E.
        share = Prior("Normal", mu=float(-np.log(3)), sigma=1.0)
        return {
            "e": share,
            "n_term": share,
            "d_term": share,
            "eta": Prior("LogNormal", mu=float(np.log(0.15)), sigma=0.3),
        }

    def derived(self, params):
        eta, a, b = params["eta"], params["a"], params["b"]
        optimal_ratio = (b / a) ** (1 / (2 * eta))
        return {
            "code_alpha": a * COMPUTE_PER_PARAMETER_TOKEN**-eta,
            "code_beta": b,
            "code_b": -2 * eta,
            "M_opt": optimal_ratio,
            "G": optimal_ratio**-0.5,
        }

    def optimal_allocation(self, params, compute):
        """Closed form: N_opt = G·(C/6)^(1/2) and D_opt = G⁻¹·(C/6)^(1/2)."""
        scale = np.asarray(self.derived(params)["G"], dtype=float)[..., None]
        root_budget = np.sqrt(np.asarray(compute, dtype=float) / COMPUTE_PER_PARAMETER_TOKEN)
        return scale * root_budget, root_budget / scale
