"""Muennighoff et al. (2023): Chinchilla with decaying returns to repeated data and excess size."""

from dataclasses import dataclass

import numpy as np

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.chinchilla import Chinchilla
from workbench.laws.priors import Prior

CHINCHILLA = Chinchilla()
"""The Chinchilla law whose parameters and sampler maps this family extends."""


@register
@dataclass(frozen=True)
class DataConstrained(ScalingLaw):
    r"""Data-constrained scaling law: Chinchilla in effective parameters N' and tokens D'.

    .. math::

        L(N, D, U) = E + \frac{A}{N'^{\alpha}} + \frac{B}{D'^{\beta}}, \qquad
        D' = U_D + U_D R^*_D \left(1 - e^{-R_D / R^*_D}\right), \qquad
        N' = U_N + U_N R^*_N \left(1 - e^{-R_N / R^*_N}\right)

    Covariates are parameters ``N``, tokens seen ``D`` and unique tokens available ``U`` (a
    run-table column named ``U``). Following the paper's definitions:

    - ``U_D = min(U, D)`` are the unique tokens seen, and ``R_D = D/U_D − 1`` the repeated
      passes over them (epochs − 1). A run that sees fewer tokens than are available repeats
      nothing, so D' = D there; the paper only considers D ≥ U_D.
    - ``U_N = min(N, N_opt(U_D))``, where ``N_opt(U_D) = G·(U_D·G)^{β/α}`` with
      ``G = (αA / (βB))^{1/(α+β)}`` is the Chinchilla compute-optimal size for U_D tokens
      (the closed form of this law's own A, B, α, β), and ``R_N = N/U_N − 1`` are the
      parameters beyond it.

    R*_D (``R_D_star``) is the number of repetitions after which repeated data is worth 1/e of
    fresh data; D' never exceeds ``U_D·(1 + R*_D)``. R*_N (``R_N_star``) plays the same role for
    excess parameters.

    The sampler sees Chinchilla's log-shares ``e``, ``a``, ``b`` at the data's centre with U
    centred on D's centre. Then log(N_opt(U_D)/N̄) = (log(α/β) + a − b + β·log(U_D/D̄))/α
    involves no absolute scale, so the compiled model needs only centred log covariates.

    References
    ----------
    Muennighoff et al. (2023), "Scaling Data-Constrained Language Models", arXiv:2305.16264,
    section 3.1 and appendix A.
    """

    name = "data_constrained"
    formula = (
        r"L(N, D, U) = E + \frac{A}{N'^{\alpha}} + \frac{B}{D'^{\beta}},\;"
        r"D' = U_D\left(1 + R^*_D\left(1 - e^{-R_D/R^*_D}\right)\right),\;"
        r"N' = U_N\left(1 + R^*_N\left(1 - e^{-R_N/R^*_N}\right)\right)"
    )
    reference = "Muennighoff et al. 2023, arXiv:2305.16264"
    plain_formula = (
        "L = E + A/N′^α + B/D′^β: N′, D′ discount repeated data; needs unique tokens `U`"
    )
    purpose = "training for several epochs on limited data: what repeated tokens are worth"
    parameters = ("E", "A", "B", "alpha", "beta", "R_D_star", "R_N_star")
    covariates: tuple[str, ...] = ("N", "D", "U")

    def loss_exponents(self, params):
        # With unrepeated data and N below its compute-optimal size it is Chinchilla's law.
        return {"N": params["alpha"], "D": params["beta"]}

    def curve(self, x, params):
        alpha, beta = params["alpha"], params["beta"]
        log_unique_tokens = m.minimum(m.log(x["U"]), m.log(x["D"]))
        log_g = (m.log(alpha / beta) + m.log(params["A"]) - m.log(params["B"])) / (alpha + beta)
        log_optimal_size = log_g + beta / alpha * (log_unique_tokens + log_g)
        log_effective_n = _log_effective(m.log(x["N"]), log_optimal_size, params["R_N_star"])
        log_effective_d = _log_effective(m.log(x["D"]), log_unique_tokens, params["R_D_star"])
        return (
            params["E"]
            + params["A"] * m.exp(-alpha * log_effective_n)
            + params["B"] * m.exp(-beta * log_effective_d)
        )

    def centres(self, x, y):
        centres = super().centres(x, y)
        # U shares D's centre so that log(U/D) and the optimal size for U need no absolute scale.
        centres["U"] = centres["D"]
        return centres

    def log_mean(self, x_centred, theta, centres):
        # Every log here is relative to the data's centre (N̄ for sizes, D̄ for tokens).
        alpha, beta = theta["alpha"], theta["beta"]
        log_unique_tokens = m.minimum(x_centred["U"], x_centred["D"])
        log_optimal_size = (
            m.log(alpha / beta) + theta["a"] - theta["b"] + beta * log_unique_tokens
        ) / alpha
        log_effective_n = _log_effective(x_centred["N"], log_optimal_size, theta["R_N_star"])
        log_effective_d = _log_effective(x_centred["D"], log_unique_tokens, theta["R_D_star"])
        return centres["y"] + m.logsumexp3(
            theta["e"], theta["a"] - alpha * log_effective_n, theta["b"] - beta * log_effective_d
        )

    def to_paper(self, theta, centres):
        return CHINCHILLA.to_paper(theta, centres) | {
            name: theta[name] for name in ("R_D_star", "R_N_star")
        }

    def from_paper(self, params, centres):
        return CHINCHILLA.from_paper(params, centres) | {
            name: params[name] for name in ("R_D_star", "R_N_star")
        }

    def default_priors(self):
        # Muennighoff et al. fit R*_D ≈ 15.4 and R*_N ≈ 5.3; the priors span a decade either way.
        return CHINCHILLA.default_priors() | {
            "R_D_star": Prior("LogNormal", mu=np.log(15.0), sigma=1.0),
            "R_N_star": Prior("LogNormal", mu=np.log(5.0), sigma=1.0),
        }

    def derived(self, params):
        return {
            "effective_data_ceiling": 1 + params["R_D_star"],
            "effective_size_ceiling": 1 + params["R_N_star"],
        }

    def optimal_size(self, params, unique_tokens):
        """N_opt(U_D) = G·(U_D·G)^{β/α}: the Chinchilla-optimal size for ``unique_tokens``."""
        g = CHINCHILLA.derived(params)["G"]
        return g * (np.asarray(unique_tokens, dtype=float) * g) ** (
            params["beta"] / params["alpha"]
        )


def _log_effective(log_total, log_base, decay):
    """log of U + U·R*·(1 − e^(−R/R*)) with R = total/U − 1, for U = min(total, base).

    Everything is in logs (absolute or centred alike), so a value beyond ``base`` counts as the
    base plus repetitions whose worth decays with scale ``decay``.
    """
    log_unique = m.minimum(log_total, log_base)
    repeats = m.expm1(log_total - log_unique)
    return log_unique + m.log1p(-decay * m.expm1(-repeats / decay))
