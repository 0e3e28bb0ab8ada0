"""Accelerated, plain and sub-scaling emergence from simulated tasks (τ chosen here)."""

import warnings

import numpy as np
import pytest

from workbench.emergence import TAU, emergence_test, simulate_task

SIZES = np.geomspace(1e8, 1e10, 6)
# F = log(-log PU) against x = log(N / 1e8): one line, or the minimum of a shallow and a steep
# line crossing mid-range (slope 0.15 then 1.0: a second circuit takes over).
PLAIN = [(1.79, 0.5)]
CONCAVE = [(1.79, 0.15), (3.745, 1.0)]
SAMPLER = {"draws": 500, "tune": 500}


def verdicts(terms):
    results = []
    for seed in range(10):
        logs = simulate_task(terms, SIZES, 100, None, seed, reference_N=1e8)
        results.append(emergence_test(logs, compare=False, random_seed=seed))
    return results


def test_tau_is_documented():
    assert TAU == 0.15


def test_concave_f_is_accelerated():
    results = verdicts(CONCAVE)
    assert sum(r.verdict == "accelerated" and r.p_accelerated >= 0.9 for r in results) >= 8


def test_linear_f_is_plain():
    results = verdicts(PLAIN)
    assert sum(r.verdict == "plain" and r.p_plain >= 0.9 for r in results) >= 8


@pytest.mark.parametrize(("terms", "best"), [(CONCAVE, "multiple_circuits"), (PLAIN, None)])
def test_loo_comparison_and_text(terms, best):
    logs = simulate_task(terms, SIZES, 100, None, 0, reference_N=1e8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = emergence_test(logs, sampler=SAMPLER, random_seed=0)
    assert set(result.loo.index) == {"task_law", "multiple_circuits"}
    if best:
        assert result.loo.index[0] == best
    assert f"{result.p_accelerated:.2f}" in result.text and "PSIS-LOO" in result.text
    assert result.p_accelerated + result.p_plain + result.p_subscaling == pytest.approx(1)
