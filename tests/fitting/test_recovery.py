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
    # Muennighoff et al.'s fit; unique tokens from 30M to 10B, so runs range from a fraction of
    # an epoch to thousands of epochs, and many models exceed the optimal size for their data.
    "data_constrained": (
        {},
        dict(E=1.87, A=520.8, B=1487.7, alpha=0.353, beta=0.353, R_D_star=15.4, R_N_star=5.3),
        {"N": (7, 9.5), "D": (8.5, 11.5), "U": (7.5, 10)},
    ),
    # One to eight parallel streams.
    "parscale": (
        {},
        dict(E=1.7, A=1.0e8, alpha=0.2, k=0.4),
        {"N": (7, 10.5), "P": (0, np.log10(8))},
    ),
    # Kaplan et al.'s constants; batches from well below to well above the critical batch size.
    "kaplan_batch": (
        {},
        dict(N_c=8.8e13, alpha_N=0.076, S_c=2.1e3, alpha_S=0.76, B_star=2.0e8, alpha_B=0.21),
        {"N": (6, 10), "S": (3, 5), "B": (5, 7)},
    ),
    # From near the random-guess loss L_0 down towards L_inf.
    "m4": (
        {"covariate": "D"},
        dict(L_inf=1.8, L_0=6.0, alpha=1.5, beta=3.0e3, c=-0.4),
        {"D": (4.5, 13)},
    ),
    # Plateau, power law and floor all inside the data.
    "learning_curve_regimes": (
        {"covariate": "D"},
        dict(E=1.8, L_p=6.0, X_0=1e8, alpha=0.5),
        {"D": (5, 13)},
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


@pytest.mark.slow
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


# Variants a family's options select, recovered the same way, keyed by the variant's label.
VARIANT_DESIGNS = {
    # A steepening then a flattening break, each two decades inside the data.
    "broken_power_law(covariate=D, breaks=2)": (
        "broken_power_law",
        {"covariate": "D", "breaks": 2},
        dict(E=1.2, A=25.0, c0=0.15, c1=0.25, d1=1e8, f1=0.3, c2=-0.2, d2=3.16e10, f2=0.3),
        {"D": (6, 13)},
    ),
}


def test_every_variant_design_matches_its_law():
    for label, (name, options, truth, ranges) in VARIANT_DESIGNS.items():
        law = get_law(name, **options)
        assert law.label == label
        assert set(truth) == set(law.parameters) and set(ranges) == set(law.covariates)


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(VARIANT_DESIGNS))
def test_variant_recovery_coverage(label):
    name, options, truth, ranges = VARIANT_DESIGNS[label]
    law = get_law(name, **options)
    covered = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        # Two breaks need more points than one to be placed.
        x = {k: 10 ** rng.uniform(*ranges[k], 100) for k in law.covariates}
        y = law.curve(x, truth) * np.exp(rng.normal(0, NOISE_SD, 100))
        fit = ScalingLawFit(law, sampler={"draws": 1000, "tune": 1000})
        summary = fit.fit(pd.DataFrame({**x, "loss": y}), random_seed=seed).summary(ci_prob=0.9)
        covered += [
            summary.loc[p, "ci_low"] <= value <= summary.loc[p, "ci_high"]
            for p, value in truth.items()
        ]
    coverage = np.mean(covered)
    assert coverage >= 0.8, f"{label}: 90% intervals covered the truth {coverage:.0%} of the time"
