"""The effective-utility law against a loop transcription of the authors' code, and the
oracle: with Goyal et al.'s published parameters the best pool changes with compute."""

from dataclasses import replace

import numpy as np
import pytest

from workbench.filtering import (
    GOYAL_TMARS_IMAGENET,
    Candidate,
    UtilityParameters,
    best_by_budget,
    crossovers,
    default_candidates,
    utility_error,
)

# Published parameters, Goyal et al. 2024 (arXiv:2404.07177), locuslab/scaling_laws_data_filtering
# commit 251f695, results/parameter_values.jsonl id "tmars_imagenet1k_utility".
PUBLISHED_A, PUBLISHED_D = 0.025, 0.1
PUBLISHED_B = [-0.16, -0.125, -0.1, -0.085, -0.12]
PUBLISHED_TAU = [6.7272727272727275, 8.545454545454547, 5.2727272727272725, 2.2727272727272725, 6.0]
# Measured here (root-found on a 2000-point log grid over 1e7–1e10 samples; unchanged at 400).
CROSSOVERS = [1.0054e8, 1.0963e9]


def reference_error(samples_seen, bs, taus, per_epoch, a, d):
    """The loop of objective.func_effective_utility(_aggregation), one budget at a time."""
    epochs = np.arange(samples_seen // per_epoch + 1)
    exponents = np.mean(
        [b * 0.5 ** (epochs / tau) for b, tau in zip(bs, taus, strict=True)], axis=0
    )
    samples = a * np.minimum(per_epoch * (epochs + 1), samples_seen) / 1e5
    before = a * per_epoch * epochs / 1e5
    error = d + samples[0] ** exponents[0]
    for k in range(1, len(epochs)):
        error *= (samples[k] / before[k]) ** exponents[k]
    return error


def test_the_published_parameters_are_held():
    pools = GOYAL_TMARS_IMAGENET.pools
    assert (GOYAL_TMARS_IMAGENET.a, GOYAL_TMARS_IMAGENET.d) == (PUBLISHED_A, PUBLISHED_D)
    assert [pool.b for pool in pools] == PUBLISHED_B
    assert [pool.tau for pool in pools] == PUBLISHED_TAU


@pytest.mark.parametrize("k", [1, 2, 4])
def test_the_law_matches_the_authors_loop(k):
    pools = GOYAL_TMARS_IMAGENET.pools[:k]
    candidate = Candidate("mixture", pools)
    per_epoch = 12_800_000 * k
    budgets = [5e6, 12.8e6 * k, 25.6e6, 1e8, 6.4e8, 2e9]
    got = utility_error(budgets, candidate, PUBLISHED_A, PUBLISHED_D)
    # A mixture's half-lives count k times slower, as estimate_best_pool.py's c_list * num_buckets.
    taus = [pool.tau * k for pool in pools]
    expected = [
        reference_error(int(n), [p.b for p in pools], taus, per_epoch, PUBLISHED_A, PUBLISHED_D)
        for n in budgets
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_repetition_costs_utility_and_more_samples_still_help():
    top = GOYAL_TMARS_IMAGENET.pools[0]
    budgets = np.geomspace(3e7, 1e10, 50)
    decaying = utility_error(budgets, Candidate("top", (top,)), PUBLISHED_A, PUBLISHED_D)
    fresh = Candidate("never decays", (replace(top, tau=1e12),))
    # More samples never hurt, but repeated ones stop helping: the error levels off.
    assert np.all(np.diff(decaying) <= 0) and np.ptp(decaying[-5:]) < 1e-6
    first_epoch = budgets <= top.samples_per_epoch
    repeated = utility_error(budgets, fresh, PUBLISHED_A, PUBLISHED_D)
    np.testing.assert_allclose(decaying[first_epoch], repeated[first_epoch])
    assert np.all(decaying[~first_epoch] > repeated[~first_epoch])


def test_the_best_pool_changes_with_compute():
    found = crossovers(GOYAL_TMARS_IMAGENET, 1e7, 1e10)
    print(found.to_string())
    np.testing.assert_allclose(found["budget"], CROSSOVERS, rtol=1e-3)
    assert list(found["before"]) == ["top0-10%", "top0-10% + top10-20%"]
    assert list(found["after"]) == ["top0-10% + top10-20%", "top0-10% + top10-20% + top20-30%"]
    best = best_by_budget(GOYAL_TMARS_IMAGENET, [32e6, 640e6, 5e9])["best"]
    # Little compute: the highest-quality bucket alone; much: more, lower-quality data pooled.
    assert list(best) == ["top0-10%", "top0-10% + top10-20%", "top0-10% + top10-20% + top20-30%"]


def test_the_random_pool_is_not_pooled_with_the_buckets_it_samples():
    names = [candidate.name for candidate in default_candidates(GOYAL_TMARS_IMAGENET)]
    assert sum("+" in name for name in names) == 3
    assert not any("random" in name and "+" in name for name in names)


def test_budgets_below_the_laws_range_are_refused():
    with pytest.raises(ValueError, match="must exceed 4e\\+06"):
        best_by_budget(GOYAL_TMARS_IMAGENET, [1e6])


def test_parameters_round_trip_and_bad_ones_are_refused():
    again = UtilityParameters.from_dict(GOYAL_TMARS_IMAGENET.to_dict())
    assert again == GOYAL_TMARS_IMAGENET
    bad = GOYAL_TMARS_IMAGENET.to_dict()
    bad["pools"][0]["b"] = 0.1
    with pytest.raises(ValueError, match="needs b < 0"):
        UtilityParameters.from_dict(bad)
    with pytest.raises(ValueError, match="missing or malformed"):
        UtilityParameters.from_dict({"a": 1})
