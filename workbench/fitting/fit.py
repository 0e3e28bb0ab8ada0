"""``ScalingLawFit``: a scikit-learn-style Bayesian fit of one law, returning an ArviZ DataTree."""

import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

import workbench
from workbench.fitting.diagnostics import Diagnostics, diagnose, warn_if_untrustworthy
from workbench.fitting.model import (
    FitCancelled,  # noqa: F401 - re-exported
    check_likelihood,
    compiled_model,
    default_priors,
    draw_log_noise,
    merge_sampler_options,
    model_data,
    sample,
)
from workbench.laws import Prior, ScalingLaw, get_law
from workbench.laws.priors import merge_priors, priors_from_json, priors_to_json
from workbench.runs import RunTable, read_runs

DEFAULT_SAMPLER = {
    "draws": 1000,
    "tune": 1000,
    "chains": 2,
    "cores": 2,
    "adaptation": "low_rank",
    "target_accept": 0.9,
    "progress_bar": False,
}


class NotFittedError(RuntimeError):
    """A result was asked of a fit that has not been fitted or loaded."""


class FitFileError(ValueError):
    """A saved fit that cannot be loaded as asked."""


class ScalingLawFit:
    """Bayesian fit of one scaling-law family to a run table.

    Parameters
    ----------
    law : str or ScalingLaw
        A registered family name (see ``workbench.laws.LAWS``) or a configured family.
    priors : mapping, optional
        Overrides of the default priors, by sampler-parameter name (``Prior`` or dict).
    likelihood : {"student_t", "normal"}
        Noise model of the log target. Student-t is robust to outliers, in the spirit of the
        Huber loss of Hoffmann et al.
    sampler : mapping, optional
        nutpie options: ``draws``, ``tune``, ``chains``, ``cores``, ``adaptation``,
        ``progress_bar``.
    """

    def __init__(self, law, priors=None, likelihood="student_t", sampler=None):
        self.law: ScalingLaw = get_law(law)
        self.priors = priors
        self.likelihood = likelihood
        self.sampler = sampler

    # -- configuration -------------------------------------------------------------------
    @property
    def priors_(self) -> dict[str, Prior]:
        """Default priors with the user's overrides applied."""
        owner = f"{self.law.label} with {self.likelihood} likelihood"
        return merge_priors(default_priors(self.law, self.likelihood), self.priors, owner)

    @property
    def sampler_(self) -> dict:
        return merge_sampler_options(DEFAULT_SAMPLER, self.sampler)

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self,
        runs,
        random_seed: int | None = None,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> "ScalingLawFit":
        """Sample the posterior with nutpie NUTS; sets ``idata_`` and returns ``self``.

        Parameters
        ----------
        runs : RunTable, DataFrame or path
            The training runs; validated for this law.
        random_seed : int, optional
            Seed of the sampler and of the posterior predictive draws.
        progress : callable, optional
            Called from the sampler's thread with the finished fraction (0 to 1) of all draws.
        cancel : threading.Event, optional
            Setting it stops sampling; ``fit`` then raises ``FitCancelled``.
        """
        check_likelihood(self.likelihood)
        runs = read_runs(runs)
        runs.require(self.law.covariates, n_params=len(self.law.parameters), log_target=True)
        priors, options = self.priors_, self.sampler_
        x = {name: runs.column(name) for name in self.law.covariates}
        centres = self.law.centres(x, runs.y)
        compiled = compiled_model(
            self.law, priors, self.likelihood, model_data(self.law, x, runs.y, centres)
        )
        seed = int(np.random.SeedSequence(random_seed).generate_state(1)[0])
        trace = sample(compiled, seed, options, progress=progress, cancel=cancel)
        self.idata_ = self._build_tree(trace, runs, x, centres, priors, options, seed)
        warn_if_untrustworthy(self.diagnostics(), self.law.label)
        return self

    def _build_tree(self, trace, runs: RunTable, x, centres, priors, options, seed) -> xr.DataTree:
        posterior = trace.posterior.to_dataset()
        theta = {name: posterior[name] for name in self.law.sampler_parameters}
        paper = self.law.to_paper(theta, centres)
        posterior = posterior.assign(paper).assign(self.law.derived(paper))
        observation = {"obs": np.arange(len(runs))}
        constant = xr.Dataset(
            {name: ("obs", values) for name, values in x.items()}, coords=observation
        )
        observed = xr.Dataset({runs.target: ("obs", runs.y)}, coords=observation)
        noise = {name: posterior[name] for name in ("sigma", "nu") if name in posterior}
        log_mean = self.law.log_mean(
            {name: constant[name].pipe(np.log) - centres[name] for name in x}, theta, centres
        )
        log_y = np.log(observed[runs.target])
        rng = np.random.default_rng(seed)
        draws = draw_log_noise(
            noise["sigma"].values[..., None],
            noise["nu"].values[..., None] if "nu" in noise else None,
            log_mean.shape,
            rng,
        )
        tree = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": trace.sample_stats.to_dataset(),
                "posterior_predictive": xr.Dataset({runs.target: np.exp(log_mean + draws)}),
                "log_likelihood": xr.Dataset(
                    {
                        runs.target: (_log_density(log_y - log_mean, noise) - log_y).transpose(
                            "chain", "draw", "obs"
                        )
                    }
                ),
                "observed_data": observed,
                "constant_data": constant,
            }
        )
        tree.attrs = {
            "workbench_version": workbench.__version__,
            "law": self.law.name,
            "law_options": json.dumps(self.law.options, sort_keys=True),
            "priors": priors_to_json(priors),
            "likelihood": self.likelihood,
            "target": runs.target,
            "centres": json.dumps(centres, sort_keys=True),
            "data_hash": runs.content_hash(),
            "n_obs": len(runs),
            "sampler": json.dumps(options, sort_keys=True),
            "random_seed": seed,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return tree

    # -- results -------------------------------------------------------------------------
    @property
    def idata(self) -> xr.DataTree:
        if not hasattr(self, "idata_"):
            raise NotFittedError(
                "this ScalingLawFit has no posterior yet: "
                "call .fit(runs) or ScalingLawFit.load(path)"
            )
        return self.idata_

    @property
    def centres_(self) -> dict[str, float]:
        return json.loads(self.idata.attrs["centres"])

    @property
    def target_(self) -> str:
        return self.idata.attrs["target"]

    def draws(self, var_names=None) -> dict[str, np.ndarray]:
        """Posterior draws flattened over chains, by variable name."""
        posterior = self.idata["posterior"].to_dataset()
        names = var_names or list(posterior.data_vars)
        return {name: posterior[name].values.reshape(-1) for name in names}

    def diagnostics(self) -> Diagnostics:
        names = [*self.law.sampler_parameters, "sigma", *self.law.parameters]
        return diagnose(
            self.idata["posterior"].to_dataset(), self.idata["sample_stats"].to_dataset(), names
        )

    def summary(self, ci_prob: float = 0.9) -> pd.DataFrame:
        """Median, central ``ci_prob`` interval, ESS and R-hat of the paper's parameters."""
        posterior = self.idata["posterior"].to_dataset()
        names = [*self.law.parameters, *self.law.derived(self.draws(self.law.parameters)), "sigma"]
        names += ["nu"] if "nu" in posterior else []
        tail = (1 - ci_prob) / 2
        ess_bulk, ess_tail, rhat = (
            az.ess(posterior[names], method="bulk"),
            az.ess(posterior[names], method="tail"),
            az.rhat(posterior[names]),
        )
        rows = {
            name: {
                "median": float(posterior[name].median()),
                "ci_low": float(posterior[name].quantile(tail)),
                "ci_high": float(posterior[name].quantile(1 - tail)),
                "ess_bulk": float(ess_bulk[name]),
                "ess_tail": float(ess_tail[name]),
                "r_hat": float(rhat[name]),
            }
            for name in names
        }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")

    def predict(self, targets=None, ci_prob=(0.5, 0.9), **covariates) -> pd.DataFrame:
        """Posterior median and central intervals of the law's mean and of a new observation.

        ``targets`` is a table or mapping with N/D/C columns (or pass them as keywords).
        """
        from workbench.predict import predict

        return predict(self, targets, ci_prob=ci_prob, **covariates)

    def compute_optimal(self, compute, ci_prob=(0.5, 0.9)) -> pd.DataFrame:
        """N_opt, D_opt, the loss there and tokens per parameter at each compute budget C."""
        from workbench.predict import compute_optimal

        return compute_optimal(self, compute, ci_prob=ci_prob)

    # -- persistence ---------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the DataTree with its provenance attributes to netCDF."""
        path = Path(path)
        self.idata.to_netcdf(path, engine="h5netcdf")
        return path

    @classmethod
    def load(cls, path, law: "str | ScalingLaw | None" = None) -> "ScalingLawFit":
        """Read a saved fit. Naming a ``law`` that differs from the saved one raises."""
        try:
            with xr.open_datatree(path, engine="h5netcdf") as stored:
                tree = stored.load()
        except (OSError, ValueError) as error:
            raise FitFileError(f"cannot read a fit from {path}: {error}") from None
        if "law" not in tree.attrs:
            raise FitFileError(f"{path} is not a Scaling Workbench fit (no 'law' attribute)")
        saved = get_law(tree.attrs["law"], **json.loads(tree.attrs["law_options"]))
        if law is not None and get_law(law) != saved:
            raise FitFileError(
                f"{path} holds a fit of {saved.label}, not of {get_law(law).label}; "
                f"load it with law={saved.name!r} or without law="
            )
        fit = cls(saved, likelihood=tree.attrs["likelihood"])
        fit.priors = priors_from_json(tree.attrs["priors"])
        fit.sampler = json.loads(tree.attrs["sampler"])
        fit.idata_ = tree
        return fit

    def __repr__(self) -> str:
        state = f"n_obs={self.idata_.attrs['n_obs']}" if hasattr(self, "idata_") else "not fitted"
        return f"ScalingLawFit({self.law.label}, likelihood={self.likelihood!r}, {state})"


def _log_density(residual: xr.DataArray, noise: Mapping[str, xr.DataArray]) -> xr.DataArray:
    """Pointwise log density of log-scale residuals."""
    if "nu" in noise:
        return xr.apply_ufunc(stats.t.logpdf, residual, noise["nu"], 0.0, noise["sigma"])
    return xr.apply_ufunc(stats.norm.logpdf, residual, 0.0, noise["sigma"])
