"""Seed papers that are search methods, not estimators, are served by the generic laws and the
grouped comparison. TTS-VAR (arXiv:2507.18537) scales test-time compute for visual
autoregressive generation by searching over samples; what a user wants from its tables is each
strategy's error against test-time compute, and which strategy wins at a larger budget. No
per-sample-count table was released with the paper, so the tables here are simulated, in the
shape such a table has: one row per (strategy, number of samples), error = 1 - quality score.
"""

import numpy as np
import pandas as pd
import pytest

from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.predict.groups import compare_groups
from workbench.runs import read_runs

SAMPLES = 2.0 ** np.arange(7)
FLOPS_PER_SAMPLE = 2 * 2.0e9 * 680  # 2·P·tokens: a 2B-parameter model writing 680 image tokens
TRUTH = {  # strategy: (floor E, amplitude at one sample, exponent alpha)
    "best-of-n": (0.30, 0.25, 0.5),
    "clustered search": (0.20, 0.30, 0.6),
}


@pytest.fixture(scope="module")
def grouped_fit():
    rng = np.random.default_rng(0)
    rows = [
        (
            strategy,
            n * FLOPS_PER_SAMPLE,
            (floor + amplitude * n**-alpha) * np.exp(rng.normal(0, 0.01)),
        )
        for strategy, (floor, amplitude, alpha) in TRUTH.items()
        for n in SAMPLES
    ]
    runs = read_runs(pd.DataFrame(rows, columns=["strategy", "C", "error"]), target="error")
    law = get_law("power_law", covariate="C")
    return ScalingLawFit(law).fit(runs, groups="strategy", random_seed=0)


def test_each_strategys_exponent_and_floor_are_recovered(grouped_fit):
    summary = grouped_fit.summary()
    for strategy, (floor, _, alpha) in TRUTH.items():
        for name, truth in (("E", floor), ("alpha", alpha)):
            row = summary.loc[f"{name}[{strategy}]"]
            assert row["ci_low_90"] < truth < row["ci_high_90"], (strategy, name)


def test_the_grouped_comparison_names_the_better_search_at_a_larger_budget(grouped_fit):
    result = compare_groups(grouped_fit, C=256 * FLOPS_PER_SAMPLE)
    best = result.ranking.iloc[0]
    assert best["group"] == "clustered search" and best["p_best"] > 0.99
    truth = TRUTH["clustered search"]
    expected = truth[0] + truth[1] * 256 ** -truth[2]
    assert best["ci_low_90"] < expected < best["ci_high_90"]
    assert result.pairs.iloc[0]["verdict"] == "no crossover in range"
