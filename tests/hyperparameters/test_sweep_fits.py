"""Sweeps → optima → laws on simulated sweeps with known truth, and clear errors for bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.fitting import NotFittedError
from workbench.hyperparameters import (
    STEP_LAW_TRUTH,
    LearningRateBatchRule,
    OptimumAtEdgeWarning,
    StepLawFit,
    SweepError,
    lr_batch_rule,
    prepare_sweeps,
    simulate_sweeps,
)
from workbench.runs import RunTableError, from_frame

# Four model sizes at 20, 60 and 200 tokens per parameter, like Li et al.'s design.
SETTINGS = [(N, N * ratio) for N in (1e8, 2.5e8, 5e8, 1e9) for ratio in (20, 60, 200)]
# A wide learning-rate grid, so each batch size's optimum lies inside it whatever p is.
RULE_LR_FACTORS = tuple(2.0 ** (np.arange(-10, 11) / 2))
RULE_BATCH_FACTORS = tuple(2.0 ** np.arange(-3, 4))


@pytest.fixture(scope="module")
def sweeps():
    return simulate_sweeps(SETTINGS, random_seed=1)


@pytest.fixture(scope="module")
def step_fit(sweeps):
    return StepLawFit().fit(sweeps, random_seed=1)


def test_recovers_the_step_law_from_simulated_sweeps(step_fit):
    summary = step_fit.summary(ci_prob=0.95)
    truth = {
        "lr_b_N": STEP_LAW_TRUTH["lr"]["b_N"],
        "lr_b_D": STEP_LAW_TRUTH["lr"]["b_D"],
        "batch_b_D": STEP_LAW_TRUTH["batch"]["b_D"],
    }
    for name, value in truth.items():
        assert summary.loc[name, "ci_low_95"] < value < summary.loc[name, "ci_high_95"], name
        assert summary.loc[name, "median"] == pytest.approx(value, abs=0.08), name
    diagnostics = step_fit.diagnostics()
    assert diagnostics.divergences == 0
    assert diagnostics.rhat_max < 1.01


def test_located_optima_cover_the_true_ones(step_fit, sweeps):
    optima = step_fit.optima(ci_prob=0.9)
    truth = sweeps.groupby(["N", "D"], sort=True)[["lr_opt", "B_opt"]].first().to_numpy()
    inside_lr = (optima["learning_rate_ci_low_90"] < truth[:, 0]) & (
        truth[:, 0] < optima["learning_rate_ci_high_90"]
    )
    inside_batch = (optima["batch_size_ci_low_90"] < truth[:, 1]) & (
        truth[:, 1] < optima["batch_size_ci_high_90"]
    )
    assert inside_lr.mean() >= 0.75
    assert inside_batch.mean() >= 0.75
    assert (optima["n_selected"] >= 8).all()


def test_predict_gives_ordered_intervals_in_tokens_and_sequences(step_fit):
    table = step_fit.predict(N="7B", D="1.4T", seq_len=2048, inner_prob=0.5)
    assert set(table["quantity"]) == {"learning_rate", "batch_size", "batch_sequences"}
    assert set(table["kind"]) == {"mean", "setting"}
    columns = ["ci_low_90", "ci_low_50", "median", "ci_high_50", "ci_high_90"]
    assert (np.diff(table[columns].to_numpy(), axis=1) > 0).all()
    rows = table.set_index(["quantity", "kind"])
    assert rows.loc[("batch_sequences", "mean"), "median"] == pytest.approx(
        rows.loc[("batch_size", "mean"), "median"] / 2048
    )
    # A new setting's optimum scatters around the law, so its interval is the wider one.
    width = rows["ci_high_90"] - rows["ci_low_90"]
    assert width[("learning_rate", "setting")] > width[("learning_rate", "mean")]
    # Only the batch-size law can be predicted from D alone.
    assert set(step_fit.predict(D=1e12)["quantity"]) == {"batch_size"}


def test_tree_follows_arviz_layout(step_fit):
    tree = step_fit.idata
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data", "constant_data"} <= set(
        tree.children
    )
    posterior = tree["posterior"]
    assert posterior["log_lr_opt"].dims == ("chain", "draw", "group")
    assert posterior.sizes["group"] == len(SETTINGS)
    assert tree["log_likelihood"]["loss"].dims == ("chain", "draw", "obs")
    assert np.isfinite(tree["log_likelihood"]["loss"].values).all()
    assert tree.attrs["model"] == "StepLawFit"
    assert tree.attrs["n_groups"] == len(SETTINGS)


@pytest.mark.parametrize("exponent", [0.5, 1.0])
def test_lr_batch_rule_recovers_the_exponent(exponent):
    # Adam's square-root rule and SGD's linear rule: η*(B) ∝ B^p at one (N, D).
    sweeps = simulate_sweeps(
        [(5e8, 3e10)],
        lr_batch_exponent=exponent,
        lr_factors=RULE_LR_FACTORS,
        batch_factors=RULE_BATCH_FACTORS,
        random_seed=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", OptimumAtEdgeWarning)
        rule = lr_batch_rule(sweeps, random_seed=0)
    summary = rule.summary(ci_prob=0.95)
    assert summary.loc["lr_b_B", "ci_low_95"] < exponent < summary.loc["lr_b_B", "ci_high_95"]
    assert np.median(rule.exponent_) == pytest.approx(exponent, abs=0.1)
    assert set(rule.predict(B=[1e5, 1e6])["quantity"]) == {"learning_rate"}


def test_a_setting_with_a_single_learning_rate_is_refused(sweeps):
    first = sweeps[(sweeps["N"] == 1e8) & (sweeps["D"] == 2e9)]
    single = pd.concat([first.assign(lr=first["lr"].iloc[0]), sweeps[sweeps["N"] > 1e8]])
    with pytest.raises(SweepError, match=r"N=1e\+08, D=2e\+09 sweeps 1 value\(s\) of the learning"):
        StepLawFit().fit(single)


def test_missing_columns_are_named(sweeps):
    with pytest.raises(RunTableError, match="'B' \\(batch size\\)"):
        StepLawFit().fit(sweeps.drop(columns="B"))
    with pytest.raises(RunTableError, match="'peak_lr' \\(learning rate\\)"):
        StepLawFit(learning_rate="peak_lr").fit(sweeps)


def test_bad_values_and_options_are_refused(sweeps):
    with pytest.raises(RunTableError, match="learning rate must be positive"):
        StepLawFit().fit(sweeps.assign(lr=sweeps["lr"].where(sweeps.index != 5, -1.0)))
    with pytest.raises(ValueError, match="window"):
        StepLawFit(window=2.0).fit(sweeps)
    with pytest.raises(ValueError, match="no parameter lr_b_C"):
        StepLawFit(priors={"lr_b_C": {"distribution": "Normal", "mu": 0, "sigma": 1}}).fit(sweeps)


def test_a_rule_in_batch_size_alone_needs_one_setting(sweeps):
    with pytest.raises(SweepError, match="12 \\(N, D\\) settings"):
        LearningRateBatchRule().fit(sweeps)


def test_results_before_fit_say_what_to_call():
    with pytest.raises(NotFittedError, match=r"call \.fit\(sweeps"):
        StepLawFit().predict(N=1e9, D=1e10)


def test_predict_needs_the_laws_covariates(step_fit):
    with pytest.raises(ValueError, match="no quantity can be predicted"):
        step_fit.predict(N=1e9)


def test_an_optimum_at_the_edge_of_the_sweep_warns(sweeps):
    setting = sweeps[(sweeps["N"] == 1e9) & (sweeps["D"] == 2e10)]
    below = from_frame(setting[setting["lr"] <= setting["lr_opt"]])
    with pytest.warns(OptimumAtEdgeWarning, match="lowest loss is at the edge of the swept lr"):
        prepare_sweeps(below, columns=["lr", "B"], keys=["N", "D"])
