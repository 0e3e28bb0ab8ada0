"""The hierarchical PassUntil model: recovery, censoring and predictions, with real NUTS."""

import warnings

import numpy as np
import pytest

from workbench.emergence import (
    InstanceLaw,
    PassUntilFit,
    passuntil_estimate,
    predict_passuntil,
    simulate_passuntil,
    true_pu,
)
from workbench.fitting import NotFittedError

SIZES = np.geomspace(1e8, 1e10, 6)
TARGET = 1e11  # ten times the largest size
LAW = InstanceLaw(mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9)
BUDGET = 2000
SAMPLER = {"draws": 500, "tune": 500}


def simulated(seed):
    return simulate_passuntil(LAW, SIZES, 100, BUDGET, seed)


def fitted(logs, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short chains; convergence is asserted separately
        return PassUntilFit(sampler=SAMPLER).fit(logs, random_seed=seed)


@pytest.fixture(scope="module")
def recovery():
    results = []
    for seed in range(10):
        logs = simulated(seed)
        fit = fitted(logs, seed)
        table = predict_passuntil(fit, TARGET, ci_prob=0.9)
        pu = table[table["quantity"] == "PU"].iloc[0]
        results.append((logs, fit, pu, float(true_pu(logs, TARGET)[0])))
    return results


def test_smallest_model_is_censored(recovery):
    logs = recovery[0][0]
    smallest = SIZES[0] == logs.N
    assert logs.censored[smallest].sum() >= 10


def test_recovers_pu_at_ten_times_the_largest_size(recovery):
    inside = [row["ci_low_90"] <= truth <= row["ci_high_90"] for _, _, row, truth in recovery]
    errors = [abs(row["median"] / truth - 1) for _, _, row, truth in recovery]
    assert sum(inside) >= 8, inside
    assert np.mean(errors) <= 0.25, errors


def test_converges(recovery):
    diagnostics = recovery[0][1].diagnostics()
    assert diagnostics.rhat_max < 1.05 and diagnostics.divergences == 0


def test_idata_groups_and_pointwise_likelihood(recovery):
    logs, fit, _, _ = recovery[0]
    assert {"posterior", "log_likelihood", "observed_data", "sample_stats"} <= set(
        fit.idata.children
    )
    assert fit.idata["log_likelihood"]["passes"].shape[-1] == len(logs)
    assert fit.idata["posterior"]["log_c"].sizes["instance"] == 100


def test_censoring_matters(recovery):
    logs, fit, _, _ = recovery[0]
    smallest = SIZES[0]
    truth = float(true_pu(logs, smallest)[0])
    ours = fit.pass_rates([smallest]).mean(axis=1)[:, 0]
    low, high = np.quantile(ours, [0.05, 0.95])
    assert low <= truth <= high
    assert abs(np.median(ours) / truth - 1) < 0.3

    # Naive closed forms: averaging r/K over the passed instances, or counting censored ones
    # as 0, are both far above the truth (censoring removes the hardest instances, and r/K
    # overstates each instance's rate when sampling stops at the first pass).
    naive = passuntil_estimate(logs).iloc[0]
    passed = logs.subset((smallest == logs.N) & ~logs.censored)
    assert (passed.passes / passed.attempts).mean() > 2 * truth
    assert naive["pu_low"] > 1.5 * truth

    # The same model without the censored rows is biased upward.
    dropped = fitted(logs.subset(~logs.censored), 0)
    naive_draws = dropped.pass_rates([smallest]).mean(axis=1)[:, 0]
    assert np.quantile(naive_draws, 0.05) > truth
    assert np.median(naive_draws) > 1.3 * truth


def test_predict_passuntil_columns(recovery):
    fit = recovery[0][1]
    table = predict_passuntil(fit, ["10B", 1e11], ci_prob=0.9, inner_prob=0.5, k=(1, 10))
    assert set(table["quantity"]) == {"PU", "pass@1", "pass@10"}
    pu = table[table["quantity"] == "PU"]["median"].to_numpy()
    pass1 = table[table["quantity"] == "pass@1"]["median"].to_numpy()
    pass10 = table[table["quantity"] == "pass@10"]["median"].to_numpy()
    np.testing.assert_allclose(pu, pass1)
    assert (pass10 > pass1).all() and (np.diff(pu) > 0).all()
    assert {"ci_low_50", "ci_high_90"} <= set(table.columns)


def test_unfitted_model_says_what_to_call():
    with pytest.raises(NotFittedError, match="fit"):
        PassUntilFit().idata  # noqa: B018
