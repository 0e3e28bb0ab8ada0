"""``ScalingLawFit``: a scikit-learn-style Bayesian fit of one law, returning an ArviZ DataTree."""

import json
import threading
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import logsumexp, poch

import workbench
from workbench.fitting.base import (
    BayesianFit,
    FitFileError,
    priors_config,
)
from workbench.fitting.chains import MIN_CHAIN_DRAWS, chain_stacking_weights, modes_message
from workbench.fitting.data_checks import DataShapeWarning, shape_problems
from workbench.fitting.diagnostics import (
    PACKAGE_FILES,
    RHAT_UNUSABLE,
    FitWarning,
    warn_if_untrustworthy,
)
from workbench.fitting.model import (
    FitCancelled,  # noqa: F401 - re-exported
    check_likelihood,
    compiled_model,
    data_log_mean,
    default_priors,
    design_columns,
    draw_log_noise,
    model_data,
    sample,
    sampler_seed,
)
from workbench.fitting.structure import (
    Structure,
    design_points,
    observation_runs,
    pooled_value,
    run_offset_posterior,
    run_totals,
    select_checkpoints,
)
from workbench.intervals import interval_names, resolve_ci_prob
from workbench.laws import Prior, ScalingLaw, get_law
from workbench.laws.base import centred_logs
from workbench.laws.formula import FormulaLaw
from workbench.laws.priors import is_positive, merge_priors, priors_from_json, priors_to_json
from workbench.runs import RunTable, RunTableError, read_runs

POINTWISE_BLOCK_VALUES = 2**20
"""Values per block of draws when computing the pointwise groups. The allocator reuses
temporaries of 8 MB; blocks ten times larger are fresh memory each time, and take the pointwise
groups of 100,000 checkpoints from 13-15 to 19-25 CPU s."""


SAVED_GROUPS = ("posterior", "sample_stats", "observed_data", "constant_data")
"""The groups of a saved fit; a file without one of them is refused by name."""
POINTWISE_GROUPS = ("posterior_predictive", "log_likelihood")
"""One value per draw and observation: 3 GB for 100,000 checkpoints. A saved fit leaves them
out, and loading recomputes them from the posterior, the data and the fit's seed, bit for bit."""
FIT_GROUPS = (*SAVED_GROUPS, *POINTWISE_GROUPS)
"""The groups of a fit with its pointwise groups, in memory or loaded."""


