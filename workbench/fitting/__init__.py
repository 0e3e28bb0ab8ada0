"""Bayesian fits of scaling laws: PyMC models sampled with nutpie, diagnostics, save and load."""

from workbench.fitting.base import DEFAULT_SAMPLER, BayesianFit, FitFileError, NotFittedError
from workbench.fitting.diagnostics import Diagnostics, FitWarning
from workbench.fitting.fit import ScalingLawFit
from workbench.fitting.model import FitCancelled

__all__ = [
    "DEFAULT_SAMPLER",
    "BayesianFit",
    "Diagnostics",
    "FitCancelled",
    "FitFileError",
    "FitWarning",
    "NotFittedError",
    "ScalingLawFit",
]
