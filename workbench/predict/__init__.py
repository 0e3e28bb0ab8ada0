"""Extrapolation with credible intervals, the extrapolation-error model, compute-optimal
allocation, checks and comparison, from fits made elsewhere (this package fits nothing; refits
are in :mod:`workbench.backtesting`)."""

from workbench.predict.calibration import (
    Calibration,
    ExtrapolationWarning,
    calibration_of,
    extrapolation_distance,
)
from workbench.predict.chain import chained_draws, predict_chained
from workbench.predict.compare import (
    Comparison,
    DifferentDataError,
    ParetoKPoint,
    ParetoKWarning,
    compare,
    model_averaged_prediction,
)
from workbench.predict.extrapolate import (
    compute_optimal,
    predict,
    predictive_draws,
    target_covariates,
)
from workbench.predict.fitted import curve, extrapolation_path, loo_pit, residuals
from workbench.predict.planning import RunPlan, plan_next_runs
from workbench.predict.scores import absolute_relative_error, holdout_scores, summarize_scores
from workbench.predict.theory import theory_readout

__all__ = [
    "Calibration",
    "Comparison",
    "DifferentDataError",
    "ExtrapolationWarning",
    "ParetoKPoint",
    "ParetoKWarning",
    "RunPlan",
    "absolute_relative_error",
    "calibration_of",
    "chained_draws",
    "compare",
    "compute_optimal",
    "curve",
    "extrapolation_distance",
    "extrapolation_path",
    "holdout_scores",
    "loo_pit",
    "model_averaged_prediction",
    "plan_next_runs",
    "predict",
    "predict_chained",
    "predictive_draws",
    "residuals",
    "summarize_scores",
    "target_covariates",
    "theory_readout",
]
