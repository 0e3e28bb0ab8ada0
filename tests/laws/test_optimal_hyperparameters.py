"""The ``optimal_hyperparameters`` family: its covariates option and Li et al.'s numbers."""

import numpy as np
import pandas as pd
import pytest

from workbench.fitting import ScalingLawFit
from workbench.laws import get_law


def test_default_is_the_learning_rate_law_in_n_and_d():
    law = get_law("optimal_hyperparameters")
    assert law.covariates == ("N", "D")
    assert law.parameters == ("A", "b_N", "b_D")
    assert law.label == "optimal_hyperparameters(covariates=('N', 'D'))"
    assert not law.has_compute_optimum


def test_published_step_law_example():
    # Li et al. (2025): η = 1.79 N^-0.713 D^0.307, B = 0.58 D^0.571 tokens; at N = 7e9 and
    # D = 1.4e12 that is η ≈ 9.3e-4 and B ≈ 5.0e6 tokens.
    x = {"N": np.array([7e9]), "D": np.array([1.4e12])}
    lr = get_law("optimal_hyperparameters").curve(x, dict(A=1.79, b_N=-0.713, b_D=0.307))
    batch = get_law("optimal_hyperparameters", covariates=("D",)).curve(x, dict(A=0.58, b_D=0.571))
    assert lr[0] == pytest.approx(9.3e-4, rel=0.02)
    assert batch[0] == pytest.approx(5.0e6, rel=0.03)


def test_covariates_option_validates_and_survives_json():
    law = get_law("optimal_hyperparameters", covariates=["B"])
    assert law.covariates == ("B",)
    assert law == get_law("optimal_hyperparameters", covariates=("B",))
    assert get_law("optimal_hyperparameters", covariates="D").covariates == ("D",)
    for bad in [(), ("N", "N"), ("y",), ("not a name",)]:
        with pytest.raises(ValueError, match="covariates"):
            get_law("optimal_hyperparameters", covariates=bad)


def test_batch_size_covariate_is_read_from_a_run_table_column():
    # η* ∝ B^p with p free: Adam's square-root rule, p = 0.5.
    rng = np.random.default_rng(0)
    batch = 2.0 ** rng.uniform(15, 22, 40)
    lr = 3e-6 * batch**0.5 * np.exp(rng.normal(0, 0.02, 40))
    runs = pd.DataFrame({"N": 1e9, "B": batch, "loss": lr})
    fit = ScalingLawFit(get_law("optimal_hyperparameters", covariates=("B",)))
    summary = fit.fit(runs, random_seed=0).summary(ci_prob=0.95)
    assert summary.loc["b_B", "ci_low_95"] < 0.5 < summary.loc["b_B", "ci_high_95"]
    assert summary.loc["A", "median"] == pytest.approx(3e-6, rel=0.1)
