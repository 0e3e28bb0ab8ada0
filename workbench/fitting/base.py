"""The base of every Bayesian fit (in the spirit of pymc-marketing's ``ModelBuilder``).

A fit class says how to build and sample its model; :class:`BayesianFit` gives it the rest the
same way everywhere: the sampler options, the posterior DataTree (with a clear error before
``fit``), flattened draws, convergence diagnostics, a summary through ArviZ, and saving and
loading with provenance (the class, its configuration and a hash of it).
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import ClassVar, Self

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

import workbench
from workbench.atomic import replacing
from workbench.fitting.chains import pooled_chains, weighted_draw_index
from workbench.fitting.diagnostics import Diagnostics, diagnose, warn_if_untrustworthy
from workbench.fitting.model import merge_sampler_options
from workbench.intervals import interval_names, resolve_ci_prob
from workbench.laws.priors import as_prior, priors_to_json

DEFAULT_SAMPLER = {
    "draws": 1000,
    "tune": 1000,
    "chains": 2,
    "cores": 2,
    "adaptation": "low_rank",
    "target_accept": 0.9,
    "progress_bar": False,
}
INPUTS_GROUP = "workbench_inputs"
VERSIONED_PACKAGES = ("scaling-workbench", "pymc", "pytensor", "nutpie", "arviz", "numpy")
"""Whose versions a saved fit records, so that its card can say what reproduces it."""
"""Group of a saved file holding the validated input table a fit needs after loading (PassUntil
logs, task scores); ArviZ's groups hold only what the model saw."""


class NotFittedError(RuntimeError):
    """Results were requested from a fit that has not been fitted (or loaded)."""


class FitFileError(ValueError):
    """A fit file is unreadable, incomplete, or holds another kind of fit."""


