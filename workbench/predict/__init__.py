"""Extrapolation with credible intervals and compute-optimal allocation."""

from workbench.predict.extrapolate import (
    compute_optimal,
    predict,
    summarize_draws,
    target_covariates,
)

__all__ = ["compute_optimal", "predict", "summarize_draws", "target_covariates"]
