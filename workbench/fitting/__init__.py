"""Bayesian fits of scaling laws: PyMC models sampled with nutpie, diagnostics, save and load."""

from workbench.fitting.diagnostics import Diagnostics, FitWarning
from workbench.fitting.fit import DEFAULT_SAMPLER, FitFileError, NotFittedError, ScalingLawFit
from workbench.fitting.model import FitCancelled

__all__ = [
    "DEFAULT_SAMPLER",
    "Diagnostics",
    "FitCancelled",
    "FitFileError",
    "FitWarning",
    "NotFittedError",
    "ScalingLawFit",
]
