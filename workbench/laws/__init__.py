"""Scaling-law families. Each module registers one family in ``LAWS``."""

from workbench.laws import (
    broken_power_law,
    chinchilla,
    data_constrained,
    downstream_error,
    kaplan_batch,
    kaplan_joint,
    learning_curve_regimes,
    m4,
    optimal_hyperparameters,
    overtraining,
    parscale,
    power_law,
)
from workbench.laws.base import COVARIATE_UNITS, LAWS, ScalingLaw, get_law, law_table, register
from workbench.laws.priors import Prior

__all__ = [
    "COVARIATE_UNITS",
    "LAWS",
    "Prior",
    "ScalingLaw",
    "broken_power_law",
    "chinchilla",
    "data_constrained",
    "downstream_error",
    "get_law",
    "kaplan_batch",
    "kaplan_joint",
    "law_table",
    "learning_curve_regimes",
    "m4",
    "optimal_hyperparameters",
    "overtraining",
    "parscale",
    "power_law",
    "register",
]
