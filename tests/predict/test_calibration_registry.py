"""Calibrated extrapolation for every registered law: nested leave-future-out evidence, wider
intervals past the data, the law's own intervals inside it, and a calibration that is saved."""

import numpy as np
import pandas as pd
import pytest
from law_cases import CASES, covariate_grid

from workbench.backtesting import calibrate, load_fit
from workbench.fitting import ScalingLawFit
from workbench.laws import LAWS, get_law
from workbench.predict import calibration_of, predict
from workbench.runs import RunTable, from_frame

N_RUNS = 30
NOISE_SD = 0.01
SAMPLER = {"draws": 500, "tune": 500}
TARGETS = {"downstream_error": "error", "optimal_hyperparameters": "learning_rate"}
"""Target columns of the laws that do not model a loss."""


def simulated_runs(name: str) -> RunTable:
    """``N_RUNS`` runs on the covariate grid, their target from the law's truth times noise."""
    law = get_law(name)
    covariates = covariate_grid(N_RUNS, seed=1)
    # Larger runs reach lower losses, as in a real table, so the largest runs held out by
    # compute take a law of downstream error to losses below the data.
    covariates["loss"] = get_law("chinchilla").curve(covariates, CASES["chinchilla"].values)
    noise = np.exp(np.random.default_rng(2).normal(0.0, NOISE_SD, N_RUNS))
    target = TARGETS.get(name, "loss")
    # Every run has a size and a token count, as in a real table, whatever the law reads.
    columns = dict.fromkeys(("N", "D", *law.covariates))
    frame = pd.DataFrame({column: covariates[column] for column in columns})
    frame[target] = law.curve(covariates, CASES[name].values) * noise
    return from_frame(frame, target=target)


@pytest.fixture(scope="module", params=sorted(LAWS))
def calibrated(request):
    runs = simulated_runs(request.param)
    fit = ScalingLawFit(request.param, sampler=SAMPLER).fit(runs, random_seed=0)
    return runs, calibrate(fit, runs, random_seed=0)


def far_target(runs, fit) -> dict[str, list[float]]:
    """Ten times the largest training value of each covariate the law reads."""
    return {name: [10 * runs.column(name).max()] for name in fit.law.covariates}


def inside_target(runs, fit) -> dict[str, list[float]]:
    """The covariates of the median run by target: inside the training box by construction."""
    median_run = np.argsort(runs.y)[len(runs) // 2]
    return {name: [runs.column(name)[median_run]] for name in fit.law.covariates}


def interval_90(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("kind")[["ci_low_90", "ci_high_90"]]


def test_calibration_comes_from_nested_leave_future_out(calibrated):
    _, fit = calibrated
    calibration = calibration_of(fit)
    summary = calibration.summary()
    assert summary["source"] == "nested_lfo"
    assert summary["cuts"] == [0.1, 0.2, 0.3]
    assert summary["n_evidence"] > 0
    # Each cut is an extrapolation experiment: it holds out runs past its inner training runs.
    assert (calibration.evidence.groupby("cut")["distance"].max() > 0).all()
    numbers = calibration.evidence[["distance", "residual", "spread", "weight"]].to_numpy(float)
    assert np.isfinite(numbers).all()
    assert np.isfinite([summary["floor"], summary["slope"], summary["max_distance"]]).all()


def test_far_past_the_data_the_calibrated_interval_contains_the_law_interval(calibrated):
    runs, fit = calibrated
    target = far_target(runs, fit)
    calibrated_table = predict(fit, target, warn=False)
    law_table = predict(fit, target, interval="law", warn=False)
    assert (calibrated_table["distance"] > 0).all()
    calibrated_interval, law_interval = interval_90(calibrated_table), interval_90(law_table)
    assert (calibrated_interval["ci_low_90"] <= law_interval["ci_low_90"]).all()
    assert (calibrated_interval["ci_high_90"] >= law_interval["ci_high_90"]).all()


def test_inside_the_data_the_calibrated_interval_is_the_law_interval(calibrated):
    runs, fit = calibrated
    target = inside_target(runs, fit)
    calibrated_table = predict(fit, target)
    law_table = predict(fit, target, interval="law")
    assert (calibrated_table["distance"] == 0).all()
    pd.testing.assert_frame_equal(
        calibrated_table.drop(columns="interval"), law_table.drop(columns="interval")
    )


def test_calibration_survives_saving_and_loading(calibrated, tmp_path):
    runs, fit = calibrated
    loaded = load_fit(fit.save(tmp_path / "fit.nc"))
    assert calibration_of(loaded).summary() == calibration_of(fit).summary()
    target = far_target(runs, fit)
    pd.testing.assert_frame_equal(
        predict(loaded, target, warn=False), predict(fit, target, warn=False)
    )
