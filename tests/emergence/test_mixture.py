"""The task-law mixture: coverage at 10× the largest size on straight and two-circuit tasks, with
real NUTS at the laws' default settings, the discrepancy's cost, and its pure pieces."""

import numpy as np
import pandas as pd
import pytest

from workbench.emergence import (
    TaskLawMixture,
    extrapolation_distance,
    extrapolation_sd,
    simulate_task,
    true_pu,
)
from workbench.emergence.discrepancy import EXTRAPOLATION_FLOOR, EXTRAPOLATION_SD_PER_DECADE
from workbench.emergence.mixture import mixture_draws
from workbench.fitting import NotFittedError
from workbench.fitting.diagnostics import RHAT_LIMIT

SIZES = np.geomspace(1e8, 1e10, 6)
TARGET = 1e11  # ten times the largest size
# F = log(-log PU) against log(N / 1e8): one line, or a shallow line overtaken mid-range by a
# steep one (a second circuit), as in test_emergence.
TASKS = {"straight": [(1.79, 0.5)], "concave": [(1.79, 0.15), (3.745, 1.0)]}
SEEDS = range(10)


def outcome(terms, seed):
    logs = simulate_task(terms, SIZES, 100, None, seed, reference_N=1e8)
    mixture = TaskLawMixture().fit(logs, random_seed=seed)
    with_discrepancy = mixture.pass_rates([TARGET])[:, 0, 0]
    laws_only = mixture.pass_rates([TARGET], discrepancy=False)[:, 0, 0]
    low, high = np.quantile(with_discrepancy, [0.05, 0.95])
    low_laws, high_laws = np.quantile(laws_only, [0.05, 0.95])
    truth = float(true_pu(logs, TARGET)[0])
    return {
        "inside": low <= truth <= high,
        "widening": (high - low) / (high_laws - low_laws),
        "weights": mixture.weights_,
        "diagnostics": mixture.diagnostics(),
    }


@pytest.fixture(scope="module")
def outcomes():
    return {name: [outcome(terms, seed) for seed in SEEDS] for name, terms in TASKS.items()}


@pytest.mark.parametrize("task", list(TASKS))
def test_truth_inside_the_90_interval_at_ten_times_the_largest_size(outcomes, task):
    inside = [result["inside"] for result in outcomes[task]]
    assert sum(inside) >= 8, inside  # measured 9 of 10 for both


def test_the_laws_converge_at_their_defaults(outcomes):
    for results in outcomes.values():
        for result in results:
            for diagnostics in result["diagnostics"].values():
                assert diagnostics.rhat_max <= RHAT_LIMIT
                assert diagnostics.ess_bulk_min >= 400 and diagnostics.divergences == 0


def test_weights_follow_the_bend(outcomes):
    accelerated = [result["weights"]["accelerated"] for result in outcomes["concave"]]
    assert sum(weight >= 0.5 for weight in accelerated) >= 9, accelerated  # measured 10
    plain = [result["weights"]["plain"] for result in outcomes["straight"]]
    assert sum(weight >= 0.5 for weight in plain) >= 6, plain  # measured 7


def test_discrepancy_costs_little_where_the_law_is_right(outcomes):
    widening = [result["widening"] for result in outcomes["straight"]]
    assert np.median(widening) <= 1.25 and max(widening) <= 1.3, widening


def test_extrapolation_sd_grows_with_decades_past_the_largest_size():
    distance = extrapolation_distance([1e9, 1e10, 1e11, 1e12], 1e10)
    np.testing.assert_allclose(distance, [0.0, 0.0, 1.0, 2.0])
    expected = np.hypot(EXTRAPOLATION_FLOOR, EXTRAPOLATION_SD_PER_DECADE * distance)
    np.testing.assert_allclose(extrapolation_sd([1e9, 1e10, 1e11, 1e12], 1e10), expected)


def test_mixture_draws_take_each_law_in_proportion_to_its_weight():
    draws = {label: np.full((1000, 1, 2), value) for label, value in (("a", 0), ("b", 1))}
    mixed = mixture_draws(draws, pd.Series({"a": 0.25, "b": 0.75}), random_seed=0)
    assert mixed.shape == (1000, 1, 2) and mixed.mean() == pytest.approx(0.75)
    one = mixture_draws(draws, pd.Series({"a": 1.0, "b": 0.0}), random_seed=0)
    assert (one == 0).all()


def test_unfitted_mixture_says_what_to_call():
    with pytest.raises(NotFittedError, match="fit"):
        TaskLawMixture().pass_rates([TARGET])
