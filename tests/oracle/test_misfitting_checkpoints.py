"""Checkpoint-aware fits on Li et al. (2025)'s open_lm runs, in the Hitchhiker's-Guide style.

Fit ``chinchilla`` on every run below the two largest model sizes and predict the final loss of
the runs of those two sizes (522M and 1.18B parameters), three ways: final checkpoints only, all
checkpoints with a run effect, and all checkpoints as if independent.
"""

import numpy as np
import pytest

from workbench.fitting import ScalingLawFit
from workbench.predict.scores import holdout_scores, summarize_scores
from workbench.runs.datasets import misfitting_li2025

MIN_FRACTION = 0.1
POLICIES = {
    "final checkpoints": {},
    "checkpoints with run effect": {"checkpoints": True, "min_fraction": MIN_FRACTION},
    "checkpoints as independent": {
        "checkpoints": True,
        "run_effect": False,
        "min_fraction": MIN_FRACTION,
    },
}


@pytest.fixture(scope="module")
def split(shared_data, tmp_path_factory):
    url = (shared_data / "misfitting_li2025" / "scaling_results.csv").as_uri()
    runs = misfitting_li2025(url=url, cache_dir=tmp_path_factory.mktemp("cache"))
    cut = np.sort(np.unique(runs.column("N")))[-2]
    return runs.filter(runs.column("N") < cut), runs.filter(runs.column("N") >= cut)


@pytest.fixture(scope="module")
def scores(split):
    train, held_out = split
    results = {}
    for policy, options in POLICIES.items():
        fit = ScalingLawFit("chinchilla", sampler={"tune": 2000})
        fit.fit(train, random_seed=7, **options)
        results[policy] = holdout_scores(fit, held_out.final_checkpoints())
    return results


def test_loader_keeps_best_learning_rate_runs_with_all_checkpoints(split):
    train, held_out = split
    runs = train.data.groupby("run").size()
    assert len(runs) == 75 and runs.max() > 50
    assert len(held_out.final_checkpoints()) == 6
    assert set(np.unique(held_out.column("N"))) == {522374400.0, 1182757632.0}


def test_run_effect_interval_contains_every_held_out_final_loss(scores):
    result = scores["checkpoints with run effect"]
    assert result["covered_90"].all(), result.to_string()
    assert summarize_scores(result)["are"] < 0.02


def test_independent_checkpoints_are_overconfident(scores):
    naive = summarize_scores(scores["checkpoints as independent"])
    effect = summarize_scores(scores["checkpoints with run effect"])
    assert naive["coverage_90"] <= 0.7, naive
    assert naive["coverage_90"] < effect["coverage_90"]
    assert naive["are"] > effect["are"]


def test_final_checkpoint_fit_is_reported_with_are_and_interval(scores):
    summary = summarize_scores(scores["final checkpoints"])
    assert summary["n_targets"] == 6
    assert 0 < summary["are"] < 0.05
    assert 0 <= summary["coverage_90"] <= 1
    assert np.isfinite(summary["mean_log_predictive_density"])
