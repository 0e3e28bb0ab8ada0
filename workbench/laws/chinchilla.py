"""Hoffmann et al. (2022): loss as a function of parameters and tokens."""

from dataclasses import dataclass

import numpy as np

from workbench.laws.base import SeparableLaw, register
from workbench.laws.priors import Prior


@register
@dataclass(frozen=True)
class Chinchilla(SeparableLaw):
    r"""Chinchilla law: an irreducible loss plus one power law in N and one in D.

    .. math::

        L(N, D) = E + \frac{A}{N^\alpha} + \frac{B}{D^\beta}

    The sampler sees ``e = log(E/ȳ)``, ``a = log(A·N̄^-α/ȳ)`` and ``b = log(B·D̄^-β/ȳ)``: each
    term's share of the typical loss ȳ at the data's centre (N̄, D̄), which decorrelates
    amplitudes from exponents.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", arXiv:2203.15556.
    """

    name = "chinchilla"
    formula = r"L(N, D) = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}}"
    reference = "Hoffmann et al. 2022, arXiv:2203.15556"
    plain_formula = "L = E + A/N^α + B/D^β"
    purpose = "loss in parameters and tokens; how to split a compute budget between them"
    parameters = ("E", "A", "B", "alpha", "beta")
    covariates: tuple[str, ...] = ("N", "D")

    def curve(self, x, params):
        return (
            params["E"]
            + params["A"] * x["N"] ** -params["alpha"]
            + params["B"] * x["D"] ** -params["beta"]
        )

    def loss_exponents(self, params):
        return {"N": params["alpha"], "D": params["beta"]}

    def log_terms(self, x_centred, theta):
        return {
            "": theta["e"],
            "N": theta["a"] - theta["alpha"] * x_centred["N"],
            "D": theta["b"] - theta["beta"] * x_centred["D"],
        }

    def to_paper(self, theta, centres):
        return {
            "E": np.exp(theta["e"] + centres["y"]),
            "A": np.exp(theta["a"] + centres["y"] + theta["alpha"] * centres["N"]),
            "B": np.exp(theta["b"] + centres["y"] + theta["beta"] * centres["D"]),
            "alpha": theta["alpha"],
            "beta": theta["beta"],
        }

    def from_paper(self, params, centres):
        return {
            "e": np.log(params["E"]) - centres["y"],
            "a": np.log(params["A"]) - centres["y"] - params["alpha"] * centres["N"],
            "b": np.log(params["B"]) - centres["y"] - params["beta"] * centres["D"],
            "alpha": params["alpha"],
            "beta": params["beta"],
        }

    def default_priors(self):
        return {
            "e": Prior("Normal", mu=-0.5, sigma=1.0),
            "a": Prior("Normal", mu=-2.0, sigma=1.5),
            "b": Prior("Normal", mu=-2.0, sigma=1.5),
            "alpha": Prior("LogNormal", mu=np.log(0.3), sigma=0.8),
            "beta": Prior("LogNormal", mu=np.log(0.3), sigma=0.8),
        }

    def derived(self, params):
        alpha, beta = params["alpha"], params["beta"]
        return {
            "a_opt": beta / (alpha + beta),
            "b_opt": alpha / (alpha + beta),
            "G": (alpha * params["A"] / (beta * params["B"])) ** (1 / (alpha + beta)),
        }

    def optimal_allocation(self, params, compute):
        """Closed form: N_opt = G·(C/6)^a and D_opt = G⁻¹·(C/6)^b."""
        derived = {
            k: np.asarray(v, dtype=float)[..., None] for k, v in self.derived(params).items()
        }
        budget = np.asarray(compute, dtype=float) / 6.0
        return derived["G"] * budget ** derived["a_opt"], budget ** derived["b_opt"] / derived["G"]
