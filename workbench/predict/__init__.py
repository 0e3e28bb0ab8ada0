"""Extrapolation with credible intervals, compute-optimal allocation, checks and comparison."""

from workbench.predict.checks import compare, curve, extrapolation_path, loo_pit, residuals
from workbench.predict.extrapolate import (
    compute_optimal,
    predict,
    summarize_draws,
    target_covariates,
)

__all__ = [
    "compare",
    "compute_optimal",
    "curve",
    "extrapolation_path",
    "loo_pit",
    "predict",
    "residuals",
    "summarize_draws",
    "target_covariates",
]
