r"""Gadre et al.'s law from loss to downstream error, fitted where the loss is known.

.. math::

    \mathrm{Err}(L) = \varepsilon - k\, e^{-\gamma L}

ε is the error far from the data (large loss: no better than guessing); the error falls as the loss
drops. The sampler sees ``a = log k − γ·L̄``, the log of the falling term at the data's mean loss
L̄, which decorrelates ``k`` from ``γ``. Priors: ε ~ Beta(2, 1), a ~ Normal(log 0.3, 1.5),
γ ~ LogNormal(0, 1), noise σ ~ HalfNormal(0.05) on the error scale.

References
----------
Gadre et al. (2024), "Language models scale reliably with over-training and on downstream tasks",
arXiv:2403.08540, eq. (4).
"""

import threading

import numpy as np
import nutpie
import pandas as pd
import pymc as pm
import xarray as xr

from workbench.emergence.model import _variable
from workbench.fitting.diagnostics import Diagnostics, diagnose, warn_if_untrustworthy
from workbench.fitting.fit import DEFAULT_SAMPLER, NotFittedError
from workbench.fitting.model import merge_sampler_options, sample
from workbench.laws.priors import Prior, merge_priors, priors_to_json
from workbench.predict.extrapolate import summary_table

_compiled: dict[str, object] = {}
_compile_lock = threading.Lock()


def error_from_loss(loss, epsilon, k, gamma):
    """Err(L) = ε − k·exp(−γL), in the paper's parameters; NumPy."""
    return epsilon - k * np.exp(-gamma * np.asarray(loss, dtype=float))


class ErrorFromLossFit:
    """Bayesian fit of Err(L) to pairs of (loss, downstream error) (module docstring)."""

    name = "error_from_loss"
    var_names = ("epsilon", "a", "gamma", "sigma")

    def __init__(self, priors=None, sampler=None):
        self.priors = priors
        self.sampler = sampler

    def default_priors(self) -> dict[str, Prior]:
        return {
            "epsilon": Prior("Beta", alpha=2.0, beta=1.0),
            "a": Prior("Normal", mu=float(np.log(0.3)), sigma=1.5),
            "gamma": Prior("LogNormal", mu=0.0, sigma=1.0),
            "sigma": Prior("HalfNormal", sigma=0.05),
        }

    @property
    def priors_(self) -> dict[str, Prior]:
        return merge_priors(self.default_priors(), self.priors, self.name)

    def fit(self, loss, error, random_seed: int | None = None) -> "ErrorFromLossFit":
        """Sample the posterior; sets ``idata_`` and returns self."""
        loss, error = (np.asarray(values, dtype=float) for values in (loss, error))
        if loss.shape != error.shape or loss.ndim != 1 or loss.size < 4:
            raise ValueError(
                "Err(L) needs matching 1-d loss and error arrays with at least 4 pairs"
            )
        if not (np.all(np.isfinite(loss)) and np.all((error >= 0) & (error <= 1))):
            raise ValueError("losses must be finite and errors must lie in [0, 1]")
        priors = self.priors_
        options = merge_sampler_options(DEFAULT_SAMPLER, self.sampler)
        centre = float(loss.mean())
        data = {"x": loss - centre, "error_data": error}
        compiled = self._compiled(priors, data)
        seed = int(np.random.SeedSequence(random_seed).generate_state(1)[0])
        trace = sample(compiled, seed, options)
        posterior = trace.posterior.to_dataset()
        posterior["k"] = np.exp(posterior["a"] + posterior["gamma"] * centre)
        self.idata_ = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": trace.sample_stats.to_dataset(),
                "observed_data": xr.Dataset({"error": ("obs", error)}),
                "constant_data": xr.Dataset({"loss": ("obs", loss)}),
            }
        )
        self.idata_.attrs = {"model": self.name, "priors": priors_to_json(priors), "seed": seed}
        warn_if_untrustworthy(self.diagnostics(), self.name)
        return self

    def _compiled(self, priors, data):
        key = priors_to_json(priors)
        with _compile_lock:
            if key not in _compiled:
                with pm.Model() as model:
                    x = pm.Data("x", data["x"])
                    observed = pm.Data("error_data", data["error_data"])
                    epsilon = _variable("epsilon", priors["epsilon"])
                    a = _variable("a", priors["a"])
                    gamma = _variable("gamma", priors["gamma"])
                    sigma = _variable("sigma", priors["sigma"])
                    mean = epsilon - pm.math.exp(a - gamma * x)
                    pm.Normal("error", mu=mean, sigma=sigma, observed=observed)
                _compiled[key] = nutpie.compile_pymc_model(model)
                return _compiled[key]
        return _compiled[key].with_data(**data)

    @property
    def idata(self) -> xr.DataTree:
        if not hasattr(self, "idata_"):
            raise NotFittedError(
                "this ErrorFromLossFit has no posterior yet: call .fit(loss, error)"
            )
        return self.idata_

    def diagnostics(self) -> Diagnostics:
        tree = self.idata
        return diagnose(
            tree["posterior"].to_dataset(), tree["sample_stats"].to_dataset(), list(self.var_names)
        )

    def predict(self, loss, ci_prob=(0.5, 0.9)) -> pd.DataFrame:
        """Median and intervals of the mean error and of a new measurement at each loss."""
        loss = np.atleast_1d(np.asarray(loss, dtype=float))
        posterior = self.idata["posterior"]
        draws = {name: posterior[name].values.reshape(-1, 1) for name in ("epsilon", "k", "gamma")}
        mean = error_from_loss(loss[None, :], draws["epsilon"], draws["k"], draws["gamma"])
        rng = np.random.default_rng(self.idata.attrs["seed"])
        sigma = posterior["sigma"].values.reshape(-1, 1)
        observed = np.clip(mean + sigma * rng.standard_normal(mean.shape), 0, 1)
        groups = {"mean": mean, "observation": observed}
        return summary_table({"loss": loss}, "kind", groups, ci_prob)
