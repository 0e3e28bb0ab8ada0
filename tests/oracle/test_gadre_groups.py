"""Grouped fit over Gadre et al. (2024)'s three training sets: which data set scales best?

One Chinchilla law per training set (C4, RedPajama, RefinedWeb), partially pooled, on every run
below 7B parameters; the sets are then ranked at 6.9B parameters and 20 tokens per parameter,
where the held-out 7B runs tell the truth.
"""

import numpy as np
import pytest

from workbench.fitting import ScalingLawFit
from workbench.predict.groups import compare_groups
from workbench.runs.datasets import gadre_overtraining

TARGET = {"N": 6.9e9, "D": 20 * 6.9e9}
SETS = ("c4_original", "rpj", "rw_original")


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    base = (shared_data / "gadre_overtraining").as_uri()
    return gadre_overtraining(base_url=base, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def grouped_fit(runs):
    train = runs.filter(runs.column("N") < 5e9)
    return ScalingLawFit("chinchilla").fit(train, random_seed=11, groups="group")


def test_every_training_set_gets_its_own_exponents(grouped_fit):
    summary = grouped_fit.summary()
    assert grouped_fit.groups_ == SETS
    for name in ("alpha", "beta"):
        for group in SETS:
            row = summary.loc[f"{name}[{group}]"]
            assert 0.1 < row["median"] < 0.6
            assert row["ci_low_90"] < row["median"] < row["ci_high_90"]


def test_sets_are_ranked_at_7b_with_probabilities(grouped_fit, runs):
    result = compare_groups(grouped_fit, TARGET)
    ranking = result.ranking
    assert set(ranking["group"]) == set(SETS)
    np.testing.assert_allclose(ranking["p_best"].sum(), 1.0)
    held_out = runs.filter(runs.column("N") > 5e9).data.set_index("group")["loss"]
    assert list(ranking["group"]) == list(held_out.sort_values().index)
    assert ranking.loc[0, "p_best"] > 0.9
    assert len(result.pairs) == 3
    assert result.pairs["p_a_beats_b"].between(0, 1).all()
