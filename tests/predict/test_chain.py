"""Chained prediction, sizes → loss → downstream error, on runs simulated from known laws."""

import numpy as np
import pandas as pd
import pytest

from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.predict import chained_draws, predict_chained
from workbench.runs import from_frame

LOSS_TRUTH = dict(E=1.84, a=212.0, b=366.7, eta=0.136)
ERROR_TRUTH = dict(epsilon=0.857, k=2.206, gamma=0.7146)
TARGET = {"N": np.array([7e9]), "D": np.array([1.4e11])}
SAMPLER = {"draws": 500, "tune": 500}


@pytest.fixture(scope="module")
def fits():
    rng = np.random.default_rng(5)
    N = 10 ** rng.uniform(7, 9, 30)
    D = N * 10 ** rng.uniform(1, 2.5, 30)
    loss = get_law("overtraining").curve({"N": N, "D": D}, LOSS_TRUTH)
    loss *= np.exp(rng.normal(0, 0.01, N.size))
    error = get_law("downstream_error").curve({"loss": loss}, ERROR_TRUTH)
    error *= np.exp(rng.normal(0, 0.01, N.size))
    runs = pd.DataFrame({"N": N, "D": D, "loss": loss, "err": error})
    loss_fit = ScalingLawFit("overtraining", sampler=SAMPLER).fit(from_frame(runs), random_seed=1)
    error_runs = from_frame(runs, target="err")
    error_sampler = SAMPLER | {"draws": 800}
    error_fit = ScalingLawFit("downstream_error", sampler=error_sampler).fit(error_runs, 2)
    return loss_fit, error_fit


def test_chained_draws_pair_every_error_draw_with_a_loss_draw(fits):
    loss_fit, error_fit = fits
    draws = chained_draws(
        loss_fit, error_fit, {"N": np.array([1e9, 7e9]), "D": np.array([2e10, 1.4e11])}
    )
    # The error fit has more draws (2 x 800) than the loss fit (2 x 500): losses are recycled.
    assert {name: value.shape for name, value in draws.items()} == {
        "loss": (1600, 2),
        "mean": (1600, 2),
        "observation": (1600, 2),
    }
    np.testing.assert_array_equal(draws["loss"][1000:], draws["loss"][:600])
    assert np.all((draws["mean"] > 0) & (draws["mean"] < 1))


def test_predict_chained_covers_the_true_error_of_a_larger_run(fits):
    loss_fit, error_fit = fits
    table = predict_chained(loss_fit, error_fit, TARGET, ci_prob=0.9)
    assert list(table["kind"]) == ["loss", "mean", "observation"]
    assert {"N", "D", "C", "median", "ci_low_90", "ci_high_90"} <= set(table.columns)
    true_loss = get_law("overtraining").curve(TARGET, LOSS_TRUTH)[0]
    true_error = get_law("downstream_error").curve({"loss": true_loss}, ERROR_TRUTH)
    rows = table.set_index("kind")
    assert rows.loc["loss", "ci_low_90"] < true_loss < rows.loc["loss", "ci_high_90"]
    assert rows.loc["mean", "ci_low_90"] < true_error < rows.loc["mean", "ci_high_90"]
    # The chain carries the loss law's uncertainty: wider than the error law at a known loss.
    direct = error_fit.predict({"loss": [true_loss]}, ci_prob=0.9).set_index("kind")
    chained_width = rows.loc["mean", "ci_high_90"] - rows.loc["mean", "ci_low_90"]
    assert chained_width > direct.loc["mean", "ci_high_90"] - direct.loc["mean", "ci_low_90"]
    # The observation adds the error law's measurement noise to each paired draw. (Comparing the
    # two intervals' ends instead would compare Monte Carlo noise: the loss law's spread dwarfs
    # the measurement noise here.)
    draws = chained_draws(loss_fit, error_fit, TARGET)
    noise = np.log(draws["observation"] / draws["mean"])[:, 0]
    assert np.std(noise / error_fit.draws(["sigma"])["sigma"]) == pytest.approx(1.0, abs=0.1)


def test_predict_chained_needs_an_error_law_of_one_covariate(fits):
    loss_fit, _ = fits
    with pytest.raises(ValueError, match="law of one covariate"):
        predict_chained(loss_fit, loss_fit, TARGET)
