"""Law comparison by PSIS-LOO with stacking weights, and predictions averaged over laws.

``compare`` wraps ArviZ's ``loo`` and ``compare``: the LOO table, the stacking weights and the
observations where the importance-sampling estimate is unreliable (Pareto k above 0.7), named by
law, index and covariates. ``model_averaged_prediction`` mixes the laws' posterior predictive
draws in proportion to those weights.

References
----------
.. [1] Vehtari, A., Gelman, A. and Gabry, J. (2017). Practical Bayesian model evaluation using
   leave-one-out cross-validation and WAIC. Statistics and Computing 27, 1413–1432.
.. [2] Yao, Y., Vehtari, A., Simpson, D. and Gelman, A. (2018). Using stacking to average Bayesian
   predictive distributions. Bayesian Analysis 13(3), 917–1007.
"""

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import arviz as az
import numpy as np
import pandas as pd

from workbench.intervals import interval_levels, summary_table
from workbench.predict.extrapolate import (
    predictive_draws,
    target_covariates,
    with_mixture_distance,
)

PARETO_K_THRESHOLD = 0.7
"""Above this Pareto k, PSIS-LOO's estimate for an observation is unreliable (Vehtari et al.)."""


class ParetoKWarning(UserWarning):
    """PSIS-LOO is unreliable at some observations: each is named in the message."""


class DifferentDataError(ValueError):
    """Fits compared or averaged were made on different run tables."""


@dataclass(frozen=True)
class ParetoKPoint:
    """One observation whose leave-one-out estimate is unreliable for one law."""

    law: str
    index: int
    """Position of the observation in the fitted table (the ``obs`` coordinate)."""
    covariates: dict[str, float]
    observed: float
    k: float
    run: str | None = None

    def __str__(self) -> str:
        parts = [f"run {self.run!r}"] if self.run is not None else []
        parts += [f"{name}={value:.3g}" for name, value in self.covariates.items()]
        parts.append(f"observed {self.observed:.4g}")
        return (
            f"{self.law}: observation {self.index} ({', '.join(parts)}) has Pareto k = {self.k:.2f}"
        )


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    table : DataFrame
        ArviZ's comparison table, best law first: ``rank``, ``elpd`` (the PSIS-LOO elpd),
        ``p`` (effective number of parameters), ``elpd_diff``, ``dse``, ``p_worse``, ``se``,
        ``weight`` (stacking, unless another ``method`` was asked for), ``diag_diff``,
        ``diag_elpd``.
    loo : dict
        ArviZ's pointwise ``ELPDData`` of each law (``elpd_i``, ``pareto_k``).
    fits : dict
        The fits, by name.
    pareto_k : list of ParetoKPoint
        The observations with Pareto k above ``pareto_k_threshold``, for every law.
    """

    table: pd.DataFrame
    loo: dict
    fits: dict
    pareto_k: list[ParetoKPoint] = field(default_factory=list)
    method: str = "stacking"
    pareto_k_threshold: float = PARETO_K_THRESHOLD

    @property
    def weights(self) -> pd.Series:
        """Weight of each law, in the order the fits were given; they sum to 1."""
        weights = self.table["weight"].reindex(list(self.fits)).astype(float)
        return weights / weights.sum()

    def model_averaged_prediction(self, targets=None, **options) -> pd.DataFrame:
        """:func:`model_averaged_prediction` with these weights."""
        return model_averaged_prediction(self, targets, **options)

    def to_dict(self) -> dict:
        """JSON-ready (``workbench compare --json``): per law (best first) ``rank``,
        ``elpd_loo``, ``se``, ``p_loo``, ``elpd_diff``, ``dse`` and ``weight``; the observations
        with high Pareto k; each fit's diagnostics."""
        table, weights = self.table, self.weights
        laws = {
            name: {
                "rank": int(table.loc[name, "rank"]),
                "elpd_loo": float(table.loc[name, "elpd"]),
                "se": float(table.loc[name, "se"]),
                "p_loo": float(table.loc[name, "p"]),
                "elpd_diff": float(table.loc[name, "elpd_diff"]),
                "dse": float(table.loc[name, "dse"]),
                "weight": float(weights[name]),
            }
            for name in table.index
        }
        first = next(iter(self.fits.values()))
        return {
            "n_obs": int(first.idata.attrs["n_obs"]),
            "method": self.method,
            "laws": laws,
            "pareto_k_threshold": self.pareto_k_threshold,
            "pareto_k": [asdict(point) for point in self.pareto_k],
            "diagnostics": {name: fit.diagnostics().to_dict() for name, fit in self.fits.items()},
        }


