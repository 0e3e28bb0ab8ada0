"""Ruan et al.'s held-out protocol: fit on the models below 8.4e22 FLOPs, then predict the larger
ones and, separately, the 20 models the authors pre-registered before their release; report the
error and the interval coverage of the Bayesian model and of the per-family power law."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.downstream.baseline import power_law_baseline
from workbench.downstream.capabilities import with_compute
from workbench.downstream.observational import ObservationalScalingFit
from workbench.intervals import interval_names, resolve_ci_prob

RUAN2024_CUT = 8.4e22
"""The paper's cut: 8.4e22 FLOPs, Llama-2-7B's training compute. Models strictly below it are
fitted; the rest are predicted."""
TRAINING = "training"
ABOVE_CUT = "above the cut"
PREREGISTERED = "pre-registered"
NO_FLOPS = "no FLOPs"
HELD_OUT = (ABOVE_CUT, PREREGISTERED)
BAYESIAN = "observational (Bayesian)"
BASELINE = "per-family power law"


def holdout_groups(scores: pd.DataFrame, cut: float = RUAN2024_CUT) -> pd.Series:
    """Each model's group: ``training`` (below ``cut``), ``above the cut``, ``pre-registered``
    (whatever its FLOPs), or ``no FLOPs`` (neither, and nowhere on the compute axis)."""
    flops = scores["flops"].to_numpy(float)
    groups = np.where(flops < cut, TRAINING, np.where(flops >= cut, ABOVE_CUT, NO_FLOPS))
    groups = np.where(scores["is_preregistered"].to_numpy(bool), PREREGISTERED, groups)
    return pd.Series(groups, index=scores.index, name="group")


@dataclass(frozen=True)
class HoldoutReport:
    """The fit on the training models, every held-out prediction of both methods, and the
    table of error and coverage per group and method."""

    fit: ObservationalScalingFit
    predictions: pd.DataFrame
    table: pd.DataFrame
    ci_prob: float


def score_holdout(
    fit: ObservationalScalingFit,
    scores: pd.DataFrame,
    ci_prob: float | None = None,
    random_seed: int | None = None,
    cut: float = RUAN2024_CUT,
) -> HoldoutReport:
    """Predict the held-out models of ``scores`` with ``fit`` (fitted on its training models)
    and with the per-family power law, and score both."""
    ci_prob = resolve_ci_prob(ci_prob)
    groups = holdout_groups(scores, cut)
    training = scores[groups == TRAINING]
    frames = []
    for group in HELD_OUT:
        models = scores[groups == group]
        predicted = {
            BAYESIAN: fit.predict(models, ci_prob, random_seed=random_seed),
            BASELINE: power_law_baseline(
                training, models, fit.benchmarks, ci_prob, fit.chance_floors
            ),
        }
        frames += [
            frame.dropna(subset=["observed"]).assign(group=group, method=method)
            for method, frame in predicted.items()
        ]
    predictions = pd.concat(frames, ignore_index=True)
    table = error_table(predictions, ci_prob)
    dropped = {group: with_compute(scores[groups == group])[1] for group in HELD_OUT}
    table["dropped_without_flops"] = table["group"].map(dropped)
    return HoldoutReport(fit, predictions, table, ci_prob)


def error_table(predictions: pd.DataFrame, ci_prob: float) -> pd.DataFrame:
    """Per group and method: models and scores predicted, the mean absolute error in points of
    accuracy (0-100) and the share of observed scores inside the ``ci_prob`` interval."""
    low, high = interval_names(ci_prob, "score")
    observed = predictions["observed"]
    scored = predictions.assign(
        error_points=100 * (predictions["score"] - observed).abs(),
        inside=(predictions[low] <= observed) & (observed <= predictions[high]),
    )
    table = scored.groupby(["group", "method"], sort=False).agg(
        models=("model", "nunique"),
        scores=("observed", "size"),
        mae_points=("error_points", "mean"),
        coverage=("inside", "mean"),
    )
    return table.reset_index()


def holdout_report(
    scores: pd.DataFrame,
    *,
    components: int | None = None,
    family_slopes: bool = False,
    ci_prob: float | None = None,
    sampler: dict | None = None,
    random_seed: int | None = None,
    cut: float = RUAN2024_CUT,
) -> HoldoutReport:
    """Fit :class:`ObservationalScalingFit` on the models below ``cut`` (not pre-registered),
    then score the models above it and the pre-registered ones separately, against the
    per-family power law (:func:`score_holdout`)."""
    options = {"family_slopes": family_slopes, "sampler": sampler}
    if components is not None:
        options["components"] = components
    training = scores[holdout_groups(scores, cut) == TRAINING]
    fit = ObservationalScalingFit(**options).fit(training, random_seed=random_seed)
    return score_holdout(fit, scores, ci_prob, random_seed, cut)