class BayesianFit:
    """Shared lifecycle of the workbench's fits; subclasses define ``fit`` and the hooks below.

    Hooks: :meth:`config` (the constructor's arguments, JSON-ready), :meth:`diagnostic_names`,
    :meth:`summary_names`, and for fits that need their input table after loading,
    :meth:`input_table` and :meth:`restore_inputs`.
    """

    sampler_defaults: ClassVar[dict] = {}
    fit_call: ClassVar[str] = "fit(data, random_seed=...)"
    """How to fit one, for the error raised before it is fitted."""

    sampler: dict | None = None

    # -- hooks ---------------------------------------------------------------------------
    def config(self) -> dict:
        """The constructor's arguments, JSON-ready: ``type(self).from_config`` rebuilds it."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict) -> Self:
        return cls(**config)

    def diagnostic_names(self) -> list[str]:
        """Posterior variables whose R-hat and ESS decide whether the fit can be trusted."""
        raise NotImplementedError

    def summary_names(self) -> list[str]:
        """Posterior variables :meth:`summary` reports."""
        return self.diagnostic_names()

    def input_table(self) -> pd.DataFrame | None:
        """The validated input a loaded fit needs besides its posterior (``None``: nothing)."""
        return None

    def restore_inputs(self, table: pd.DataFrame) -> None:
        """Set the fitted input attributes from :meth:`input_table`'s saved table."""

    # -- configuration -------------------------------------------------------------------
    @property
    def sampler_options(self) -> dict:
        """nutpie options of a fit: the package's, the class's, then the user's."""
        return merge_sampler_options(DEFAULT_SAMPLER | self.sampler_defaults, self.sampler)

    # -- results -------------------------------------------------------------------------
    def keep_sample(
        self,
        trace,
        priors,
        options: dict,
        seed: int,
        *,
        posterior: xr.Dataset | None = None,
        groups: Mapping[str, xr.Dataset] | None = None,
        **attrs,
    ) -> Self:
        """Keep nutpie's ``trace`` as ``idata_`` and return the fit, warning if it cannot be
        trusted. ``posterior`` replaces the trace's (with coordinates or derived variables),
        ``groups`` go beside it, and ``attrs`` join what made it: version, priors, sampler, seed.
        """
        tree = xr.DataTree.from_dict(
            {
                "posterior": trace.posterior.to_dataset() if posterior is None else posterior,
                "sample_stats": trace.sample_stats.to_dataset(),
                **(groups or {}),
            }
        )
        tree.attrs = {
            "workbench_version": workbench.__version__,
            "versions": json.dumps(package_versions()),
            "model": self.name,
            "priors": priors_to_json(priors),
            "sampler": json.dumps(options, sort_keys=True),
            "random_seed": seed,
            **attrs,
        }
        self.idata_ = tree
        warn_if_untrustworthy(self.diagnostics(), self.name)
        return self

    @property
    def idata(self) -> xr.DataTree:
        if not hasattr(self, "idata_"):
            raise NotFittedError(
                f"this {type(self).__name__} has no posterior yet: call .{self.fit_call} first"
            )
        return self.idata_

    @property
    def chain_weights(self) -> np.ndarray | None:
        """Stacking weights of chains that sampled different modes
        (:mod:`workbench.fitting.chains`); None when the chains are pooled as they are."""
        weights = self.idata.attrs.get("chain_weights")
        return np.asarray(json.loads(weights)) if weights else None

    def draws(self, var_names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Posterior draws flattened over chains (draws on axis 0), by variable name; chains
        in different modes enter by their :attr:`chain_weights`."""
        posterior = self.idata["posterior"].to_dataset()
        names = list(var_names) if var_names is not None else list(posterior.data_vars)
        index = self.draw_index()
        return {
            name: posterior[name].values.reshape(-1, *posterior[name].shape[2:])[index]
            for name in names
        }

    def draw_index(self) -> np.ndarray | slice:
        """Which flattened draws :meth:`draws` returns: all, or a chain-weighted selection."""
        weights = self.chain_weights
        if weights is None:
            return slice(None)
        return weighted_draw_index(weights, self.idata["posterior"].sizes["draw"])

    def loo_tree(self) -> xr.DataTree:
        """The tree PSIS-LOO and LOO-PIT read: the fit's own, or with chains in different modes
        pooled into one chain by their :attr:`chain_weights`, each chain's draws repeated or
        thinned to its share, as in :meth:`draws`."""
        if self.chain_weights is None:
            return self.idata
        index = self.draw_index()
        groups = {}
        for name, node in self.idata.children.items():
            group = node.to_dataset()
            groups[name] = pooled_chains(group, index) if "chain" in group.dims else group
        return xr.DataTree.from_dict(groups)

    def diagnostics(self) -> Diagnostics:
        """R-hat, ESS and divergences of :meth:`diagnostic_names`, computed once per posterior."""
        tree = self.idata
        cached = getattr(self, "_diagnosed", None)
        if cached is None or cached[0] is not tree:
            posterior = tree["posterior"].to_dataset()
            diagnosed = diagnose(
                posterior, tree["sample_stats"].to_dataset(), self.diagnostic_names()
            )
            self._diagnosed = cached = (tree, diagnosed)
        return cached[1]

    def summary(self, ci_prob: float | None = None) -> pd.DataFrame:
        """Median, central ``ci_prob`` interval, bulk and tail ESS and R-hat of
        :meth:`summary_names`, by ArviZ (at the project's credible level unless ``ci_prob`` is
        given); a variable with a dimension gets a row per entry,
        named like ``alpha[c4]``."""
        return posterior_summary(
            self.idata["posterior"].to_dataset(), self.summary_names(), ci_prob, self.draw_index()
        )

    # -- persistence ---------------------------------------------------------------------
    def provenance(self) -> dict:
        """Attributes every saved fit carries: what made it, with which configuration."""
        config = json.dumps(self.config(), sort_keys=True)
        return {
            "fit_class": type(self).__name__,
            "config": config,
            "config_hash": hashlib.sha256(config.encode()).hexdigest()[:16],
            "workbench_version": workbench.__version__,
            "versions": json.dumps(package_versions()),
            "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def saved_tree(self) -> xr.DataTree:
        """The DataTree a file holds: the fit's groups, its input table and its provenance."""
        groups = {name: self.idata[name].to_dataset() for name in self.idata.children}
        table = self.input_table()
        if table is not None:
            groups[INPUTS_GROUP] = xr.Dataset.from_dataframe(table.reset_index(drop=True))
        tree = xr.DataTree.from_dict(groups)
        tree.attrs = dict(self.idata.attrs) | self.provenance()
        return tree

    def save(self, path) -> Path:
        """Write the fit to netCDF, whole or not at all."""
        path = Path(path)
        with replacing(path) as partial:
            # The netCDF C library writes a fit's many small variables 5-6x faster than
            # h5netcdf; the file reads back identically either way.
            self.saved_tree().to_netcdf(partial, engine="netcdf4")
        return path

    @classmethod
    def load(cls, path) -> Self:
        """Read a fit that :meth:`save` wrote; a file of another kind of fit is refused."""
        return cls.from_tree(cls.read_tree(path), source=path)

    @classmethod
    def saved_config(cls, tree: xr.DataTree, source) -> dict:
        """The configuration a saved tree records, once it is known to hold this class's fit."""
        kind = tree.attrs.get("fit_class")
        if kind is None:
            raise FitFileError(f"{source} is not a saved Scaling Workbench fit")
        if kind != cls.__name__:
            raise FitFileError(f"{source} holds a {kind}, not a {cls.__name__}")
        return json.loads(tree.attrs["config"])

    @staticmethod
    def read_tree(path) -> xr.DataTree:
        """The DataTree of a saved fit file, read into memory."""
        try:
            with xr.open_datatree(path, engine="h5netcdf") as stored:
                return stored.load()
        except (OSError, ValueError) as error:
            raise FitFileError(f"cannot read a fit from {path}: {error}") from None

    @classmethod
    def from_tree(cls, tree: xr.DataTree, source="this tree") -> Self:
        fit = cls.from_config(cls.saved_config(tree, source))
        if INPUTS_GROUP in tree.children:
            fit.restore_inputs(
                tree[INPUTS_GROUP].to_dataset().to_dataframe().reset_index(drop=True)
            )
            tree = tree.copy()
            del tree[INPUTS_GROUP]
        fit.idata_ = tree
        return fit


def package_versions() -> dict[str, str]:
    """The installed version of each of :data:`VERSIONED_PACKAGES`."""
    versions = {}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def priors_config(priors) -> dict | None:
    """A user's prior overrides (``Prior`` objects or dicts), JSON-ready."""
    return (
        None
        if priors is None
        else {name: as_prior(spec).to_dict() for name, spec in priors.items()}
    )


def posterior_summary(
    posterior: xr.Dataset,
    names: Sequence[str],
    ci_prob: float | None = None,
    draw_index: np.ndarray | slice = slice(None),
) -> pd.DataFrame:
    """ArviZ's median, equal-tailed ``ci_prob`` interval, ESS and R-hat, in the workbench's
    columns: ``median``, ``ci_low_90``, ``ci_high_90`` (at 90 %), ``ess_bulk``, ``ess_tail``,
    ``r_hat``. The median and interval are of the flattened draws at ``draw_index``; ESS and
    R-hat of the chains as sampled."""
    ci_prob = resolve_ci_prob(ci_prob)
    names = list(names)
    stats = az.summary(
        pooled_chains(posterior[names], draw_index),
        kind="stats_median",
        ci_prob=ci_prob,
        ci_kind="eti",
        round_to="none",
    )
    diagnostics = az.summary(posterior[names], kind="diagnostics", round_to="none")
    # ArviZ names the bounds after the level (eti90_lb); they follow the median and MAD.
    low, high = stats.columns[2:4]
    columns = dict(zip((low, high), interval_names(ci_prob), strict=True))
    table = stats[["median", low, high]].rename(columns=columns)
    table = table.join(diagnostics[["ess_bulk", "ess_tail", "r_hat"]]).astype(float)
    return table.rename_axis("parameter")