def check_same_data(fits: Mapping[str, object]) -> None:
    """Raise ``DifferentDataError`` unless every fit was made on the same run table."""
    by_hash: dict[str, list[str]] = {}
    for name, fit in fits.items():
        by_hash.setdefault(fit.idata.attrs["data_hash"], []).append(name)
    if len(by_hash) > 1:
        groups = "; ".join(
            f"{', '.join(names)} on runs {data_hash[:8]}" for data_hash, names in by_hash.items()
        )
        raise DifferentDataError(
            f"these fits were made on different run tables ({groups}); LOO scores and weights "
            "only compare fits of the same runs: refit every law on one table"
        )


def loo_comparison(
    fits: Mapping[str, object],
    *,
    method: str = "stacking",
    pareto_k_threshold: float = PARETO_K_THRESHOLD,
) -> Comparison:
    """:func:`compare` without issuing the Pareto-k warning (for callers that report it)."""
    fits = dict(fits)
    if len(fits) < 2:
        raise ValueError("comparing laws needs at least two fits")
    check_same_data(fits)
    loo = {name: psis_loo(fit.loo_tree()) for name, fit in fits.items()}
    if method == "stacking":
        table = az.compare(loo, method="pseudo-BMA", round_to="none")
        table["weight"] = stable_stacking(loo, table.index)
    else:
        table = az.compare(loo, method=method, round_to="none")
    points = [
        point
        for name, fit in fits.items()
        for point in high_pareto_k(name, fit, loo[name], pareto_k_threshold)
    ]
    return Comparison(
        table=table,
        loo=loo,
        fits=fits,
        pareto_k=points,
        method=method,
        pareto_k_threshold=pareto_k_threshold,
    )


STACKING_ITERATIONS = 2000
BOOTSTRAP_REPLICATES = 200
"""Bayesian-bootstrap replicates that :func:`bagged_stacking_weights` averages."""


def stacking_weights(log_density: np.ndarray, row_weight: np.ndarray) -> np.ndarray:
    """Mixture weights w maximizing Σ_i row_weight_i · log Σ_k w_k exp(log_density_ik), by EM.

    Each row is shifted by its largest log density first, so rows far below zero (a point with
    many binomial trials) do not underflow to a density of zero for every law. ``row_weight`` of
    shape (replicates, rows) solves each replicate at once: weights (replicates, laws)."""
    density = np.exp(log_density - log_density.max(axis=1, keepdims=True))
    row_weight = np.asarray(row_weight, dtype=float)
    replicates = np.atleast_2d(row_weight)
    weights = np.full((len(replicates), log_density.shape[1]), 1.0 / log_density.shape[1])
    # Replicates near a boundary of the simplex converge slowly; only those still moving iterate.
    moving = np.arange(len(replicates))
    for _ in range(STACKING_ITERATIONS):
        responsibility = density * weights[moving, None, :]
        responsibility /= responsibility.sum(axis=2, keepdims=True)
        updated = np.einsum("br,brk->bk", replicates[moving], responsibility)
        updated /= replicates[moving].sum(axis=1, keepdims=True)
        change = np.max(np.abs(updated - weights[moving]), axis=1)
        weights[moving] = updated
        moving = moving[change >= 1e-9]
        if not len(moving):
            break
    return weights if row_weight.ndim == 2 else weights[0]


