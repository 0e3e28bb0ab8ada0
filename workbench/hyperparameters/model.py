"""One PyMC model of all sweeps: a bowl around each setting's optimum, optima on power laws.

For setting g and run r, with u the log of each swept hyperparameter (log learning rate, log
batch size) and u*_g the setting's optimum,

    log L_r = m_g + ½ Σ_j (Σ_{k≤j} L_{g,jk} (u_{r,k} − u*_{g,k}))² + ε_r,
    u*_{g,k} ~ Normal(log law_k(x_g), τ_k),   ε ~ StudentT(ν, 0, σ),

where L_g is a lower-triangular matrix with positive diagonal (so the bowl is always convex and
its minimum is exactly u*_g), law_k is an ``optimal_hyperparameters`` law and τ_k is the scatter
of true optima around it. The optima are parameters, not plug-in estimates, so their uncertainty
reaches the laws' exponents without an errors-in-variables approximation.

Every data-dependent number enters as ``pm.Data``; the model compiles once per (laws, number of
settings, priors) and swaps data through nutpie's ``with_data``.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pymc as pm

from workbench.fitting.compiling import compiled_for
from workbench.fitting.model import create_variable
from workbench.laws import Prior, ScalingLaw
from workbench.laws import elementwise as m
from workbench.laws.priors import priors_to_json

BOWL_PRIORS = {
    # Log of the bowl's Cholesky diagonal, per setting and axis: e^k ≈ 0.1 puts the loss 0.5 %
    # above the optimum at a factor e of the hyperparameter, typical of LLM sweeps.
    "log_curvature": Prior("Normal", mu=float(np.log(0.1)), sigma=1.5),
    # Spread of the log curvature across settings, kept off zero (Gamma(2, 8): mode 0.12, 95 %
    # below 0.6): bowls of one sweep differ somewhat, and a spread pinned at zero makes a funnel.
    "curvature_spread": Prior("Gamma", alpha=2.0, beta=8.0),
    "cross_curvature": Prior("Normal", mu=0.0, sigma=0.3),
    # Log loss at the optimum relative to the lowest observed loss of the setting.
    "loss_offset": Prior("Normal", mu=0.0, sigma=0.01),
    "sigma": Prior("HalfNormal", sigma=0.01),
    "nu": Prior("Gamma", alpha=2.0, beta=0.1),
}
SCATTER_PRIOR = Prior("Gamma", alpha=2.0, beta=8.0)
"""Spread of true log optima around their law: mode 0.12, 95 % below 0.6. Kept off zero, because
no law holds exactly and a scatter pinned at zero makes a funnel for the sampler."""


@dataclass(frozen=True)
class OptimaModel:
    """Which hyperparameters are located and which law each optimum follows.

    Attributes
    ----------
    laws : mapping of str to ScalingLaw
        By short name (``"lr"``, ``"batch"``), in the order of the bowl's axes.
    n_groups : int
        Number of settings; it fixes the parameter shapes of the compiled model.
    centred : bool
        Whether the log optima are parameters (centred) or the law plus scatter times a unit
        normal (non-centred, better when the true scatter is near zero).
    """

    laws: Mapping[str, ScalingLaw]
    n_groups: int
    centred: bool = True

    @property
    def axes(self) -> tuple[str, ...]:
        return tuple(self.laws)

    def default_priors(self) -> dict[str, Prior]:
        priors = {}
        for axis, law in self.laws.items():
            priors |= {f"{axis}_{name}": prior for name, prior in law.default_priors().items()}
            priors[f"{axis}_scatter"] = SCATTER_PRIOR
            priors[f"{axis}_log_curvature"] = BOWL_PRIORS["log_curvature"]
            priors[f"{axis}_curvature_spread"] = BOWL_PRIORS["curvature_spread"]
        if len(self.axes) == 2:
            priors["cross_curvature"] = BOWL_PRIORS["cross_curvature"]
        return priors | {name: BOWL_PRIORS[name] for name in ("loss_offset", "sigma", "nu")}

    def key(self, priors: Mapping[str, Prior]) -> tuple:
        labels = tuple((axis, law.label) for axis, law in self.laws.items())
        return (labels, self.n_groups, self.centred, priors_to_json(priors))

    def build(self, data: Mapping[str, np.ndarray], priors: Mapping[str, Prior]) -> pm.Model:
        with pm.Model(coords={"group": np.arange(self.n_groups)}) as model:
            containers = {name: pm.Data(name, value) for name, value in data.items()}
            group = containers["run_group"]
            offset = _create("loss_offset", priors, dims="group")
            deltas, log_curvatures = [], []
            for axis, law in self.laws.items():
                theta = {name: _create(f"{axis}_{name}", priors) for name in law.sampler_parameters}
                scatter = _create(f"{axis}_scatter", priors)
                x = {name: containers[f"{axis}_x_{name}"] for name in law.covariates}
                on_law = law.log_mean(x, theta, {"y": containers[f"{axis}_centre"]})
                shift = self._optimum(axis, on_law, scatter) - containers[f"{axis}_best"]
                deltas.append(containers[f"{axis}_run"] - shift[group])
                log_curvatures.append(self._log_curvature(axis, priors)[group])
            cross = (
                _create("cross_curvature", priors, dims="group")[group]
                if len(self.axes) == 2
                else None
            )
            mu = offset[group] + bowl(deltas, log_curvatures, cross)
            sigma, nu = _create("sigma", priors), _create("nu", priors)
            pm.StudentT("log_loss", nu=nu, mu=mu, sigma=sigma, observed=containers["run_log_loss"])
        return model

    def _optimum(self, axis: str, on_law, scatter):
        """Log optima around the law: centred when each setting's runs pin its optimum down
        (the usual case, where the non-centred form mixes slowly), else non-centred."""
        if self.centred:
            return pm.Normal(f"log_{axis}_opt", on_law, scatter, dims="group")
        return on_law + scatter * pm.Normal(f"{axis}_z", 0.0, 1.0, dims="group")

    @staticmethod
    def _log_curvature(axis: str, priors: Mapping[str, Prior]):
        """Per-setting log curvature, partially pooled: bowls of one sweep look alike, and
        pooling keeps a setting whose runs barely rise above the lowest from a flat bowl (which
        would free its optimum)."""
        typical = _create(f"{axis}_log_curvature", priors)
        spread = _create(f"{axis}_curvature_spread", priors)
        z = pm.Normal(f"{axis}_curvature_z", 0.0, 1.0, dims="group")
        return typical + spread * z

    def compiled(self, data: Mapping[str, np.ndarray], priors: Mapping[str, Prior]):
        """A nutpie model for this data, compiled on first use of (laws, settings, priors)."""
        return compiled_for(("optima", *self.key(priors)), lambda: self.build(data, priors), data)


def bowl(deltas, log_curvatures, cross=None):
    """½‖Lᵀδ‖² for one or two axes: the loss rise (log scale) at offsets ``deltas``.

    NumPy or PyTensor; with two axes L = [[e^k₁, 0], [c, e^k₂]], so the curvature along the first
    axis at a fixed second one is e^{2k₁} + c².
    """
    first = m.exp(log_curvatures[0]) * deltas[0]
    if len(deltas) == 1:
        return 0.5 * first**2
    second = cross * deltas[0] + m.exp(log_curvatures[1]) * deltas[1]
    return 0.5 * (first**2 + second**2)


def _create(name: str, priors: Mapping[str, Prior], **kwargs):
    return create_variable(name, priors[name], **kwargs)
