"""Runs that contradict a law's shape, found before sampling and said in plain words.

A law fitted to such runs still samples, but its R-hat and ESS warnings would point at the
sampler when the trouble is the data: a target that rises with scale, one covariate held at a
single value, or a constant target.
"""

import numpy as np
from scipy.stats import spearmanr

from workbench.fitting.diagnostics import FitWarning
from workbench.laws import ScalingLaw
from workbench.runs import RunTable

RISING_P_VALUE = 0.05
"""One-sided Spearman test: a target that rises with scale at this level is reported."""
SCALE_NAMES = {"C": "compute", "N": "model size", "D": "tokens"}


class DataShapeWarning(FitWarning):
    """The runs cannot teach the law what it assumes, whatever the sampler does."""


def shape_problems(law: ScalingLaw, runs: RunTable) -> list[str]:
    """Plain-language reasons why ``runs`` contradict ``law``'s shape; empty when none."""
    problems = []
    y = runs.y
    if np.ptp(y) <= 1e-9 * np.abs(y).max():
        problems.append(
            f"every row has the same {runs.target} ({y[0]:.4g}), so the law's scale terms "
            "cannot be learned: check the target column"
        )
    for name in law.covariates:
        values = np.unique(runs.column(name))
        if len(law.covariates) > 1 and values.size == 1:
            problems.append(
                f"every row has {name} = {values[0]:.3g}, so {law.label} cannot tell the {name} "
                f"term from the constant: add runs at other {name}, or fit a law without {name}"
            )
    scale = scale_column(law, runs)
    if law.falls_with_scale and scale and not problems:
        rho, p_value = spearmanr(runs.column(scale), y, alternative="greater")
        if p_value < RISING_P_VALUE:
            problems.append(
                f"{runs.target} rises with {SCALE_NAMES[scale]} (Spearman ρ = {rho:+.2f} over "
                f"{len(y)} rows), but {law.label} assumes it falls: check that the target is a "
                "loss or error rather than an accuracy, and the units of the covariates"
            )
    return problems


def scale_column(law: ScalingLaw, runs: RunTable) -> str | None:
    """The column that measures scale for ``law``: compute for a law in N and D, else the first
    of C, N and D the law reads; None for a law that reads none of them."""
    covariates = {*law.covariates, *(("C",) if {"N", "D"} <= set(law.covariates) else ())}
    return next((name for name in ("C", "N", "D") if name in covariates and runs.has(name)), None)