def bagged_stacking_weights(
    log_density: np.ndarray, row_weight: np.ndarray, replicates: int = BOOTSTRAP_REPLICATES
) -> np.ndarray:
    """Stacking weights averaged over Bayesian-bootstrap replicates of the rows.

    On a handful of held-out runs the stacking optimum is noisy: it often puts all the weight on
    the law that happened to do best on those runs. Each replicate reweights the rows by
    Dirichlet(1, …, 1) draws (Rubin 1981, the Bayesian bootstrap) and the weights are averaged,
    which integrates over the sampling uncertainty of the evidence, as Yao et al.'s
    pseudo-BMA+ does for pseudo-BMA weights. A fixed seed keeps refits reproducible.
    """
    rng = np.random.default_rng(0)
    n_rows = log_density.shape[0]
    bootstrap = rng.dirichlet(np.ones(n_rows), size=replicates) * n_rows
    return stacking_weights(log_density, bootstrap * np.asarray(row_weight, float)).mean(axis=0)


def stable_stacking(loo: Mapping[str, object], names) -> np.ndarray:
    """Stacking weights of ``names`` from their pointwise elpd, each point shifted by its largest
    value. ArviZ's own stacking exponentiates the pointwise elpd as it is, which underflows to
    zero for every law at a point far below zero (a point with many binomial trials): log 0."""
    pointwise = np.column_stack([np.ravel(loo[name].elpd_i.values) for name in names])
    return stacking_weights(pointwise, np.ones(pointwise.shape[0]))


