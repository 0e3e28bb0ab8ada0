"""Downstream performance from public models: observational scaling (Ruan et al. 2024), a
Bayesian low-rank model of benchmark scores across model families, and its held-out protocol
against a per-family power law."""

from workbench.downstream.baseline import power_law_baseline
from workbench.downstream.capabilities import CHANCE_FLOORS
from workbench.downstream.holdout import (
    ABOVE_CUT,
    BASELINE,
    BAYESIAN,
    PREREGISTERED,
    RUAN2024_CUT,
    HoldoutReport,
    holdout_groups,
    holdout_report,
    score_holdout,
)
from workbench.downstream.observational import DEFAULT_COMPONENTS, ObservationalScalingFit

__all__ = [
    "ABOVE_CUT",
    "BASELINE",
    "BAYESIAN",
    "CHANCE_FLOORS",
    "DEFAULT_COMPONENTS",
    "PREREGISTERED",
    "RUAN2024_CUT",
    "HoldoutReport",
    "ObservationalScalingFit",
    "holdout_groups",
    "holdout_report",
    "power_law_baseline",
    "score_holdout",
]
