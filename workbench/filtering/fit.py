r"""A Bayesian fit of the effective-utility law to errors measured on single pools.

Each pool has its own utility exponent b < 0 and half-life τ; a and d are held at given values
(the authors fit a by grid search and fix d = 0.1, and a only rescales n, which b absorbs). The
error is Normal around the law with a shared noise σ:

.. math::

    \log y = \log\bigl(d + S_0^{\,b}\bigr) + \sum_{k\ge1} b\,0.5^{k/\tau}\,\log(S_k/S'_k),
    \qquad y_\text{obs} \sim \mathcal N(y, \sigma).

The sampler sees ``utility = −b`` ~ LogNormal(log 0.1, 0.7), ``tau`` ~ LogNormal(log 5, 0.7)
and ``sigma`` ~ HalfNormal(0.02); ``b`` is reported as a derived quantity.
"""

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from workbench.filtering.utility import (
    HALF,
    SAMPLES_NORMALIZER,
    Pool,
    UtilityParameters,
)
from workbench.fitting import BayesianFit
from workbench.fitting.base import priors_config
from workbench.fitting.compiling import compiled_for
from workbench.fitting.model import create_variable, sample, sampler_seed
from workbench.laws.priors import Prior, merge_priors, priors_to_json

COLUMNS = ("pool", "samples_seen", "samples_per_epoch", "error")


def read_pool_errors(table) -> pd.DataFrame:
    """The measured errors, one row per (pool, samples seen), checked."""
    frame = pd.DataFrame(table)
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"pool errors need columns {', '.join(COLUMNS)}; missing {missing}")
    frame = frame[list(COLUMNS)].reset_index(drop=True)
    numbers = frame[["samples_seen", "samples_per_epoch", "error"]].to_numpy(dtype=float)
    if not np.all(np.isfinite(numbers)) or np.any(numbers <= 0):
        raise ValueError("samples seen, samples per epoch and errors must be positive and finite")
    frame["pool"] = frame["pool"].astype(str)
    return frame


def growth_design(samples_seen, samples_per_epoch, a: float):
    """log S_0 per observation, and log(S_k/S'_k) per observation and epoch k ≥ 1 (zero for
    epochs not reached), with the epochs 1…K."""
    samples = np.asarray(samples_seen, dtype=float)
    per_epoch = np.asarray(samples_per_epoch, dtype=float)
    last = np.floor(samples / per_epoch)
    epochs = np.arange(1, max(int(last.max()), 1) + 1, dtype=float)
    seen = np.minimum(per_epoch[:, None] * (epochs + 1), samples[:, None])
    growth = np.log(seen / (per_epoch[:, None] * epochs))
    growth = np.where(epochs <= last[:, None], growth, 0.0)
    first = np.log(a * np.minimum(per_epoch, samples) / SAMPLES_NORMALIZER)
    return first, growth, epochs


class UtilityFit(BayesianFit):
    """Per-pool b and τ of the effective-utility law, with a and d held fixed (module docstring).

    Parameters
    ----------
    a, d : float
        The sample-scaling constant and the floor, as in Goyal et al.'s fits (0.025 and 0.1).
    priors, sampler : mapping, optional
        Overrides of the priors (``utility``, ``tau``, ``sigma``) and of the nutpie options.
    """

    name = "effective_utility"
    var_names = ("b", "tau", "sigma")
    fit_call = "fit(pool_errors, random_seed=...)"

    def __init__(self, a: float = 0.025, d: float = 0.1, priors=None, sampler=None):
        self.a = a
        self.d = d
        self.priors = priors
        self.sampler = sampler

    def config(self) -> dict:
        return {
            "a": self.a,
            "d": self.d,
            "priors": priors_config(self.priors),
            "sampler": self.sampler,
        }

    def default_priors(self) -> dict[str, Prior]:
        return {
            "utility": Prior("LogNormal", mu=float(np.log(0.1)), sigma=0.7),
            "tau": Prior("LogNormal", mu=float(np.log(5.0)), sigma=0.7),
            "sigma": Prior("HalfNormal", sigma=0.02),
        }

    def fit(self, pool_errors, random_seed: int | None = None) -> "UtilityFit":
        """Sample the posterior with nutpie; sets ``idata_`` and ``pool_errors_``, returns self."""
        frame = read_pool_errors(pool_errors)
        names = list(dict.fromkeys(frame["pool"]))
        pool_index = frame["pool"].map({name: i for i, name in enumerate(names)}).to_numpy()
        first, growth, epochs = growth_design(
            frame["samples_seen"], frame["samples_per_epoch"], self.a
        )
        data = {
            "pool_index": pool_index,
            "log_first": first,
            "log_growth": growth,
            "epochs": epochs,
            "floor": np.asarray(float(self.d)),
            "error_data": frame["error"].to_numpy(dtype=float),
        }
        priors = merge_priors(self.default_priors(), self.priors, self.name)
        options = self.sampler_options
        compiled = self._compiled(priors, len(names), data)
        seed = sampler_seed(random_seed)
        trace = sample(compiled, seed, options)
        posterior = trace.posterior.to_dataset()
        self.pool_errors_ = frame
        return self.keep_sample(
            trace,
            priors,
            options,
            seed,
            posterior=posterior.assign(b=-posterior["utility"]).assign_coords(pool=names),
            groups={"observed_data": xr.Dataset({"error": ("obs", data["error_data"])})},
        )

    def _compiled(self, priors, n_pools: int, data):
        def build():
            with pm.Model(coords={"pool": np.arange(n_pools)}) as model:
                containers = {name: pm.Data(name, value) for name, value in data.items()}
                utility = create_variable("utility", priors["utility"], dims="pool")
                tau = create_variable("tau", priors["tau"], dims="pool")
                sigma = create_variable("sigma", priors["sigma"])
                pool = containers["pool_index"]
                b = -utility[pool]
                decay = HALF ** (containers["epochs"][None, :] / tau[pool][:, None])
                log_error = pm.math.log(
                    containers["floor"] + pm.math.exp(b * containers["log_first"])
                ) + pm.math.sum(b[:, None] * decay * containers["log_growth"], axis=1)
                pm.Normal(
                    "error",
                    mu=pm.math.exp(log_error),
                    sigma=sigma,
                    observed=containers["error_data"],
                )
            return model

        key = (type(self).__name__, priors_to_json(priors), n_pools)
        return compiled_for(key, build, data)

    # -- results -------------------------------------------------------------------------
    def diagnostic_names(self) -> list[str]:
        return list(self.var_names)

    def input_table(self) -> pd.DataFrame:
        return self.pool_errors_

    def restore_inputs(self, table: pd.DataFrame) -> None:
        self.pool_errors_ = read_pool_errors(table)

    def parameters(self) -> UtilityParameters:
        """The posterior medians of b and τ per pool, with the fixed a and d, for the planner."""
        posterior = self.idata["posterior"].to_dataset()
        b = posterior["b"].median(("chain", "draw"))
        tau = posterior["tau"].median(("chain", "draw"))
        per_epoch = self.pool_errors_.groupby("pool", sort=False)["samples_per_epoch"].first()
        pools = tuple(
            Pool(str(name), float(b.sel(pool=name)), float(tau.sel(pool=name)), per_epoch[name])
            for name in posterior["pool"].values
        )
        return UtilityParameters(self.a, self.d, pools, source="posterior medians of a UtilityFit")
