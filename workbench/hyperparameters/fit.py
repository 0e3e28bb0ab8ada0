"""Scikit-learn-style fits of hyperparameter sweeps, returning ArviZ DataTrees.

:class:`StepLawFit` locates the optimal learning rate and batch size of every (N, D) setting and
fits Li et al.'s laws to them in one model; :class:`LearningRateBatchRule` locates the optimal
learning rate at each batch size and fits η* ∝ B^p with p free.
"""

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

import workbench
from workbench.fitting import BayesianFit
from workbench.fitting.base import priors_config
from workbench.fitting.diagnostics import warn_if_untrustworthy
from workbench.fitting.model import sample, sampler_seed
from workbench.hyperparameters.model import OptimaModel, bowl
from workbench.hyperparameters.sweeps import (
    DEFAULT_WINDOW,
    SweepError,
    Sweeps,
    group_values,
    prepare_sweeps,
    read_sweeps,
)
from workbench.intervals import interval_levels, interval_names, resolve_ci_prob, summary_table
from workbench.laws import Prior, ScalingLaw, get_law
from workbench.laws.priors import merge_priors, priors_to_json
from workbench.runs import RunTable, parse_quantity

LAW = "optimal_hyperparameters"


class OptimaFit(BayesianFit):
    """Shared machinery: sweeps → per-setting optima → laws, in one PyMC model sampled by nutpie.

    Subclasses set ``axis_laws`` (the law of each bowl axis), ``axis_columns`` (the swept column
    of each axis) and ``keys`` (the columns that define a setting).
    """

    quantities: ClassVar[dict[str, str]] = {"lr": "learning_rate", "batch": "batch_size"}
    """Names of the predicted quantities by bowl axis (batch sizes in the batch column's unit)."""
    roles: ClassVar[dict[str, str]] = {"lr": "learning rate", "batch": "batch size"}
    """Words for each axis's swept column in messages."""
    min_runs_default: ClassVar[int] = 8
    centred: ClassVar[bool] = True
    prior_defaults: ClassVar[dict[str, Prior]] = {}
    """The class's own defaults over the model's."""
    sampler_defaults: ClassVar[dict] = {"target_accept": 0.95}
    fit_call = "fit(sweeps, random_seed=...)"

    def __init__(
        self,
        learning_rate: str = "lr",
        batch_size: str = "B",
        target: str | None = None,
        *,
        window: float = DEFAULT_WINDOW,
        min_runs: int | None = None,
        priors: Mapping | None = None,
        sampler: Mapping | None = None,
    ):
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.target = target
        self.window = window
        self.min_runs = min_runs
        self.priors = priors
        self.sampler = sampler

    # -- configuration (subclasses) ------------------------------------------------------
    @property
    def axis_laws(self) -> dict[str, ScalingLaw]:
        raise NotImplementedError

    @property
    def axis_columns(self) -> dict[str, str]:
        raise NotImplementedError

    def keys(self, runs: RunTable) -> tuple[str, ...]:
        raise NotImplementedError

    def covariate_column(self, name: str) -> str:
        """The run-table column a law covariate is read from: ``B`` is the batch-size column."""
        return self.batch_size if name == "B" else name

    def config(self) -> dict:
        return {
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "target": self.target,
            "window": self.window,
            "min_runs": self.min_runs,
            "priors": priors_config(self.priors),
            "sampler": self.sampler,
        }

    @property
    def label(self) -> str:
        laws = ", ".join(f"{axis}: {law.label}" for axis, law in self.axis_laws.items())
        return f"{type(self).__name__}({laws})"

    def priors_for(self, n_groups: int) -> dict[str, Prior]:
        """Default priors with the user's overrides applied."""
        defaults = OptimaModel(self.axis_laws, n_groups, self.centred).default_priors()
        return merge_priors(defaults | self.prior_defaults, self.priors, self.label)

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self,
        sweeps,
        random_seed: int | None = None,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> "OptimaFit":
        """Sample the joint posterior with nutpie NUTS; sets ``idata_`` and returns ``self``.

        Parameters
        ----------
        sweeps : RunTable, DataFrame or path
            One row per run, with the setting keys, the swept columns and the loss.
        random_seed : int, optional
            Seed of the sampler.
        progress, cancel
            As in :meth:`workbench.fitting.ScalingLawFit.fit`.
        """
        runs = read_sweeps(sweeps, self.target)
        located = prepare_sweeps(
            runs,
            columns=list(self.axis_columns.values()),
            keys=self.keys(runs),
            window=self.window,
            min_runs=self.min_runs or self.min_runs_default,
            roles={self.axis_columns[axis]: self.roles[axis] for axis in self.axis_columns},
        )
        needed = {name for law in self.axis_laws.values() for name in law.covariates}
        by_column = group_values(runs, located, sorted({self.covariate_column(n) for n in needed}))
        covariates = {name: by_column[self.covariate_column(name)] for name in needed}
        model = OptimaModel(self.axis_laws, len(located.groups), self.centred)
        priors, options = self.priors_for(model.n_groups), self.sampler_options
        data, centres = self._data(located, covariates)
        compiled = model.compiled(data, priors)
        seed = sampler_seed(random_seed)
        trace = sample(compiled, seed, options, progress=progress, cancel=cancel)
        self.sweeps_ = located
        self.idata_ = self._tree(trace, located, covariates, data, centres, priors, options, seed)
        warn_if_untrustworthy(self.diagnostics(), self.label)
        return self

    def _data(self, sweeps: Sweeps, covariates: Mapping[str, np.ndarray]):
        runs, groups = sweeps.runs, sweeps.groups
        group = runs["group"].to_numpy()
        data = {
            "run_group": group,
            "run_log_loss": np.log(runs[sweeps.target].to_numpy())
            - np.log(groups["best_loss"].to_numpy())[group],
        }
        centres = {}
        for axis, law in self.axis_laws.items():
            column = self.axis_columns[axis]
            best = np.log(groups[f"best_{column}"].to_numpy())
            logs = {name: np.log(covariates[name]) for name in law.covariates}
            centres[axis] = {name: float(np.mean(value)) for name, value in logs.items()}
            centres[axis]["y"] = float(np.mean(best))
            data[f"{axis}_run"] = np.log(runs[column].to_numpy()) - best[group]
            data[f"{axis}_best"] = best
            data[f"{axis}_centre"] = np.asarray(centres[axis]["y"])
            for name, value in logs.items():
                data[f"{axis}_x_{name}"] = value - centres[axis][name]
        return data, centres

    def _tree(self, trace, sweeps, covariates, data, centres, priors, options, seed):
        posterior = trace.posterior.to_dataset()
        groups = sweeps.groups
        best_loss = xr.DataArray(groups["best_loss"].to_numpy(), dims="group")
        derived = {"loss_opt": best_loss * np.exp(posterior["loss_offset"])}
        for axis, law in self.axis_laws.items():
            theta = {name: posterior[f"{axis}_{name}"] for name in law.sampler_parameters}
            paper = law.to_paper(theta, centres[axis])
            derived |= {f"{axis}_{name}": value for name, value in paper.items()}
            if f"log_{axis}_opt" in posterior:
                log_optimum = posterior[f"log_{axis}_opt"]
            else:
                log_optimum = self._log_law(axis, theta, covariates, centres[axis], "group") + (
                    posterior[f"{axis}_scatter"] * posterior[f"{axis}_z"]
                )
                derived[f"log_{axis}_opt"] = log_optimum
            derived[f"{axis}_log_curvature_group"] = posterior[f"{axis}_log_curvature"] + (
                posterior[f"{axis}_curvature_spread"] * posterior[f"{axis}_curvature_z"]
            )
            derived[f"{axis}_opt"] = np.exp(log_optimum)
        posterior = posterior.assign(
            {name: value.transpose("chain", "draw", ...) for name, value in derived.items()}
        )
        observation = {"obs": np.arange(len(sweeps.runs))}
        group_coords = {"group": np.arange(len(groups))}
        constant = {"group_of_run": ("obs", data["run_group"])}
        constant |= {column: ("obs", sweeps.runs[column].to_numpy()) for column in sweeps.columns}
        constant |= {
            f"setting_{name}": ("group", groups[name].to_numpy())
            for name in groups.columns
            if name not in sweeps.columns
        }
        constant |= {f"covariate_{name}": ("group", value) for name, value in covariates.items()}
        tree = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": trace.sample_stats.to_dataset(),
                "log_likelihood": xr.Dataset(
                    {sweeps.target: self._pointwise_log_likelihood(posterior, data)},
                    coords=observation,
                ),
                "observed_data": xr.Dataset(
                    {sweeps.target: ("obs", sweeps.runs[sweeps.target].to_numpy())},
                    coords=observation,
                ),
                "constant_data": xr.Dataset(constant, coords=observation | group_coords),
            }
        )
        tree.attrs = {
            "workbench_version": workbench.__version__,
            "model": type(self).__name__,
            "laws": json.dumps({axis: law.options for axis, law in self.axis_laws.items()}),
            "columns": json.dumps(self.axis_columns),
            "keys": json.dumps(list(sweeps.keys)),
            "window": self.window,
            "priors": priors_to_json(priors),
            "centres": json.dumps(centres, sort_keys=True),
            "target": sweeps.target,
            "data_hash": sweeps.data_hash,
            "n_obs": len(sweeps.runs),
            "n_groups": len(groups),
            "sampler": json.dumps(options, sort_keys=True),
            "random_seed": seed,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return tree

    def _log_law(self, axis, theta, covariates, centres, dim):
        law = self.axis_laws[axis]
        x = {
            name: xr.DataArray(np.log(covariates[name]) - centres[name], dims=dim)
            for name in law.covariates
        }
        return law.log_mean(x, theta, centres)

    def _pointwise_log_likelihood(self, posterior: xr.Dataset, data) -> xr.DataArray:
        """log p(log loss_r | draw), on the (chain, draw, obs) grid, for LOO and WAIC."""
        group = data["run_group"]
        deltas, log_curvatures = [], []
        for axis in self.axis_laws:
            log_optimum = posterior[f"log_{axis}_opt"].values[..., group]
            best = data[f"{axis}_best"][group]
            deltas.append(data[f"{axis}_run"] + best - log_optimum)
            log_curvatures.append(posterior[f"{axis}_log_curvature_group"].values[..., group])
        cross = posterior["cross_curvature"].values[..., group] if len(deltas) == 2 else None
        mu = posterior["loss_offset"].values[..., group] + bowl(deltas, log_curvatures, cross)
        density = stats.t.logpdf(
            data["run_log_loss"],
            posterior["nu"].values[..., None],
            mu,
            posterior["sigma"].values[..., None],
        )
        return xr.DataArray(density, dims=("chain", "draw", "obs"))

    # -- results -------------------------------------------------------------------------
    @property
    def parameter_names(self) -> list[str]:
        """The laws' parameters in the paper's convention, then their scatter."""
        names = []
        for axis, law in self.axis_laws.items():
            names += [f"{axis}_{name}" for name in law.parameters] + [f"{axis}_scatter"]
        return names

    def diagnostic_names(self) -> list[str]:
        return [
            *self.parameter_names,
            "sigma",
            "nu",
            *(f"log_{axis}_opt" for axis in self.axis_laws),
        ]

    def summary_names(self) -> list[str]:
        return [*self.parameter_names, "sigma", "nu"]

    def optima(self, ci_prob: float | None = None) -> pd.DataFrame:
        """Each setting's located optimum: posterior median and central ``ci_prob`` interval.

        Columns: the setting's keys, ``n_runs``, ``n_selected``, ``window``, the lowest observed
        loss and its swept values (``best_*``), then for each quantity (``learning_rate``,
        ``batch_size``) and for ``loss_opt`` (the loss at the optimum): the median and
        ``<name>_ci_low_90`` / ``<name>_ci_high_90`` (at the level ``ci_prob``, the project's
        credible level by default).
        """
        groups = self.sweeps_.groups if hasattr(self, "sweeps_") else self._groups_from_tree()
        table = groups.copy()
        draws = self.draws()
        ci_prob = resolve_ci_prob(ci_prob)
        tail = (1 - ci_prob) / 2
        names = {f"{axis}_opt": self.quantities[axis] for axis in self.axis_laws} | {
            "loss_opt": "loss_opt"
        }
        for variable, name in names.items():
            values = draws[variable]
            table[name] = np.median(values, axis=0)
            low, high = interval_names(ci_prob, name)
            table[low] = np.quantile(values, tail, axis=0)
            table[high] = np.quantile(values, 1 - tail, axis=0)
        return table

    def _groups_from_tree(self) -> pd.DataFrame:
        constant = self.idata["constant_data"].to_dataset()
        prefix = "setting_"
        return pd.DataFrame(
            {
                name[len(prefix) :]: constant[name].values
                for name in constant.data_vars
                if name.startswith(prefix)
            }
        )

    def predict(
        self,
        targets=None,
        *,
        ci_prob: float | None = None,
        inner_prob: float | None = None,
        seq_len: float | None = None,
        random_seed: int | None = None,
        **covariates,
    ) -> pd.DataFrame:
        """Posterior median and central intervals of the optima at new settings.

        Parameters
        ----------
        targets : mapping or DataFrame, optional
            Covariate arrays (``N``, ``D``, ``B``, ...); or pass them as keywords. Strings such
            as ``"7B"`` are read as quantities. Each quantity whose law's covariates are all given
            is predicted.
        ci_prob : float, optional
            Probability of the central interval; the project's credible level by default.
        inner_prob : float, optional
            Probability of a second, inner interval.
        seq_len : float, optional
            Tokens per sequence; adds ``batch_sequences`` rows, the batch size in sequences.
        random_seed : int, optional
            Seed of the scatter draws of ``kind="setting"``; by default the fit's seed.

        Returns
        -------
        DataFrame
            One row per target, quantity and kind: ``kind="mean"`` is the law (the paper's
            prediction); ``kind="setting"`` adds the scatter of true optima around it, so it is
            where a new setting's optimum should fall.
        """
        levels = interval_levels(ci_prob, inner_prob)
        values = _covariate_arrays(targets, covariates)
        seed = self.idata.attrs["random_seed"] if random_seed is None else random_seed
        rng = np.random.default_rng(seed)
        draws, frames = self.draws(), []
        for axis, law in self.axis_laws.items():
            if not set(law.covariates) <= set(values):
                continue
            log_mean = self.log_law_draws(axis, values)
            scatter = draws[f"{axis}_scatter"][:, None] * rng.standard_normal(log_mean.shape)
            kinds = {"mean": np.exp(log_mean), "setting": np.exp(log_mean + scatter)}
            frames.append(
                summary_table(values, "kind", kinds, levels).assign(quantity=self.quantities[axis])
            )
            if axis == "batch" and seq_len is not None:
                sequences = {kind: value / seq_len for kind, value in kinds.items()}
                frames.append(
                    summary_table(values, "kind", sequences, levels).assign(
                        quantity="batch_sequences"
                    )
                )
        if not frames:
            needed = {self.quantities[axis]: law.covariates for axis, law in self.axis_laws.items()}
            raise ValueError(
                f"no quantity can be predicted from {sorted(values)}; covariates needed: {needed}"
            )
        table = pd.concat(frames, ignore_index=True)
        first = [*values, "quantity", "kind"]
        return table[first + [column for column in table.columns if column not in first]]

    def report(
        self, ci_prob: float | None = None, targets=None, seq_len: float | None = None
    ) -> dict:
        """What the fit says, JSON-ready: its data, the parameters' summary, the diagnostics
        and, at ``targets`` (covariate arrays), where a new setting's optima should fall."""
        ci_prob = resolve_ci_prob(ci_prob)
        attrs = self.idata.attrs
        report = {
            "model": type(self).__name__,
            "n_runs": int(attrs["n_obs"]),
            "n_settings": int(attrs["n_groups"]),
            "ci_prob": ci_prob,
            "parameters": self.summary(ci_prob).to_dict(orient="index"),
            "diagnostics": self.diagnostics().to_dict(),
            "predictions": [],
        }
        if targets is not None:
            table = self.predict(targets, ci_prob=ci_prob, seq_len=seq_len)
            report["predictions"] = [
                {name: float(row[name]) for name in targets}
                | {
                    "quantity": row["quantity"],
                    "median": float(row["median"]),
                }
                | {name: float(row[name]) for name in interval_names(ci_prob)}
                for _, row in table[table["kind"] == "setting"].iterrows()
            ]
        return report

    def log_law_draws(self, axis: str, covariates: Mapping[str, np.ndarray]) -> np.ndarray:
        """Log of an axis's law at the covariates, per posterior draw: (draws, targets)."""
        law = self.axis_laws[axis]
        centres = json.loads(self.idata.attrs["centres"])[axis]
        draws = self.draws([f"{axis}_{name}" for name in law.sampler_parameters])
        theta = {name: draws[f"{axis}_{name}"][:, None] for name in law.sampler_parameters}
        x = {
            name: np.log(np.asarray(covariates[name], dtype=float))[None, :] - centres[name]
            for name in law.covariates
        }
        return law.log_mean(x, theta, centres)

    def __repr__(self) -> str:
        state = (
            f"n_obs={self.idata_.attrs['n_obs']}, n_groups={self.idata_.attrs['n_groups']}"
            if hasattr(self, "idata_")
            else "not fitted"
        )
        return f"{self.label[:-1]}, {state})"


class StepLawFit(OptimaFit):
    r"""Optimal learning rate and batch size from (N, D, lr, B, loss) sweeps, with uncertainty.

    Each (N, D) setting's optimum (η*, B*) is the minimum of a convex quadratic bowl in
    (log η, log B) fitted to its runs within ``window`` of its lowest loss. The optima are
    parameters of one PyMC model in which they follow Li et al.'s laws up to a scatter:

    .. math::

        \eta_\text{opt} = A_\eta N^{b_N} D^{b_D}, \qquad B_\text{opt} = A_B D^{b_D}

    so the uncertainty of each optimum reaches the exponents and the predictions.

    Parameters
    ----------
    learning_rate, batch_size : str
        Columns of the swept peak learning rate and batch size. The batch size is in tokens in the
        paper's laws; convert sequences first (× sequence length).
    target : str, optional
        The loss column; by default the run table's target (``loss`` for a DataFrame). Li et al.
        use a smoothed final training loss.
    lr_covariates, batch_covariates : tuple of str
        Covariates of the two laws; ``("N", "D")`` and ``("D",)`` as in the paper.
    window : float
        Runs within this fraction of their setting's lowest loss locate its optimum.
    min_runs : int, optional
        Fewest runs per setting; the window widens where fewer fall inside it (default 8).
    priors : mapping, optional
        Overrides by name, e.g. ``{"lr_b_N": Prior("Normal", mu=-0.7, sigma=0.3)}``; see
        :meth:`priors_for`.
    sampler : mapping, optional
        nutpie options, as for :class:`workbench.fitting.ScalingLawFit`.

    References
    ----------
    Li, H., Zheng, W., Hu, J., et al. (2025), "Predictable Scale: Part I — Optimal
    Hyperparameter Scaling Law in Large Language Model Pretraining", arXiv:2503.04715.

    Examples
    --------
    >>> fit = StepLawFit().fit(steplaw(), random_seed=0)  # doctest: +SKIP
    >>> fit.predict(N=7e9, D=1.4e12, seq_len=2048)  # doctest: +SKIP
    """

    # On Step Law's 17 settings, seeds 0-14: at 0.95 two fits diverged (35 and 3 transitions,
    # one chain stuck), at 0.98 none did, for about 20 % more time.
    sampler_defaults: ClassVar[dict] = {"target_accept": 0.98}

    def __init__(
        self,
        learning_rate: str = "lr",
        batch_size: str = "B",
        target: str | None = None,
        *,
        lr_covariates: Sequence[str] = ("N", "D"),
        batch_covariates: Sequence[str] = ("D",),
        window: float = DEFAULT_WINDOW,
        min_runs: int | None = None,
        priors: Mapping | None = None,
        sampler: Mapping | None = None,
    ):
        super().__init__(
            learning_rate,
            batch_size,
            target,
            window=window,
            min_runs=min_runs,
            priors=priors,
            sampler=sampler,
        )
        self.lr_covariates = tuple(lr_covariates)
        self.batch_covariates = tuple(batch_covariates)

    def config(self) -> dict:
        return super().config() | {
            "lr_covariates": list(self.lr_covariates),
            "batch_covariates": list(self.batch_covariates),
        }

    @property
    def axis_laws(self):
        return {
            "lr": get_law(LAW, covariates=self.lr_covariates),
            "batch": get_law(LAW, covariates=self.batch_covariates),
        }

    @property
    def axis_columns(self):
        return {"lr": self.learning_rate, "batch": self.batch_size}

    def keys(self, runs):
        return ("N", "D")


class LearningRateBatchRule(OptimaFit):
    r"""How the optimal learning rate scales with batch size, η*(B) = A·B^p, with p free.

    At each batch size of a setting, the optimal learning rate is the minimum of a quadratic in
    log η fitted to the runs within ``window`` of that batch size's lowest loss; the optima follow
    the power law up to a scatter, all in one PyMC model. SGD's linear scaling rule is p = 1;
    Adam's square-root rule is p = 0.5.

    Parameters
    ----------
    learning_rate, batch_size, target, window, priors, sampler
        As for :class:`StepLawFit`.
    covariates : tuple of str
        Covariates of the law; ``("B",)`` for one (N, D) setting, ``("N", "D", "B")`` to pool
        several settings with a shared exponent.
    min_runs : int, optional
        Fewest runs per batch size (default 5).
    """

    min_runs_default = 5
    # Optima of one setting's batch sizes can sit almost exactly on the power law, where the
    # centred form has a funnel.
    centred = False
    # One setting's few batch sizes say little about the scatter and the spread of curvatures,
    # which mix slowly; the one-axis model is cheap, so draw longer.
    sampler_defaults: ClassVar[dict] = {"target_accept": 0.95, "tune": 1500, "draws": 2000}

    def __init__(
        self,
        learning_rate: str = "lr",
        batch_size: str = "B",
        target: str | None = None,
        *,
        covariates: Sequence[str] = ("B",),
        window: float = DEFAULT_WINDOW,
        min_runs: int | None = None,
        priors: Mapping | None = None,
        sampler: Mapping | None = None,
    ):
        super().__init__(
            learning_rate,
            batch_size,
            target,
            window=window,
            min_runs=min_runs,
            priors=priors,
            sampler=sampler,
        )
        self.covariates = tuple(covariates)

    def config(self) -> dict:
        return super().config() | {"covariates": list(self.covariates)}

    @property
    def axis_laws(self):
        return {"lr": get_law(LAW, covariates=self.covariates)}

    @property
    def axis_columns(self):
        return {"lr": self.learning_rate}

    def keys(self, runs):
        settings = [name for name in ("N", "D") if runs.has(name)]
        distinct = len(runs.data[settings].drop_duplicates()) if settings else 1
        if distinct > 1 and not set(settings) <= set(self.covariates):
            raise SweepError(
                f"the sweeps hold {distinct} ({', '.join(settings)}) settings, but a rule in "
                f"{self.covariates} assumes one: select one setting, or pass "
                f"covariates=({', '.join(repr(name) for name in (*settings, 'B'))})"
            )
        return (*settings, self.batch_size)

    @property
    def exponent_(self) -> np.ndarray:
        """Posterior draws of p, the exponent of the batch size."""
        return self.draws(["lr_b_B"])["lr_b_B"]


def lr_batch_rule(sweeps, random_seed: int | None = None, **options) -> LearningRateBatchRule:
    """Fit η* ∝ B^p with p free; ``options`` go to :class:`LearningRateBatchRule`."""
    return LearningRateBatchRule(**options).fit(sweeps, random_seed=random_seed)


def _covariate_arrays(targets, keywords: Mapping) -> dict[str, np.ndarray]:
    if targets is None:
        given = {}
    elif isinstance(targets, pd.DataFrame):
        given = {column: targets[column].to_numpy() for column in targets.columns}
    elif isinstance(targets, Mapping):
        given = dict(targets)
    else:
        raise TypeError(f"targets must be a mapping or a DataFrame, not {type(targets).__name__}")
    given |= keywords
    values = {
        name: np.atleast_1d(np.asarray([parse_quantity(v) for v in np.ravel(value)], dtype=float))
        for name, value in given.items()
    }
    if not values:
        raise ValueError("give the covariates to predict at, e.g. predict(N=7e9, D=1.4e12)")
    try:
        shape = np.broadcast_shapes(*(value.shape for value in values.values()))
    except ValueError:
        sizes = {name: value.size for name, value in values.items()}
        raise ValueError(f"covariate arrays differ in length: {sizes}") from None
    for name, value in values.items():
        if not np.all(np.isfinite(value) & (value > 0)):
            raise ValueError(f"covariate {name} must be positive and finite, got {value}")
    return {name: np.broadcast_to(value, shape) for name, value in values.items()}
