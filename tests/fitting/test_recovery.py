"""Parameter recovery: 90 % intervals cover the truth for data simulated from each law.

Real NUTS on small draws with fixed seeds. Pooled over 10 seeds and all of a law's parameters,
at least 80 % of the 90 % intervals must contain the true value.
"""

import numpy as np
import pandas as pd
import pytest
from law_cases import CASES

from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.runs import RunTable

SEEDS = range(10)
NOISE_SD = 0.015


def simulate(name, seed, n_points=60):
    design = CASES[name].recovery
    law, truth, ranges = get_law(name, **design.options), design.truth, design.log10_ranges
    rng = np.random.default_rng(seed)
    x = {k: 10 ** rng.uniform(*ranges[k], n_points) for k in law.covariates}
    y = law.curve(x, truth) * np.exp(rng.normal(0, NOISE_SD, n_points))
    if "loss" in law.covariates:
        # A law of downstream error reads the loss as its covariate; its target is the error.
        runs = pd.DataFrame({"run": [f"run-{i}" for i in range(n_points)], **x, "error": y})
        return law, truth, RunTable(runs, target="error")
    return law, truth, pd.DataFrame({**x, "loss": y})


def test_every_law_has_a_recovery_design():
    for name, case in CASES.items():
        law = get_law(name, **case.recovery.options)
        assert set(case.recovery.truth) == set(law.parameters)
        assert set(case.recovery.log10_ranges) == set(law.covariates)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_parameter_recovery_coverage(name):
    covered = []
    for seed in SEEDS:
        law, truth, runs = simulate(name, seed)
        fit = ScalingLawFit(law, sampler={"draws": 1000, "tune": 1000}).fit(runs, random_seed=seed)
        summary = fit.summary(ci_prob=0.9)
        covered += [
            summary.loc[p, "ci_low_90"] <= value <= summary.loc[p, "ci_high_90"]
            for p, value in truth.items()
        ]
    coverage = np.mean(covered)
    assert coverage >= 0.8, f"{name}: 90% intervals covered the truth {coverage:.0%} of the time"


VARIANTS = {
    label: (name, design) for name, case in CASES.items() for label, design in case.variants.items()
}


def test_every_variant_design_matches_its_law():
    for label, (name, design) in VARIANTS.items():
        law = get_law(name, **design.options)
        assert law.label == label
        assert set(design.truth) == set(law.parameters)
        assert set(design.log10_ranges) == set(law.covariates)


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(VARIANTS))
def test_variant_recovery_coverage(label):
    name, design = VARIANTS[label]
    law, truth, ranges = get_law(name, **design.options), design.truth, design.log10_ranges
    covered = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        # Two breaks need more points than one to be placed.
        x = {k: 10 ** rng.uniform(*ranges[k], 100) for k in law.covariates}
        y = law.curve(x, truth) * np.exp(rng.normal(0, NOISE_SD, 100))
        fit = ScalingLawFit(law, sampler={"draws": 1000, "tune": 1000})
        summary = fit.fit(pd.DataFrame({**x, "loss": y}), random_seed=seed).summary(ci_prob=0.9)
        covered += [
            summary.loc[p, "ci_low_90"] <= value <= summary.loc[p, "ci_high_90"]
            for p, value in truth.items()
        ]
    coverage = np.mean(covered)
    assert coverage >= 0.8, f"{label}: 90% intervals covered the truth {coverage:.0%} of the time"
