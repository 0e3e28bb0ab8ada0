"""The test-time accuracy law: its allocation under the two cost models, and its parameters
recovered from simulated accuracies."""

import numpy as np
import pytest

from workbench.testtime import (
    ILLUSTRATIVE_LAW,
    QWEN3,
    InferenceAccuracyFit,
    accuracy,
    allocate,
    compare_allocations,
    simulate_accuracies,
)


def test_accuracy_is_best_of_n_coverage():
    # At 1e9 parameters and 1,000 tokens the logit is the intercept: p1 = σ(0) = 1/2 with a 0.
    assert accuracy(1e9, 1000, 1, 0.0, 0.7, 1.0) == pytest.approx(0.5)
    assert accuracy(1e9, 1000, 3, 0.0, 0.7, 1.0) == pytest.approx(1 - 0.5**3)


def test_flops_only_picks_a_smaller_model_with_longer_generations():
    """Sadhukhan et al.'s point: counted in FLOPs, small models with long generations look
    cheap; with the KV cache's memory counted they are not. Measured at a 1e15 budget with the
    illustrative law: FLOPs only picks Qwen3-1.7B writing 4,096 tokens 64 times, the Kinetics
    cost Qwen3-14B writing 512 tokens 32 times."""
    both = compare_allocations(1e15)
    flops, kinetics = both["flops"], both["kinetics"]
    assert flops["parameters"] < kinetics["parameters"]
    assert flops["tokens"] > kinetics["tokens"]
    # The FLOPs-only choice overruns the budget many times once memory is counted.
    assert flops["kinetics_cost"] > 10 * 1e15
    assert kinetics["kinetics_cost"] <= 1e15


def test_allocation_respects_the_budget_and_says_when_nothing_fits():
    best = allocate(1e16, cost_model="kinetics")
    assert best["cost"] <= 1e16 and best["model"] in QWEN3
    assert allocate(1e9, cost_model="kinetics") is None
    with pytest.raises(ValueError, match="budget must be positive"):
        allocate(0.0)
    with pytest.raises(ValueError, match="needs token_slope"):
        allocate(1e16, {"intercept": 0.0, "size_slope": 1.0})


def test_law_recovered_from_simulated_accuracies(tmp_path):
    results = simulate_accuracies(random_seed=2)
    fit = InferenceAccuracyFit().fit(results, random_seed=2)
    summary = fit.summary(ci_prob=0.9)
    for name, truth in ILLUSTRATIVE_LAW.items():
        assert summary.loc[name, "ci_low_90"] < truth < summary.loc[name, "ci_high_90"], name
    assert fit.diagnostics().problems() == []
    median = fit.law_median()
    assert np.isclose(median["token_slope"], ILLUSTRATIVE_LAW["token_slope"], atol=0.1)
    assert compare_allocations(1e15, median)["kinetics"]["model"] == "Qwen3-14B"
    loaded = InferenceAccuracyFit.load(fit.save(tmp_path / "testtime.nc"))
    assert loaded.law_median() == median
    assert loaded.results_["solved"].tolist() == results["solved"].tolist()


def test_results_are_checked():
    with pytest.raises(ValueError, match="need the columns solved"):
        InferenceAccuracyFit().fit(simulate_accuracies(random_seed=0).drop(columns="solved"))