class ScalingLawFit(BayesianFit):
    """Bayesian fit of one scaling-law family to a run table.

    Parameters
    ----------
    law : str or ScalingLaw
        A registered family name (see ``workbench.laws.LAWS``) or a configured family.
    priors : mapping, optional
        Overrides of the default priors, by sampler-parameter name (``Prior`` or dict).
    likelihood : {"student_t", "normal"}, optional
        Noise model of the log target. Student-t (the default) is robust to outliers, in the
        spirit of the Huber loss of Hoffmann et al. Fits with a run effect are Gaussian, because
        the run offsets are integrated out in closed form.
    sampler : mapping, optional
        nutpie options: ``draws``, ``tune``, ``chains``, ``cores``, ``adaptation``,
        ``progress_bar``.
    """

    def __init__(self, law, priors=None, likelihood=None, sampler=None):
        self.law: ScalingLaw = get_law(law)
        self.priors = priors
        self.likelihood = likelihood
        self.sampler = sampler

    @classmethod
    def from_formula(cls, formula: str, covariates=(), **options) -> "ScalingLawFit":
        """A fit of a law written as a formula, e.g. ``"E + A*N**-alpha + B*D**-beta"``.

        N, D and C are covariates, and so are the run-table columns named in ``covariates``;
        every other name is a parameter. ``options`` are the constructor's (``priors``,
        ``likelihood``, ``sampler``). See :mod:`workbench.laws.formula` for the grammar and
        the default priors.
        """
        return cls(FormulaLaw(formula, covariates=covariates), **options)

    # -- configuration -------------------------------------------------------------------
    def likelihood_for(self, structure: Structure) -> str:
        if not structure.run_effect:
            return self.likelihood or "student_t"
        if self.likelihood not in (None, "normal"):
            raise ValueError(
                f"a fit with a run effect uses a normal likelihood (the run offsets are "
                f"integrated out in closed form), not {self.likelihood!r}; drop likelihood= or "
                "pass run_effect=False"
            )
        return "normal"

    def priors_for(self, structure: Structure) -> dict[str, Prior]:
        """Default priors of this law and structure, with the user's overrides applied."""
        likelihood = self.likelihood_for(structure)
        owner = f"{self.law.label} with {likelihood} likelihood"
        return merge_priors(default_priors(self.law, likelihood, structure), self.priors, owner)

    @property
    def effective_priors(self) -> dict[str, Prior]:
        """Priors of the fitted model, or of a plain fit (no run effect, no groups) before it."""
        return self.priors_for(self.structure_ if hasattr(self, "idata_") else Structure())

    fit_call = "fit(runs) or ScalingLawFit.load(path)"

    def config(self) -> dict:
        return {
            "law": self.law.name,
            "law_options": self.law.options,
            "priors": priors_config(self.priors),
            "likelihood": self.likelihood,
            "sampler": self.sampler,
        }

    @classmethod
    def from_config(cls, config: dict) -> "ScalingLawFit":
        config = dict(config)
        law = get_law(config.pop("law"), **config.pop("law_options"))
        return cls(law, **config)

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self,
        runs,
        random_seed: int | None = None,
        *,
        checkpoints: bool = False,
        run_effect: bool = True,
        min_fraction: float | None = None,
        min_tokens: float | None = None,
        groups: str | None = None,
        pointwise: bool = True,
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
        checkpoints : bool
            False fits the final checkpoint of each run. True fits every checkpoint; with
            ``run_effect`` the checkpoints of one run share a Normal(0, ``run_sd``) offset on the
            log target, so they are not counted as independent evidence.
        run_effect : bool
            Whether checkpoint fits model the run-level offset. Without it every checkpoint is an
            independent observation, which makes intervals too narrow.
        min_fraction, min_tokens : float, optional
            Drop checkpoints before this fraction of their run's tokens, or with fewer tokens.
        groups : str, optional
            A column (data set, architecture, ...) whose groups get their own parameters,
            partially pooled towards a population value.
        pointwise : bool
            False leaves out the posterior predictive and log-likelihood groups, one value per
            draw and observation, for a fit that only predicts or is saved (loading recomputes
            them): on a large checkpoint table they are most of a fit's memory and time.
        progress : callable, optional
            Called from the sampler's thread with the finished fraction (0 to 1) of all draws.
        cancel : threading.Event, optional
            Setting it stops sampling; ``fit`` then raises ``FitCancelled``.
        """
        runs = select_checkpoints(
            read_runs(runs), checkpoints, min_fraction=min_fraction, min_tokens=min_tokens
        )
        structure = Structure.of(runs, run_effect=checkpoints and run_effect, groups=groups)
        likelihood = self.likelihood_for(structure)
        check_likelihood(likelihood)
        n_params = len(self.law.parameters) * max(1, len(structure.groups) // 2)
        if runs.target in self.law.covariates:
            raise RunTableError(
                f"{self.law.label} predicts the target from {runs.target!r}, so {runs.target!r} "
                "cannot also be the target",
                column=runs.target,
                fix="choose another target column, e.g. from_frame(frame, target='err_avg17')",
            )
        runs.require(self.law.covariates, n_params=n_params, log_target=True)
        data_problems = shape_problems(self.law, runs)
        for problem in data_problems:
            warnings.warn(f"{self.law.label}: {problem}", DataShapeWarning, stacklevel=2)
        priors, options = self.priors_for(structure), self.sampler_options
        x = {name: runs.column(name) for name in self.law.covariates}
        centres = self.law.centres(x, runs.y)
        data = model_data(self.law, x, runs.y, centres, structure, runs)
        compiled = compiled_model(self.law, priors, likelihood, data, structure)
        seed = sampler_seed(random_seed)
        trace = sample(compiled, seed, options, progress=progress, cancel=cancel)
        self.idata_ = self._build_tree(
            trace, runs, data, centres, priors, options, seed, structure, likelihood, pointwise
        )
        self.idata_.attrs["data_problems"] = json.dumps(data_problems)
        diagnostics = self.diagnostics()
        if diagnostics.rhat_max > RHAT_UNUSABLE and diagnostics.draws >= MIN_CHAIN_DRAWS:
            self._weigh_chains(runs, data, centres, structure, seed)
        warn_if_untrustworthy(diagnostics, self.law.label)
        if self.chain_weights is not None:
            warnings.warn(
                f"{self.law.label}: {modes_message(self.chain_weights)}",
                FitWarning,
                skip_file_prefixes=PACKAGE_FILES,
            )
        return self

    def _weigh_chains(self, runs, data, centres, structure, seed) -> None:
        """Chains this far apart sampled different modes: weigh them by stacking
        (:mod:`workbench.fitting.chains`) instead of by how many started in each."""
        posterior = self.idata["posterior"].to_dataset()
        if "log_likelihood" in self.idata.children:
            log_likelihood = self.idata["log_likelihood"].to_dataset()
        else:
            groups = self._pointwise_groups(runs, posterior, data, centres, structure, seed)
            log_likelihood = groups["log_likelihood"]
        weights = chain_stacking_weights(posterior, log_likelihood)
        if weights is not None:
            self.idata_.attrs["chain_weights"] = json.dumps(np.round(weights, 6).tolist())

    def _build_tree(
        self,
        trace,
        runs: RunTable,
        data,
        centres,
        priors,
        options,
        seed,
        structure,
        likelihood,
        pointwise,
    ) -> xr.DataTree:
        posterior = trace.posterior.to_dataset()
        if structure.groups:
            posterior = _with_group_parameters(posterior, self.law, priors, structure.groups)
        theta = {name: posterior[name] for name in self.law.sampler_parameters}
        paper = self.law.to_paper(theta, centres)
        posterior = posterior.assign(paper).assign(self.law.derived(paper))
        observation = {"obs": np.arange(len(runs))}
        constant = xr.Dataset(
            {name: ("obs", runs.column(name)) for name in self.law.covariates}, coords=observation
        )
        if structure.run_effect:
            constant["run"] = ("obs", runs.data["run"].astype(str).to_numpy())
        if structure.groups:
            constant["group"] = ("obs", runs.data[structure.group_column].astype(str).to_numpy())
        observed = xr.Dataset({runs.target: ("obs", runs.y)}, coords=observation)
        tree = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": trace.sample_stats.to_dataset(),
                **(
                    self._pointwise_groups(runs, posterior, data, centres, structure, seed)
                    if pointwise
                    else {}
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
            "likelihood": likelihood,
            "structure": json.dumps(structure.to_json(), sort_keys=True),
            "target": runs.target,
            "centres": json.dumps(centres, sort_keys=True),
            "data_hash": runs.content_hash(),
            "n_obs": len(runs),
            "sampler": json.dumps(options, sort_keys=True),
            "random_seed": seed,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return tree

    def _pointwise_groups(self, runs, posterior, data, centres, structure, seed) -> dict:
        """The posterior predictive and log-likelihood groups: (chain, draw, obs) each."""
        observations = {"log_y": np.log(runs.y)}
        if structure.run_effect:
            x = {name: runs.column(name) for name in self.law.covariates}
            columns = design_columns(self.law, x, centres, structure, runs)
            observations["point_index"] = design_points(list(columns.values()))[1]
            observations["run_index"] = observation_runs(runs)
        rng = np.random.default_rng(seed)
        values = _pointwise_draws(self.law, posterior, data, centres, observations, rng)
        coords = {
            "chain": posterior["chain"],
            "draw": posterior["draw"],
            "obs": np.arange(len(runs)),
        }
        return {
            group: xr.Dataset({runs.target: (("chain", "draw", "obs"), value)}, coords=coords)
            for group, value in zip(("posterior_predictive", "log_likelihood"), values, strict=True)
        }

    # -- results -------------------------------------------------------------------------
    @property
    def centres_(self) -> dict[str, float]:
        return json.loads(self.idata.attrs["centres"])

    @property
    def target_(self) -> str:
        return self.idata.attrs["target"]

    @property
    def structure_(self) -> Structure:
        """Run effect and groups of the fitted model."""
        spec = self.idata.attrs.get("structure")
        return Structure.from_json(json.loads(spec)) if spec else Structure()

    @property
    def groups_(self) -> tuple[str, ...]:
        return self.structure_.groups

    def log_mean_draws(self, covariates, groups=None) -> np.ndarray:
        """log of the law's mean at the covariates, per posterior draw: (draws, targets).

        ``groups`` names each target's group in a grouped fit.
        """
        law = self.law
        draws = self.draws(law.sampler_parameters)
        n_targets = len(np.atleast_1d(covariates[law.covariates[0]]))
        if self.groups_:
            columns = self.structure_.group_onehot(_as_labels(groups, n_targets, self.groups_))
            theta = {name: draws[name] @ columns.T for name in law.sampler_parameters}
        else:
            theta = {name: draws[name][:, None] for name in law.sampler_parameters}
        centres = self.centres_
        return np.asarray(law.log_mean(centred_logs(law, covariates, centres), theta, centres))

    def observation_noise(self, shape, rng: np.random.Generator) -> np.ndarray:
        """Log-scale noise of a new run's measured target, per draw (first axis of ``shape``).

        With a run effect a new run brings its own offset, so its spread is
        sqrt(sigma² + run_sd²).
        """
        draws = self.draws()
        sigma = draws["sigma"][:, None]
        if "run_sd" in draws:
            return draw_log_noise(np.hypot(sigma, draws["run_sd"][:, None]), None, shape, rng)
        return draw_log_noise(sigma, draws["nu"][:, None] if "nu" in draws else None, shape, rng)

    def log_predictive_density(
        self, covariates, observed, groups=None, log_error=None
    ) -> np.ndarray:
        """log p(observed | data) of new runs on the target's scale, one value per run.

        ``log_error`` (draws, runs) shifts each draw's law, so the density averages over an
        extrapolation error drawn alongside the posterior (a Monte Carlo integral over it).
        """
        log_mean = self.log_mean_draws(covariates, groups)
        if log_error is not None:
            log_mean = log_mean + log_error
        draws = self.draws()
        log_y = np.log(np.asarray(observed, dtype=float))
        sigma = draws["sigma"][:, None]
        if "run_sd" in draws:
            noise = {"sigma": np.hypot(sigma, draws["run_sd"][:, None])}
        else:
            noise = {"sigma": sigma} | ({"nu": draws["nu"][:, None]} if "nu" in draws else {})
        log_density = _log_density(log_y - log_mean, noise) - log_y
        return logsumexp(log_density, axis=0) - np.log(log_density.shape[0])

    def data_problems(self) -> list[str]:
        """Why the fitted runs contradict the law's shape (a :class:`DataShapeWarning` each at
        fit time); empty when none, or for a fit saved before they were recorded."""
        return json.loads(self.idata.attrs.get("data_problems", "[]"))

    def diagnostic_names(self) -> list[str]:
        posterior = self.idata["posterior"]
        names = [*self.law.sampler_parameters, "sigma", *self.law.parameters]
        names += [name for name in ("nu", "run_sd") if name in posterior]
        for name in self.law.sampler_parameters if self.groups_ else ():
            names += [f"{name}_pop", f"{name}_sd"]
        # Exponents such as alpha are both sampler and paper parameters: diagnose them once.
        return list(dict.fromkeys(names))

    def summary_names(self) -> list[str]:
        """The paper's parameters, derived quantities such as a = β/(α+β), and the noise.
        Grouped fits have one row per parameter and group, named like ``alpha[c4]``."""
        posterior = self.idata["posterior"]
        names = [*self.law.parameters, *self.law.derived(self.draws(self.law.parameters)), "sigma"]
        return names + [name for name in ("nu", "run_sd") if name in posterior]

    def predict(
        self,
        targets=None,
        ci_prob: float | None = None,
        interval="calibrated",
        *,
        inner_prob: float | None = None,
        **covariates,
    ) -> pd.DataFrame:
        """Posterior median and central intervals of the law's mean and of a new observation.

        ``targets`` is a table or mapping with N/D/C columns (or pass them as keywords).
        ``interval="calibrated"`` adds the extrapolation error past the training runs;
        ``"law"`` trusts the law (see :func:`workbench.predict.predict`).
        """
        from workbench.predict import predict

        return predict(
            self, targets, ci_prob=ci_prob, inner_prob=inner_prob, interval=interval, **covariates
        )

    def report(self, ci_prob: float | None = None) -> dict:
        """What the fit says, JSON-ready (``workbench fit --json``): the paper's parameters,
        derived quantities and noise (median and central ``ci_prob`` interval), diagnostics, the
        calibration of its extrapolation error, and where its loss exponents fall relative to
        theory (:func:`workbench.predict.theory.theory_readout`)."""
        from workbench.predict.calibration import calibration_of
        from workbench.predict.theory import theory_readout

        ci_prob = resolve_ci_prob(ci_prob)
        summary = self.summary(ci_prob=ci_prob)

        def rows(names):
            columns = ["median", *interval_names(ci_prob)]
            return {name: summary.loc[name, columns].to_dict() for name in names}

        noise = [name for name in ("sigma", "nu", "run_sd") if name in summary.index]
        params = [name for name in summary.index if name.split("[")[0] in self.law.parameters]
        derived = [name for name in summary.index if name not in (*params, *noise)]
        return {
            "law": self.law.name,
            "n_obs": int(self.idata.attrs["n_obs"]),
            "groups": list(self.groups_),
            "params": rows(params),
            "derived": rows(derived),
            "noise": rows(noise),
            "diagnostics": self.diagnostics().to_dict(),
            "chain_weights": None if self.chain_weights is None else self.chain_weights.tolist(),
            "calibration": calibration_of(self).summary(),
            "theory": [
                row.dropna().to_dict() for _, row in theory_readout(self, ci_prob).iterrows()
            ],
            "ci_prob": ci_prob,
        }

    def compute_optimal(
        self, compute, ci_prob: float | None = None, *, inner_prob: float | None = None, **fixed
    ) -> pd.DataFrame:
        """N_opt, D_opt, the loss there and tokens per parameter at each compute budget C.

        Covariates other than N and D are held at the values given by name (e.g. ``U=25e9``).
        """
        from workbench.predict import compute_optimal

        return compute_optimal(self, compute, ci_prob=ci_prob, inner_prob=inner_prob, **fixed)

    # -- persistence ---------------------------------------------------------------------
    def saved_tree(self) -> xr.DataTree:
        """The DataTree a file holds: posterior, sampler statistics, data and provenance.

        The pointwise groups (:data:`POINTWISE_GROUPS`) are left out; :meth:`from_tree`
        recomputes them.
        """
        tree = xr.DataTree.from_dict({name: self.idata[name].to_dataset() for name in SAVED_GROUPS})
        tree.attrs = dict(self.idata.attrs) | self.provenance()
        return tree

    def fitted_runs(self) -> RunTable:
        """The observations of the fit, read back from its data groups."""
        constant = self.idata["constant_data"].to_dataset()
        frame = pd.DataFrame({name: constant[name].values for name in self.law.covariates})
        if "run" in constant:
            frame["run"] = constant["run"].values
        if "group" in constant:
            frame[self.structure_.group_column] = constant["group"].values
        frame[self.target_] = self.idata["observed_data"][self.target_].values
        return RunTable(frame, target=self.target_)

    def _recompute_pointwise_groups(self) -> None:
        runs, structure, centres = self.fitted_runs(), self.structure_, self.centres_
        x = {name: runs.column(name) for name in self.law.covariates}
        data = model_data(self.law, x, runs.y, centres, structure, runs)
        groups = self._pointwise_groups(
            runs,
            self.idata["posterior"].to_dataset(),
            data,
            centres,
            structure,
            int(self.idata.attrs["random_seed"]),
        )
        stored = {name: self.idata[name].to_dataset() for name in self.idata.children}
        attrs = dict(self.idata.attrs)
        self.idata_ = xr.DataTree.from_dict(stored | groups)
        self.idata_.attrs = attrs

    @classmethod
    def load(
        cls, path, law: "str | ScalingLaw | None" = None, *, pointwise: bool = True
    ) -> "ScalingLawFit":
        """Read a saved fit. Naming a ``law`` that differs from the saved one raises.

        ``pointwise=False`` skips recomputing the posterior predictive and log-likelihood
        groups, for a fit that only predicts: on a large checkpoint table they take seconds
        and gigabytes.
        """
        return cls.from_tree(cls.read_tree(path), law, source=path, pointwise=pointwise)

    @classmethod
    def from_tree(
        cls,
        tree: xr.DataTree,
        law: "str | ScalingLaw | None" = None,
        source="this tree",
        *,
        pointwise: bool = True,
    ) -> "ScalingLawFit":
        """A fit from its DataTree (as ``save`` writes it); see :meth:`load`."""
        if "law" not in tree.attrs:
            raise FitFileError(f"{source} is not a Scaling Workbench fit (no 'law' attribute)")
        if "law_options" not in tree.attrs:
            raise FitFileError(
                f"{source} holds several laws (law='auto'); "
                "read it with workbench.backtesting.load_fit"
            )
        missing = [group for group in SAVED_GROUPS if group not in tree.children]
        if missing:
            raise FitFileError(
                f"{source} is an incomplete fit: it has no {', '.join(missing)} "
                f"group{'s' if len(missing) > 1 else ''}; fit again"
            )
        saved = get_law(tree.attrs["law"], **json.loads(tree.attrs["law_options"]))
        if law is not None and get_law(law) != saved:
            raise FitFileError(
                f"{source} holds a fit of {saved.label}, not of {get_law(law).label}; "
                f"load it with law={saved.name!r} or without law="
            )
        if tree.attrs.get("fit_class") == cls.__name__:
            fit = cls.from_config(json.loads(tree.attrs["config"]))
        else:  # written before fits recorded their configuration, or inside another fit's file
            structure = json.loads(tree.attrs.get("structure", '{"run_effect": false}'))
            likelihood = None if structure["run_effect"] else tree.attrs["likelihood"]
            fit = cls(saved, likelihood=likelihood)
            fit.priors = priors_from_json(tree.attrs["priors"])
            fit.sampler = json.loads(tree.attrs["sampler"])
        fit.idata_ = tree
        if pointwise and any(group not in tree.children for group in POINTWISE_GROUPS):
            fit._recompute_pointwise_groups()
        return fit

    def __repr__(self) -> str:
        if not hasattr(self, "idata_"):
            return f"ScalingLawFit({self.law.label}, likelihood={self.likelihood!r}, not fitted)"
        attrs = self.idata_.attrs
        return (
            f"ScalingLawFit({self.law.label}, likelihood={attrs['likelihood']!r}, "
            f"n_obs={attrs['n_obs']})"
        )


def _as_labels(groups, n_targets: int, known: tuple[str, ...]) -> np.ndarray:
    if groups is None:
        raise ValueError(f"this fit is grouped: name each target's group, one of {list(known)}")
    labels = np.asarray(groups, dtype=str)
    return np.full(n_targets, labels.item()) if labels.ndim == 0 else labels


def _with_group_parameters(posterior: xr.Dataset, law, priors, groups) -> xr.Dataset:
    """Add each group's value of every law parameter, with a ``group`` dimension."""
    values = {}
    for name in law.sampler_parameters:
        standardized = posterior[f"{name}_z"]
        standardized = standardized.rename({standardized.dims[-1]: "group"})
        values[name] = pooled_value(
            posterior[f"{name}_pop"],
            posterior[f"{name}_sd"],
            standardized,
            is_positive(priors[name]),
        ).assign_coords(group=list(groups))
    return posterior.assign(values)


