"""Extrapolation and compute-optimal allocation from posterior draws."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.predict import target_covariates
from workbench.runs import DEMO_TRUTH, demo


@pytest.fixture(scope="module")
def demo_fit():
    runs = demo(seed=0).final_checkpoints()
    return ScalingLawFit("chinchilla", sampler={"draws": 1000, "tune": 1000}).fit(
        runs, random_seed=3
    )


def test_target_covariates_completes_the_triple():
    values = target_covariates(("N", "D"), {"N": ["70B"], "C": [5.88e23]})
    assert values["D"][0] == pytest.approx(5.88e23 / (6 * 70e9))
    values = target_covariates(("N", "D"), pd.DataFrame({"N": [1e9], "D": [2e10]}))
    assert values["C"][0] == pytest.approx(1.2e20)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"N": [1e9]}, "missing D"),
        ({"N": [1e9], "D": [-1.0]}, "positive and finite"),
        ({"N": [1e9, 2e9], "D": [1e10]}, "differ in length"),
    ],
)
def test_target_covariates_rejects_bad_targets(given, message):
    with pytest.raises(ValueError, match=message):
        target_covariates(("N", "D"), given)


def test_prediction_intervals_are_nested_and_ordered(demo_fit):
    table = demo_fit.predict(N=[1e9, 1e10], D=[2e10, 2e11], ci_prob=0.9, inner_prob=0.5)
    assert list(table["kind"]) == ["mean", "mean", "observation", "observation"]
    assert (table["ci_low_90"] <= table["ci_low_50"]).all()
    assert (table["ci_low_50"] <= table["median"]).all()
    assert (table["median"] <= table["ci_high_50"]).all()
    assert (table["ci_high_50"] <= table["ci_high_90"]).all()
    mean, observation = table[table.kind == "mean"], table[table.kind == "observation"]
    width = lambda t: (t["ci_high_90"] - t["ci_low_90"]).to_numpy()  # noqa: E731
    assert (width(observation) > width(mean)).all()
    # The larger run has lower predicted loss.
    assert mean["median"].iloc[1] < mean["median"].iloc[0]


def test_mean_prediction_tracks_the_true_law(demo_fit):
    N, D = np.array([3e9]), np.array([6e10])  # 3x beyond the largest demo model
    truth = (
        DEMO_TRUTH["E"]
        + DEMO_TRUTH["A"] / N ** DEMO_TRUTH["alpha"]
        + DEMO_TRUTH["B"] / D ** DEMO_TRUTH["beta"]
    )
    row = demo_fit.predict(N=N, D=D, ci_prob=0.9).query("kind == 'mean'").iloc[0]
    assert row["ci_low_90"] < truth[0] < row["ci_high_90"]
    assert row["median"] == pytest.approx(truth[0], rel=0.01)


def test_prediction_median_equals_median_of_curve_draws(demo_fit):
    draws = demo_fit.draws(demo_fit.law.parameters)
    curve = demo_fit.law.curve({"N": 1e10, "D": 2e11}, draws)
    row = demo_fit.predict(N=[1e10], D=[2e11]).query("kind == 'mean'").iloc[0]
    assert row["median"] == pytest.approx(np.median(curve), rel=1e-10)


def test_compute_optimal_minimizes_the_loss_on_the_budget_per_draw(demo_fit):
    """Independent of the closed form: each draw's loss minimized numerically along C = 6·N·D."""
    table = demo_fit.compute_optimal([1e21, 1e22])
    assert set(table["quantity"]) == {"N_opt", "D_opt", "loss_opt", "tokens_per_parameter"}
    draws = demo_fit.draws(demo_fit.law.parameters)
    budget = 1e22

    def loss_on_budget(log_n, params):
        n = 10.0**log_n
        return demo_fit.law.curve({"N": n, "D": budget / (6 * n)}, params)

    n_opt = [
        10.0
        ** minimize_scalar(
            loss_on_budget,
            bounds=(6.0, 14.0),
            args=({name: value[i] for name, value in draws.items()},),
            method="bounded",
            options={"xatol": 1e-10},
        ).x
        for i in range(len(draws["E"]))
    ]
    row = table.query("quantity == 'N_opt' and C == 1e22").iloc[0]
    assert row["median"] == pytest.approx(np.median(n_opt), rel=1e-6)
    ratio = table.query("quantity == 'tokens_per_parameter'")
    assert (ratio["ci_low_90"] < ratio["median"]).all() and (
        ratio["median"] < ratio["ci_high_90"]
    ).all()


def test_compute_optimal_needs_n_and_d():
    runs = demo(seed=0).final_checkpoints()
    law = get_law("power_law", covariate="N")
    fit = ScalingLawFit(law).fit(runs, random_seed=0)
    with pytest.raises(ValueError, match="needs both N and D"):
        fit.compute_optimal(1e21)
