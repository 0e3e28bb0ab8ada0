"""Comparing groups of a grouped fit: who wins at a target scale, and where curves cross.

The crossover is the "scaling law crossover" of comparisons such as Nezhurina et al.'s CLIP
against MaMMUT: a recipe that is worse at small scale can overtake another at large scale.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from workbench.intervals import interval_names, resolve_ci_prob, summarize_draws
from workbench.predict.extrapolate import target_covariates

SCALE_POINTS = 200
CROSSOVER_MIN_PROBABILITY = 0.5


@dataclass(frozen=True)
class GroupComparison:
    """Result of :func:`compare_groups`.

    Attributes
    ----------
    ranking : DataFrame
        One row per group, best first: the median and interval of its curve at the target and
        the probability that it is the best group there.
    pairs : DataFrame
        One row per pair (a, b): the probability that a beats b at the target, the probability
        that their curves cross inside the scale range, and the crossover scale's median and
        interval when they do. ``verdict`` says "no crossover in range" when crossing is less
        likely than not.
    path : dict
        The covariates along the scale axis, for plotting.
    """

    ranking: pd.DataFrame
    pairs: pd.DataFrame
    path: dict
    scale: str


def compare_groups(
    fit,
    target: Mapping[str, float] | None = None,
    *,
    scale_range: tuple[float, float] | None = None,
    lower_is_better: bool = True,
    ci_prob: float | None = None,
    **covariates,
) -> GroupComparison:
    """Rank the groups of a grouped fit at a target and find where their curves cross.

    Parameters
    ----------
    fit : ScalingLawFit
        Fitted with ``groups=...``.
    target : mapping, optional
        The target scale, e.g. ``{"N": 7e9, "D": 140e9}`` (or pass covariates as keywords).
    scale_range : (float, float), optional
        Range of the scale axis searched for crossovers: the first covariate of the law (N for
        laws in N and D, with tokens per parameter held at the target's). By default from the
        smallest observed value to the target.
    lower_is_better : bool
        Whether a lower target (a loss, an error) wins.
    ci_prob : float, optional
        Probability of the reported intervals; the project's credible level by default.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    groups = fit.groups_
    if not groups:
        raise ValueError("compare_groups needs a fit made with groups=<column>")
    law = fit.law
    at = target_covariates(law.covariates, target, **covariates)
    at = {name: at[name] for name in law.covariates}
    sign = 1.0 if lower_is_better else -1.0
    at_target = np.stack([fit.log_mean_draws(at, label)[:, 0] for label in groups], axis=1)
    ranking = _ranking(groups, np.exp(at_target), sign, ci_prob)
    scale = law.covariates[0]
    path = _scale_path(fit, at, scale, scale_range)
    curves = {label: fit.log_mean_draws(path, label) for label in groups}
    rows = []
    for a, b in combinations(groups, 2):
        index_a, index_b = groups.index(a), groups.index(b)
        wins = sign * (at_target[:, index_a] - at_target[:, index_b]) < 0
        crossing = _first_crossing(curves[a] - curves[b], path[scale])
        rows.append(
            {"group_a": a, "group_b": b, "p_a_beats_b": float(wins.mean())}
            | _crossover_summary(crossing, ci_prob)
        )
    return GroupComparison(ranking, pd.DataFrame(rows), path, scale)


def _ranking(groups, values: np.ndarray, sign: float, ci_prob: float) -> pd.DataFrame:
    best = np.argmin(sign * values, axis=1)
    frame = pd.DataFrame(summarize_draws(values, (ci_prob,)), index=list(groups))
    frame["p_best"] = [float(np.mean(best == index)) for index in range(len(groups))]
    frame = frame.rename_axis("group").reset_index()
    return frame.sort_values("median", ascending=sign > 0, ignore_index=True)


def _scale_path(fit, at, scale: str, scale_range) -> dict[str, np.ndarray]:
    observed = fit.idata["constant_data"][scale].values
    low, high = scale_range or (observed.min(), at[scale][0])
    if not 0 < low < high:
        raise ValueError(f"scale_range must be increasing and positive, got ({low}, {high})")
    values = np.geomspace(low, high, SCALE_POINTS)
    # Other covariates keep their ratio to the scale covariate at the target (e.g. D/N).
    return {
        name: values if name == scale else values * (at[name][0] / at[scale][0])
        for name in fit.law.covariates
    }


def _first_crossing(difference: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Scale of the first sign change of ``difference`` along the path, per draw (NaN if none)."""
    sign = np.sign(difference)
    change = sign[:, 1:] * sign[:, :-1] < 0
    found = change.any(axis=1)
    index = np.argmax(change, axis=1)
    rows = np.arange(difference.shape[0])
    left, right = difference[rows, index], difference[rows, index + 1]
    log_scales = np.log(scales)
    weight = np.where(found, left / np.where(found, left - right, 1.0), 0.0)
    crossing = np.exp(log_scales[index] + weight * (log_scales[index + 1] - log_scales[index]))
    return np.where(found, crossing, np.nan)


def _crossover_summary(crossing: np.ndarray, ci_prob: float) -> dict:
    probability = float(np.mean(np.isfinite(crossing)))
    summary = {"p_crossover": probability}
    if probability < CROSSOVER_MIN_PROBABILITY:
        return summary | {
            "crossover_median": np.nan,
            **dict.fromkeys(interval_names(ci_prob, "crossover"), np.nan),
            "verdict": "no crossover in range",
        }
    found = crossing[np.isfinite(crossing)]
    tail = (1 - ci_prob) / 2
    low, median, high = np.quantile(found, [tail, 0.5, 1 - tail])
    return summary | {
        "crossover_median": float(median),
        **dict(zip(interval_names(ci_prob, "crossover"), (float(low), float(high)), strict=True)),
        "verdict": f"crossover near {median:.3g}",
    }