def _pointwise_draws(law, posterior: xr.Dataset, data, centres, observations, rng) -> tuple:
    """Posterior predictive draws and pointwise log-likelihood of every observation.

    Both are (chain, draw, obs) arrays, computed in blocks of draws so that the temporaries stay
    a block's size. With a run effect the law's mean is computed once per design point (the rows
    of ``data``), and each block draws its runs' offsets before the observations' noise.
    """
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    flat = {
        name: posterior[name].transpose("chain", "draw", ...).values.reshape(chains * draws, -1)
        for name in (*law.sampler_parameters, "sigma", "nu", "run_sd")
        if name in posterior
    }
    log_y = observations["log_y"]
    predictive = np.empty((chains * draws, log_y.size))
    log_likelihood = np.empty_like(predictive)
    block_draws = max(1, POINTWISE_BLOCK_VALUES // log_y.size)
    for start in range(0, chains * draws, block_draws):
        rows = slice(start, start + block_draws)
        block = {name: value[rows] for name, value in flat.items()}
        theta = {name: block[name] for name in law.sampler_parameters}
        if "group_onehot" in data:
            theta = {name: value @ data["group_onehot"].T for name, value in theta.items()}
        mean = np.asarray(data_log_mean(law, theta, data, centres))
        if "run_sd" in block:
            offsets = _sampled_run_offsets(mean, data, block["sigma"], block["run_sd"], rng)
            mean = mean[:, observations["point_index"]] + offsets[:, observations["run_index"]]
        noise = {name: block[name] for name in ("sigma", "nu") if name in block}
        noise_draws = draw_log_noise(noise["sigma"], noise.get("nu"), mean.shape, rng)
        # Student-t noise with few degrees of freedom can pass exp's range: an infinite draw.
        with np.errstate(over="ignore"):
            np.exp(mean + noise_draws, out=predictive[rows])
        log_likelihood[rows] = _log_density(log_y - mean, noise) - log_y
    shape = (chains, draws, log_y.size)
    return predictive.reshape(shape), log_likelihood.reshape(shape)


def _sampled_run_offsets(point_log_mean, data, sigma, run_sd, rng) -> np.ndarray:
    """One draw of every run's offset from its conditional posterior, per posterior draw (row)."""
    total = run_totals(data["point_mean"] - point_log_mean, data)
    mean, sd = run_offset_posterior(total, data["run_count"], sigma, run_sd)
    return mean + sd * rng.standard_normal(mean.shape)


def _log_density(residual, noise: Mapping):
    """Pointwise log density of log-scale residuals (NumPy arrays or DataArrays).

    SciPy's Student-t and normal log densities, term by term, with the per-draw constants
    computed once per draw rather than once per residual (scipy.stats broadcasts them).
    """
    sigma = noise["sigma"]
    standardized = residual / sigma
    if "nu" in noise:
        nu = noise["nu"]
        constant = np.log(poch(0.5 * nu, 0.5)) - 0.5 * (np.log(nu) + np.log(np.pi))
        return constant - (nu + 1) / 2 * np.log1p(standardized * standardized / nu) - np.log(sigma)
    return -(standardized**2) / 2.0 - np.log(np.sqrt(2 * np.pi)) - np.log(sigma)
