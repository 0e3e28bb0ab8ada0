"""Scaling-law families. Each module registers one family in ``LAWS``."""

from workbench.laws import broken_power_law, chinchilla, kaplan_joint, power_law
from workbench.laws.base import COVARIATE_UNITS, LAWS, ScalingLaw, get_law, register
from workbench.laws.priors import Prior

__all__ = [
    "COVARIATE_UNITS",
    "LAWS",
    "Prior",
    "ScalingLaw",
    "broken_power_law",
    "chinchilla",
    "get_law",
    "kaplan_joint",
    "power_law",
    "register",
]
