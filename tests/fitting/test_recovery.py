"""Parameter recovery: 90 % intervals cover the truth for data simulated from each law.

Real NUTS on small draws with fixed seeds. Pooled over 10 seeds and all of a law's parameters,
at least 80 % of the 90 % intervals must contain the true value.
"""

import numpy as np
import pandas as pd
import pytest

from workbench.fitting import ScalingLawFit
from workbench.laws import LAWS, get_law
from workbench.runs import RunTable

SEEDS = range(10)
NOISE_SD = 0.015

# (law options, true parameters, covariate ranges as log10 bounds)
DESIGNS = {
    "chinchilla": (
        {},
        dict(E=1.8, A=480.0, B=2000.0, alpha=0.35, beta=0.37),
        {"N": (7, 9.5), "D": (8, 11)},
    ),
    "kaplan_joint": (
        {},
        dict(N_c=8.8e13, D_c=5.4e13, alpha_N=0.076, alpha_D=0.095),
        {"N": (6, 9.5), "D": (7, 10.5)},
    ),
    "power_law": ({"covariate": "C"}, dict(E=1.7, A=2.0e3, alpha=0.17), {"C": (17, 22)}),
    "broken_power_law": (
        {"covariate": "D"},
        dict(E=1.6, A=60.0, c0=0.15, c1=0.25, d1=3e9, f1=0.4),
        {"D": (7, 12)},
    ),
    # Gadre et al.'s RedPajama fit.
    "overtraining": (
        {},
        dict(E=1.84, a=212.0, b=366.7, eta=0.136),
        {"N": (7, 9.5), "D": (8.5, 11.5)},
    ),
    # Gadre et al.'s 17-task fit; the covariate is the loss, here 2.5 to 5.5 nats per token.
    "downstream_error": (
        {},
        dict(epsilon=0.857, k=2.206, gamma=0.7146),
        {"loss": (np.log10(2.5), np.log10(5.5))},
    ),
    # Li et al.'s optimal learning rate (the "loss" column stands for η here).
    "optimal_hyperparameters": (
        {"covariates": ("N", "D")},
        dict(A=1.79, b_N=-0.713, b_D=0.307),
        {"N": (8, 10), "D": (9.5, 11.5)},
    ),
}


def simulate(name, seed, n_points=60):
    options, truth, ranges = DESIGNS[name]
    law = get_law(name, **options)
    rng = np.random.default_rng(seed)
    x = {k: 10 ** rng.uniform(*ranges[k], n_points) for k in law.covariates}
    y = law.curve(x, truth) * np.exp(rng.normal(0, NOISE_SD, n_points))
    if "loss" in law.covariates:
        # A law of downstream error reads the loss as its covariate; its target is the error.
        runs = pd.DataFrame({"run": [f"run-{i}" for i in range(n_points)], **x, "error": y})
        return law, truth, RunTable(runs, target="error")
    return law, truth, pd.DataFrame({**x, "loss": y})


def test_every_law_has_a_recovery_design():
    assert set(DESIGNS) == set(LAWS)


@pytest.mark.parametrize("name", sorted(LAWS))
def test_parameter_recovery_coverage(name):
    covered = []
    for seed in SEEDS:
        law, truth, runs = simulate(name, seed)
        fit = ScalingLawFit(law, sampler={"draws": 1000, "tune": 1000}).fit(runs, random_seed=seed)
        summary = fit.summary(ci_prob=0.9)
        covered += [
            summary.loc[p, "ci_low"] <= value <= summary.loc[p, "ci_high"]
            for p, value in truth.items()
        ]
    coverage = np.mean(covered)
    assert coverage >= 0.8, f"{name}: 90% intervals covered the truth {coverage:.0%} of the time"
