"""Chen et al. (2025): loss of models that run P parallel streams over N parameters."""

from dataclasses import dataclass

import numpy as np

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior


@register
@dataclass(frozen=True)
class ParScale(ScalingLaw):
    r"""Parallel scaling law: P streams act like a model (1 + k·ln P) times larger.

    .. math::

        L(N, P) = E + \left(\frac{A}{N\,(k \ln P + 1)}\right)^{\alpha}

    ``P`` (a run-table column) is the number of parallel streams, P ≥ 1; P = 1 is an ordinary
    model. Because ln P must stay ln P (ln 1 = 0 is the baseline), P is not centred: the law
    centres it at 1, so the sampler sees ln P itself. N is centred as usual, and the sampler sees
    ``e = log(E/ȳ)`` and ``a = log((A/N̄)^α/ȳ)``, the shares of the typical loss ȳ at the data's
    centre N̄ and P = 1.

    References
    ----------
    Chen et al. (2025), "Parallel Scaling Law for Language Models", arXiv:2505.10475.
    """

    name = "parscale"
    formula = r"L(N, P) = E + \left(\frac{A}{N\,(k \ln P + 1)}\right)^{\alpha}"
    reference = "Chen et al. 2025, arXiv:2505.10475"
    plain_formula = "L = E + (A/(N·(k·ln P + 1)))^α, `P` parallel streams"
    purpose = "what P parallel streams of one model are worth in parameters"
    parameters = ("E", "A", "alpha", "k")
    covariates: tuple[str, ...] = ("N", "P")

    def loss_exponents(self, params):
        return {"N": params["alpha"]}

    def curve(self, x, params):
        alpha = params["alpha"]
        log_size = m.log(x["N"]) + m.log1p(params["k"] * m.log(x["P"]))
        return params["E"] + m.exp(alpha * (m.log(params["A"]) - log_size))

    def centres(self, x, y):
        centres = super().centres(x, y)
        centres["P"] = 0.0  # log 1: the sampler's P covariate is ln P itself
        return centres

    def log_mean(self, x_centred, theta, centres):
        alpha = theta["alpha"]
        reducible = theta["a"] - alpha * (x_centred["N"] + m.log1p(theta["k"] * x_centred["P"]))
        return centres["y"] + m.logaddexp(theta["e"], reducible)

    def to_paper(self, theta, centres):
        return {
            "E": np.exp(theta["e"] + centres["y"]),
            "A": np.exp((theta["a"] + centres["y"]) / theta["alpha"] + centres["N"]),
            "alpha": theta["alpha"],
            "k": theta["k"],
        }

    def from_paper(self, params, centres):
        return {
            "e": np.log(params["E"]) - centres["y"],
            "a": params["alpha"] * (np.log(params["A"]) - centres["N"]) - centres["y"],
            "alpha": params["alpha"],
            "k": params["k"],
        }

    def default_priors(self):
        return {
            "e": Prior("Normal", mu=-0.5, sigma=1.0),
            "a": Prior("Normal", mu=-1.5, sigma=1.5),
            "alpha": Prior("LogNormal", mu=np.log(0.2), sigma=0.8),
            "k": Prior("LogNormal", mu=np.log(0.4), sigma=1.0),
        }

    def derived(self, params):
        return {
            f"size_multiplier_P{streams}": self.size_multiplier(params, streams)
            for streams in (2, 8)
        }

    @staticmethod
    def size_multiplier(params, streams):
        """1 + k·ln P: how many times more parameters P streams are worth."""
        return 1 + params["k"] * np.log(streams)
