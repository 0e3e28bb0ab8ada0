"""The pure math of the prediction ledger: what a prediction keeps of its predictive
distribution, and how an outcome scores against it.

A prediction keeps its median and the central intervals at :data:`LEVELS`, so 2 × 11 + 1
quantiles of the predictive distribution. An outcome then gets:
- its error, observed − median, and its relative error, |observed − median| / observed;
- whether each central interval holds it (coverage at 50 % and 90 %, and every level of the
  reliability diagram);
- the interval score of the central ``ci_prob`` interval (Gneiting and Raftery 2007, in the
  target's units): its width, plus 2 / (1 − ci_prob) times the distance by which it misses;
- its PIT, the predictive probability below the outcome, read off the stored quantiles by
  linear interpolation in log value; below the lowest stored quantile (the 1 % one) it is 0, above
  the highest 1. Honest predictions have uniform PITs.
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.intervals import interval_names, percent

LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
"""Central interval levels a prediction keeps; 50 % and 90 % among them."""
REPORTED_LEVELS = (0.5, 0.9)
"""The coverages a ledger report names; the reliability diagram shows every level."""


def quantile_probabilities() -> np.ndarray:
    """The probabilities of the stored quantiles, ascending: each level's two tails and 0.5."""
    tails = [(1 - level) / 2 for level in LEVELS]
    return np.array(sorted({*tails, 0.5, *(1 - tail for tail in tails)}))


def quantiles_from_table(row: Mapping[str, float]) -> np.ndarray:
    """The stored quantiles, ascending, from a prediction row with ``median`` and every level's
    ``ci_low_<level>`` and ``ci_high_<level>``."""
    lows = [row[interval_names(level)[0]] for level in reversed(LEVELS)]
    highs = [row[interval_names(level)[1]] for level in LEVELS]
    return np.array([*lows, row["median"], *highs], dtype=float)


def interval_of(quantiles: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` interval from the stored quantiles."""
    index = LEVELS.index(level)
    return float(quantiles[len(LEVELS) - 1 - index]), float(quantiles[len(LEVELS) + 1 + index])


def pit(quantiles: np.ndarray, observed: float) -> float:
    """The predictive probability below ``observed`` (module docstring)."""
    probabilities = quantile_probabilities()
    if observed < quantiles[0]:
        return 0.0
    if observed > quantiles[-1]:
        return 1.0
    return float(np.interp(np.log(observed), np.log(quantiles), probabilities))


def interval_score(low: float, high: float, observed: float, level: float) -> float:
    """Gneiting and Raftery's interval score of the central ``level`` interval [low, high]."""
    penalty = 2 / (1 - level)
    return (high - low) + penalty * max(low - observed, 0.0) + penalty * max(observed - high, 0.0)


def outcome_scores(quantiles: np.ndarray, observed: float, ci_prob: float) -> dict[str, float]:
    """The scores an outcome gets (module docstring); ``covered_<level>`` for every stored level."""
    if not observed > 0 or not np.isfinite(observed):
        raise ValueError(f"an observed value must be a positive number, not {observed}")
    median = float(quantiles[len(LEVELS)])
    low, high = interval_of(quantiles, ci_prob)
    covered = {}
    for level in LEVELS:
        level_low, level_high = interval_of(quantiles, level)
        covered[f"covered_{percent(level)}"] = float(level_low <= observed <= level_high)
    return {
        "error": observed - median,
        "relative_error": abs(observed - median) / observed,
        "interval_score": interval_score(low, high, observed, ci_prob),
        "pit": pit(quantiles, observed),
        **covered,
    }


def reliability(resolved: pd.DataFrame) -> pd.DataFrame:
    """Nominal against observed coverage over resolved predictions (their ``covered_<level>``
    columns), with the 90 % range that honest intervals would give on that many outcomes
    (binomial, Jeffreys). Indexed by ``nominal``."""
    from scipy.stats import beta

    n = len(resolved)
    rows = []
    for level in LEVELS:
        hits = float(resolved[f"covered_{percent(level)}"].sum()) if n else np.nan
        expected = level * n
        rows.append(
            {
                "nominal": level,
                "observed": hits / n if n else np.nan,
                "honest_low": beta.ppf(0.05, expected + 0.5, n - expected + 0.5) if n else np.nan,
                "honest_high": beta.ppf(0.95, expected + 0.5, n - expected + 0.5) if n else np.nan,
                "outcomes": n,
            }
        )
    return pd.DataFrame(rows).set_index("nominal")
