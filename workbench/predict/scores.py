"""Scores of predictions for held-out runs: the metrics backtests and checkpoint studies report."""

import numpy as np
import pandas as pd

from workbench.intervals import INNER_PROB, interval_levels, interval_names, percent
from workbench.predict.extrapolate import (
    extrapolation_error_draws,
    predictive_draws,
    target_covariates,
)
from workbench.runs import RunTable


def absolute_relative_error(predicted, observed) -> np.ndarray:
    """|predicted − observed| / observed, the Hitchhiker's Guide's ARE, per target."""
    observed = np.asarray(observed, dtype=float)
    return np.abs(np.asarray(predicted, dtype=float) - observed) / observed


def holdout_scores(
    fit,
    runs: RunTable,
    ci_prob: float | None = None,
    inner_prob: float | None = INNER_PROB,
    groups=None,
    interval="law",
) -> pd.DataFrame:
    """Per held-out run: the observed target, the predictive median and intervals, ARE, coverage
    of each interval and the log predictive density.

    The intervals are the ``ci_prob`` one (the project's credible level by default) and the
    inner ``inner_prob`` one (``None`` for none).

    ``runs`` are scored as given (pass ``runs.final_checkpoints()`` to score final losses).
    ``interval="calibrated"`` scores the intervals widened by the fit's extrapolation error.
    """
    covariates = target_covariates(fit.law.covariates, runs)
    covariates = {name: covariates[name] for name in fit.law.covariates}
    if groups is not None:
        groups = runs.data[groups].astype(str).to_numpy()
    observation = predictive_draws(fit, covariates, groups, interval=interval)["observation"]
    frame = pd.DataFrame(covariates).assign(observed=runs.y, median=np.median(observation, axis=0))
    frame["are"] = absolute_relative_error(frame["median"], runs.y)
    for prob in interval_levels(ci_prob, inner_prob):
        tail = (1 - prob) / 2
        low, high = np.quantile(observation, [tail, 1 - tail], axis=0)
        low_name, high_name = interval_names(prob)
        frame[low_name] = low
        frame[high_name] = high
        frame[f"covered_{percent(prob)}"] = (low <= runs.y) & (runs.y <= high)
    log_error = (
        extrapolation_error_draws(
            fit, covariates, observation.shape[0], fit.idata.attrs["random_seed"]
        )
        if interval == "calibrated"
        else None
    )
    frame["log_predictive_density"] = fit.log_predictive_density(
        covariates, runs.y, groups, log_error=log_error
    )
    return frame


def summarize_scores(scores: pd.DataFrame) -> dict[str, float]:
    """Mean ARE, coverage of each interval and mean log predictive density over targets."""
    summary = {"are": float(scores["are"].mean())}
    for column in scores.columns:
        if column.startswith("covered_"):
            summary[column.replace("covered_", "coverage_")] = float(scores[column].mean())
    summary["mean_log_predictive_density"] = float(scores["log_predictive_density"].mean())
    summary["n_targets"] = len(scores)
    return summary