def psis_loo(idata):
    """Pointwise PSIS-LOO of a fit, without ArviZ's generic Pareto-k advice: callers name the
    unreliable runs themselves (:class:`ParetoKWarning`, :func:`high_pareto_k`)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Estimated shape parameter of Pareto", category=UserWarning
        )
        return az.loo(idata, pointwise=True)


def compare(
    fits: Mapping[str, object],
    *,
    method: str = "stacking",
    pareto_k_threshold: float = PARETO_K_THRESHOLD,
) -> Comparison:
    """Compare fits of different laws to one run table by PSIS-LOO, with stacking weights.

    Parameters
    ----------
    fits : mapping of str to ScalingLawFit
        Fitted laws by name (two or more), all fitted to the same runs.
    method : {"stacking", "BB-pseudo-BMA", "pseudo-BMA"}
        How ArviZ weighs the laws.
    pareto_k_threshold : float
        Observations with a larger Pareto k are listed, and a ``ParetoKWarning`` names them.

    Returns
    -------
    Comparison
        The LOO table, the weights, the pointwise LOO results and the high-k observations.

    Raises
    ------
    DifferentDataError
        If the fits were made on different data: their LOO scores would not be comparable.
    """
    comparison = loo_comparison(fits, method=method, pareto_k_threshold=pareto_k_threshold)
    if comparison.pareto_k:
        warnings.warn(pareto_k_message(comparison), ParetoKWarning, stacklevel=2)
    return comparison


def pareto_k_message(comparison: Comparison) -> str:
    points = "; ".join(str(point) for point in comparison.pareto_k)
    return (
        f"PSIS-LOO is unreliable at {len(comparison.pareto_k)} observation(s) with Pareto k > "
        f"{comparison.pareto_k_threshold:g}, so the elpd and weights lean on them: {points}. "
        "Check these runs before trusting the elpd differences."
    )


def high_pareto_k(name: str, fit, loo, threshold: float) -> list[ParetoKPoint]:
    """The observations of one fit whose Pareto k exceeds ``threshold``."""
    k = np.asarray(loo.pareto_k).ravel()
    constant = fit.idata["constant_data"]
    observed = fit.idata["observed_data"][fit.target_].values
    runs = constant["run"].values if "run" in constant else None
    return [
        ParetoKPoint(
            law=name,
            index=int(index),
            covariates={c: float(constant[c].values[index]) for c in fit.law.covariates},
            observed=float(observed[index]),
            k=float(k[index]),
            run=str(runs[index]) if runs is not None else None,
        )
        for index in np.flatnonzero(k > threshold)
    ]


def model_averaged_prediction(
    comparison_or_fits,
    targets=None,
    *,
    ci_prob: float | None = None,
    inner_prob: float | None = None,
    random_seed: int | None = None,
    group=None,
    interval="calibrated",
    warn: bool = True,
    **covariates,
) -> pd.DataFrame:
    """Predictions of the laws' mixture, weighted by their stacking weights.

    Each law contributes a share of the mixture's draws equal to its weight, picked at random
    among its posterior predictive draws (without replacement while it has enough). A law of
    weight 1 thus gives back its own predictive distribution.

    Parameters
    ----------
    comparison_or_fits : Comparison or mapping of str to ScalingLawFit
        A :func:`compare` result, or fits to compare first.
    targets : table or mapping, optional
        N/D/C values to predict at, as :func:`workbench.predict.predict` takes them (or pass
        them as keywords). Two of N, D and C suffice for laws in the third.
    ci_prob : float, optional
        Probability of the central interval; the project's credible level by default.
    inner_prob : float, optional
        Probability of a second, inner interval (the plots' inner band).
    random_seed : int, optional
        Seed of the mixing. Each law's own draws use its fit's seed, as ``predict`` does.
    group : str, optional
        Group of the targets, for grouped fits.
    interval, warn
        As for :func:`workbench.predict.predict`: calibrated (default) or law-only intervals,
        and whether a target past the calibration's evidence warns.

    Returns
    -------
    DataFrame
        The shape of ``predict``'s table: covariates, ``kind`` ("mean" or "observation"),
        ``median`` and the interval columns.
    """
    levels = interval_levels(ci_prob, inner_prob)
    comparison = (
        comparison_or_fits
        if isinstance(comparison_or_fits, Comparison)
        else compare(comparison_or_fits)
    )
    fits, weights = comparison.fits, comparison.weights
    needed = sorted({name for fit in fits.values() for name in fit.law.covariates})
    values = target_covariates(needed, targets, **covariates)
    size = max(draw_count(fit) for fit in fits.values())
    counts = mixture_counts(weights, size)
    draws = {
        name: predictive_draws(fit, values, group, interval=interval)
        for name, fit in fits.items()
        if counts[name] > 0
    }
    mixed = mix_draws(draws, counts, np.random.default_rng(random_seed))
    table = summary_table(values, "kind", mixed, levels)
    table = table if group is None else table.assign(group=group)
    return with_mixture_distance([fits[name] for name in draws], table, values, interval, warn)


def mixture_counts(weights: pd.Series, size: int) -> pd.Series:
    """Draws each law contributes to a mixture of ``size``: largest remainders, summing to it."""
    exact = weights.to_numpy(dtype=float) * size
    counts = np.floor(exact).astype(int)
    remainder = size - counts.sum()
    counts[np.argsort(counts - exact, kind="stable")[:remainder]] += 1
    return pd.Series(counts, index=weights.index)


def mix_draws(
    draws: Mapping[str, Mapping[str, np.ndarray]], counts: pd.Series, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Stack ``counts[law]`` draws picked at random from each law's ``{kind: (draws, targets)}``.

    A law's draws are picked without replacement while it has enough. The same picks serve every
    kind, so a law's mean and its observation stay paired.
    """
    picks = {}
    for name in draws:
        available = next(iter(draws[name].values())).shape[0]
        picks[name] = rng.choice(available, size=counts[name], replace=counts[name] > available)
    kinds = next(iter(draws.values()))
    return {
        kind: np.concatenate([draws[name][kind][picks[name]] for name in draws], axis=0)
        for kind in kinds
    }


def draw_count(fit) -> int:
    posterior = fit.idata["posterior"]
    return int(posterior.sizes["chain"] * posterior.sizes["draw"])
