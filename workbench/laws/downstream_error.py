"""Gadre et al. (2024): downstream error as a function of the loss."""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from workbench.laws import elementwise as m
from workbench.laws.base import ScalingLaw, register
from workbench.laws.priors import Prior


def error_from_loss(loss, epsilon, k, gamma):
    """Err(L) = ε − k·exp(−γL) in the paper's parameters; NumPy or PyTensor."""
    return epsilon - k * m.exp(-gamma * loss)


NO_ERROR_LEFT = -1e-12
"""The largest log of the falling term's fraction of ε: an error of 10⁻¹² ε, standing for zero."""


@register
@dataclass(frozen=True)
class DownstreamError(ScalingLaw):
    r"""Average top-1 error on downstream tasks as an exponential decay in the loss.

    .. math::

        \mathrm{Err}(L) = \varepsilon - k\,e^{-\gamma L}

    ε is the error far from the data, where the model is no better than chance; the error falls
    as the loss L drops. The target is an error column (``err_avg17``, ...) and the single
    covariate is the run's ``loss`` column, so a run table fitted with it keeps ``loss`` beside
    the error target. Chaining it after a loss law predicts downstream error from N and D (see
    :func:`workbench.predict.predict_chained`).

    Errors are fractions: the target must lie in (0, 1), and so must ε, the error of a model no
    better than chance. The sampler sees three unbounded, dimensionless parameters: ``u`` places
    the ceiling between the typical error ȳ and 1, ε = ȳ + (1 − ȳ)·σ(u); ``v`` is the logit of
    the falling term's fraction of ε at the data's centre, σ(v) = k·e^(−γL̄)/ε; and ``g = γ·L̄``
    is the decay per relative change of the loss, where L̄ is the geometric mean loss. Bounding ε
    by 1 cuts off the degenerate direction where ε and k grow without limit while γ → 0 (the
    law turning into a straight line), which otherwise makes NUTS diverge on a few runs.

    References
    ----------
    Gadre et al. (2024), "Language models scale reliably with over-training and on downstream
    tasks", arXiv:2403.08540, eq. (4).
    """

    name = "downstream_error"
    formula = r"\mathrm{Err}(L) = \varepsilon - k\,e^{-\gamma L}"
    reference = "Gadre et al. 2024, arXiv:2403.08540"
    plain_formula = "Err(L) = ε − k·exp(−γL), covariate `loss`"
    purpose = "from loss to downstream task error, chained after a loss law"
    parameters = ("epsilon", "k", "gamma")
    covariates: tuple[str, ...] = ("loss",)

    def curve(self, x, params):
        return error_from_loss(x["loss"], params["epsilon"], params["k"], params["gamma"])

    def log_mean(self, x_centred, theta, centres):
        typical = m.exp(centres["y"])
        log_ceiling = m.log(typical + (1 - typical) * m.exp(m.log_sigmoid(theta["u"])))
        falling = m.log_sigmoid(theta["v"]) - theta["g"] * (m.exp(x_centred["loss"]) - 1)
        # Far below the data's loss a draw can put k·e^(−γL) above ε: the law's error would be
        # negative, and its log NaN. Such a draw predicts an error of (nearly) zero.
        return log_ceiling + m.log1mexp(m.minimum(falling, NO_ERROR_LEFT))

    def to_paper(self, theta, centres):
        typical, centre = np.exp(centres["y"]), np.exp(centres["loss"])
        epsilon = typical + (1 - typical) * expit(theta["u"])
        gamma = theta["g"] / centre
        return {
            "epsilon": epsilon,
            "k": epsilon * expit(theta["v"]) * np.exp(theta["g"]),
            "gamma": gamma,
        }

    def from_paper(self, params, centres):
        typical, centre = np.exp(centres["y"]), np.exp(centres["loss"])
        g = params["gamma"] * centre
        return {
            "u": logit((params["epsilon"] - typical) / (1 - typical)),
            "v": logit(params["k"] * np.exp(-g) / params["epsilon"]),
            "g": g,
        }

    def centres(self, x, y):
        y = np.asarray(y, dtype=float)
        if not np.all((y > 0) & (y < 1)):
            raise ValueError(
                f"{self.name} models errors as fractions in (0, 1); the target has values from "
                f"{y.min():g} to {y.max():g} (give errors, not accuracies or percentages)"
            )
        return super().centres(x, y)

    def default_priors(self):
        # Weakly informative. The ceiling anywhere between the typical error and 1, centred
        # half-way. The falling term a fraction of the ceiling at the centre, centred on 0.27
        # with a 90 % range of 0.03 to 0.8. The decay γ·L̄ of a few (Gadre et al.'s 17-task
        # average has about 2.7), with a 90 % range of 0.5 to 13.
        return {
            "u": Prior("Normal", mu=0.0, sigma=1.5),
            "v": Prior("Normal", mu=-1.0, sigma=1.5),
            "g": Prior("LogNormal", mu=float(np.log(2.5)), sigma=1.0),
        }

    def derived(self, params):
        # The loss at which the law predicts zero error: where it must stop being trusted.
        return {"loss_at_zero_error": np.log(params["k"] / params["epsilon"]) / params["gamma"]}
