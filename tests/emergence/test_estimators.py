"""Closed-form estimators, censoring, Beta posteriors and sampling plans."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from workbench.emergence import (
    InstanceLaw,
    instance_posteriors,
    passuntil_estimate,
    plan_sampling,
    simulate_passuntil,
    true_pu,
    unbiased_estimate,
)
from workbench.emergence.estimators import censored_upper_bound, geometric_inverse_mean
from workbench.emergence.simulate import sample_until_pass, simulate_task


def test_r_over_k_is_biased_upward_at_one_pass():
    """Stopping at the first pass: E[1/K] = p·log(1/p)/(1 − p) ≈ 0.047 for p = 0.01."""
    rng = np.random.default_rng(0)
    attempts, passes = sample_until_pass(np.full(200_000, 0.01), None, rng)
    assert (passes == 1).all()
    mean = np.mean(passes / attempts)
    assert mean == pytest.approx(geometric_inverse_mean(0.01), rel=0.02)
    assert geometric_inverse_mean(0.01) == pytest.approx(0.0465, abs=5e-4)
    assert mean > 4 * 0.01


def test_unbiased_estimate_with_several_passes():
    logs = simulate_task([(np.log(-np.log(0.02)), 0.0)], [1e8, 1e9], 20_000, None, 1, passes=3)
    table = unbiased_estimate(logs)
    np.testing.assert_allclose(table["pu"], 0.02, rtol=0.02)
    assert (table["excluded"] == 0).all()
    biased = passuntil_estimate(logs)["pu"]
    assert (biased > 0.0205).all()  # r/K = 3/K is biased upward too, by less


def test_censored_instances_are_reported_not_imputed():
    frame = pd.DataFrame(
        {
            "N": [1e8, 1e8, 1e9],
            "instance": ["a", "b", "a"],
            "attempts": [100, 1000, 4],
            "passes": [1, 0, 1],
            "max_attempts": [1000, 1000, 1000],
        }
    )
    table = passuntil_estimate(frame)
    first = table.iloc[0]
    assert first["censored"] == 1 and np.isnan(first["pu"])
    assert first["pu_low"] == pytest.approx(0.005)
    bound = 1 - 0.05 ** (1 / 1000)
    assert bound == pytest.approx(censored_upper_bound(1000))
    assert first["pu_high"] == pytest.approx((0.01 + bound) / 2)
    assert table.iloc[1]["pu"] == pytest.approx(0.25)


def test_beta_posteriors_match_scipy_and_numerical_integration():
    logs = simulate_passuntil(
        InstanceLaw(1.0, 0.8, 0.4, 0.05, reference_N=1e8), [1e8, 1e9], 30, 500, 3
    )
    prior = (0.5, 2.0)
    table = instance_posteriors(logs, prior=prior, ci_prob=0.9)
    r, k = logs.passes, logs.attempts
    np.testing.assert_allclose(table["mean"], stats.beta.mean(prior[0] + r, prior[1] + k - r))
    np.testing.assert_allclose(
        table["ci_high_90"], stats.beta.ppf(0.95, prior[0] + r, prior[1] + k - r)
    )
    # The posterior is likelihood × prior normalized: check one censored and one passed row.
    for row in [int(np.flatnonzero(logs.censored)[0]), int(np.flatnonzero(r == 1)[0])]:

        def unnormalized(p, row=row):
            return p ** r[row] * (1 - p) ** (k[row] - r[row]) * stats.beta.pdf(p, *prior)

        total = integrate.quad(unnormalized, 0, 1, points=[1 / k[row]], limit=200)[0]
        mean = (
            integrate.quad(lambda p: p * unnormalized(p), 0, 1, points=[1 / k[row]], limit=200)[0]
            / total
        )
        assert table["mean"].iloc[row] == pytest.approx(mean, rel=1e-4)


def test_plan_reaches_target_precision_in_simulation():
    rng = np.random.default_rng(0)
    p = np.exp(rng.normal(np.log(0.01), 1.0, 50))
    plan = plan_sampling(p, rel_precision=0.1)
    estimates = []
    for _ in range(1000):
        attempts, passes = sample_until_pass(p, None, rng, passes=plan.passes)
        estimates.append(np.mean((passes - 1) / (attempts - 1)))
    relative = np.std(estimates) / p.mean()
    assert np.mean(estimates) == pytest.approx(p.mean(), rel=0.02)
    assert 0.05 < relative <= 0.11
    assert plan.total_attempts == pytest.approx(np.sum(plan.passes / p))


def test_plan_from_pilot_logs():
    pilot = simulate_task([(np.log(-np.log(0.05)), 0.0)], [1e8], 40, 2000, 2)
    plan = plan_sampling(pilot, rel_precision=0.2)
    assert plan.passes >= 3 and plan.rel_precision <= 0.2


def test_truth_of_simulated_logs():
    logs = simulate_task([(1.0, 0.5), (3.0, 1.5)], [1e8, 1e10], 5, 100, 0, reference_N=1e8)
    np.testing.assert_allclose(true_pu(logs, [1e8]), np.exp(-np.exp(1.0)))
