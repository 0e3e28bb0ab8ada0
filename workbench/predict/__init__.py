"""Extrapolation with credible intervals, compute-optimal allocation, checks, comparison and
backtests."""

from workbench.predict.auto import LawEnsemble, candidate_laws, load_fit
from workbench.predict.backtest import Backtest, backtest, holdout_runs
from workbench.predict.calibration import (
    Calibration,
    ExtrapolationWarning,
    calibrate,
    calibration_of,
    extrapolation_distance,
)
from workbench.predict.chain import chained_draws, predict_chained
from workbench.predict.checks import curve, extrapolation_path, loo_pit, residuals
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
    summarize_draws,
    target_covariates,
)
from workbench.predict.planning import RunPlan, plan_next_runs
from workbench.predict.scores import absolute_relative_error, holdout_scores, summarize_scores

__all__ = [
    "Backtest",
    "Calibration",
    "Comparison",
    "DifferentDataError",
    "ExtrapolationWarning",
    "LawEnsemble",
    "ParetoKPoint",
    "ParetoKWarning",
    "RunPlan",
    "absolute_relative_error",
    "backtest",
    "calibrate",
    "calibration_of",
    "candidate_laws",
    "chained_draws",
    "compare",
    "compute_optimal",
    "curve",
    "extrapolation_distance",
    "extrapolation_path",
    "holdout_runs",
    "holdout_scores",
    "load_fit",
    "loo_pit",
    "model_averaged_prediction",
    "plan_next_runs",
    "predict",
    "predict_chained",
    "predictive_draws",
    "residuals",
    "summarize_draws",
    "summarize_scores",
    "target_covariates",
]
