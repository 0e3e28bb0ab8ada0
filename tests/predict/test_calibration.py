"""Calibrated extrapolation: the error model, its nested leave-future-out evidence, no leakage,
and sharpness where the law is right."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from workbench.backtesting import backtest, calibrate
from workbench.backtesting.auto import LawEnsemble, selection_free_evidence
from workbench.backtesting.nested import lfo_evidence
from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.predict import (
    Calibration,
    ExtrapolationWarning,
    calibration_of,
    extrapolation_distance,
    predict,
)
from workbench.predict.calibration import DEFAULT_PRIOR, FLOOR_RAMP, discrepancy_sd, training_ranges
from workbench.predict.compare import stacking_weights
from workbench.runs import demo

FAST = {"draws": 500, "tune": 500}


@pytest.fixture(scope="module")
def runs():
    return demo(seed=3).final_checkpoints()


@pytest.fixture(scope="module")
def calibrated_fit(runs):
    fit = ScalingLawFit("chinchilla", sampler=FAST).fit(runs, random_seed=0)
    return calibrate(fit, runs, random_seed=0)


def test_discrepancy_is_zero_inside_the_data_and_grows_past_it():
    distance = np.array([0.0, FLOOR_RAMP / 2, FLOOR_RAMP, 1.0, 2.0])
    sd = discrepancy_sd(distance, floor=0.01, slope=0.02)
    assert sd[0] == 0.0
    assert sd[1] == pytest.approx(np.hypot(0.005, 0.02 * FLOOR_RAMP / 2))
    assert sd[3] == pytest.approx(np.hypot(0.01, 0.02))
    assert np.all(np.diff(sd) > 0)


def test_distance_is_decades_outside_the_training_box():
    ranges = {"N": (8.0, 10.0), "D": (9.0, 11.0), "C": (18.0, 21.0)}
    covariates = {"N": np.array([1e9, 1e11, 1e9, 1e7]), "D": np.array([1e10, 1e10, 1e12, 1e10])}
    distance = extrapolation_distance(ranges, covariates)
    # inside; N one decade above; D one decade above (C = 6e21 is 0.78 decades above);
    # N one decade below.
    np.testing.assert_allclose(distance, [0.0, 1.0, 1.0, 1.0])
    far_compute = {"N": np.array([1e10]), "D": np.array([1e11])}
    assert extrapolation_distance(ranges, far_compute)[0] == pytest.approx(np.log10(6e21) - 21)


def test_grid_posterior_recovers_a_known_error_from_simulated_evidence():
    rng = np.random.default_rng(0)
    distance = rng.uniform(0.05, 1.0, 400)
    spread = np.full(distance.size, 0.003)
    truth = discrepancy_sd(distance, floor=0.01, slope=0.03)
    residual = rng.normal(0.0, np.hypot(spread, truth))
    evidence = pd.DataFrame(
        {
            "cut": 0.2,
            "run": [f"r{i}" for i in range(distance.size)],
            "distance": distance,
            "residual": residual,
            "spread": spread,
            "weight": 1.0,
        }
    )
    summary = Calibration(evidence=evidence).summary()
    assert summary["source"] == "nested_lfo"
    assert summary["floor"] == pytest.approx(0.01, rel=0.35)
    assert summary["slope"] == pytest.approx(0.03, rel=0.25)
    assert summary["max_distance"] == pytest.approx(distance.max())


def test_without_evidence_the_default_prior_is_used():
    calibration = Calibration()
    summary = calibration.summary()
    assert summary["source"] == "default"
    assert summary["max_distance"] == DEFAULT_PRIOR.max_distance
    # The prior's medians are its centres, up to the grid's resolution.
    assert summary["floor"] == pytest.approx(DEFAULT_PRIOR.floor, rel=0.25)
    assert summary["slope"] == pytest.approx(DEFAULT_PRIOR.slope, rel=0.25)


def test_stacking_weights_favour_the_law_that_predicted_the_held_out_runs():
    rng = np.random.default_rng(1)
    good = -0.5 * rng.normal(size=50) ** 2
    bad = good - 3.0
    weights = stacking_weights(np.column_stack([bad, good]), np.ones(50))
    assert weights[1] > 0.99
    # Two equally good laws share the weight.
    weights = stacking_weights(np.column_stack([good, good]), np.ones(50))
    np.testing.assert_allclose(weights, [0.5, 0.5])


def test_nested_evidence_uses_only_the_runs_it_is_given(runs, calibrated_fit):
    evidence = calibration_of(calibrated_fit).evidence
    assert set(evidence["cut"]) == {0.1, 0.2, 0.3}
    assert set(evidence["run"]) <= set(runs.data["run"].astype(str))
    # Each cut is one extrapolation experiment: its weights sum to one.
    assert evidence.groupby("cut")["weight"].sum().to_numpy() == pytest.approx(1.0)
    assert (evidence["distance"] >= 0).all() and (evidence["spread"] > 0).all()


def test_calibrated_interval_equals_the_law_interval_inside_the_data(runs, calibrated_fit):
    inside = {"N": runs.column("N")[:5], "D": runs.column("D")[:5]}
    law = predict(calibrated_fit, inside, interval="law")
    calibrated = predict(calibrated_fit, inside)
    assert (calibrated["distance"] == 0).all()
    pd.testing.assert_frame_equal(law.drop(columns="interval"), calibrated.drop(columns="interval"))


def test_calibrated_interval_widens_with_distance(runs, calibrated_fit):
    largest = runs.data.loc[runs.data["C"].idxmax()]
    scale = np.array([1.5, 3.0, 6.0])
    targets = {"N": largest["N"] * scale, "D": largest["D"] * scale}
    calibrated = predict(calibrated_fit, targets, warn=False).query("kind == 'observation'")
    law = predict(calibrated_fit, targets, interval="law").query("kind == 'observation'")
    width = (calibrated["ci_high_90"] - calibrated["ci_low_90"]).to_numpy()
    law_width = (law["ci_high_90"] - law["ci_low_90"]).to_numpy()
    assert np.all(width > law_width)
    assert np.all(np.diff(width / law_width) > 0)
    assert (calibrated["interval"] == "calibrated").all()


def test_a_target_far_past_the_evidence_warns(calibrated_fit):
    with pytest.warns(ExtrapolationWarning, match="decades past the training runs"):
        table = predict(calibrated_fit, N=[1e30], D=[1e30])
    assert table["beyond_evidence"].all()


def test_calibration_is_saved_with_the_fit(tmp_path, calibrated_fit):
    path = calibrated_fit.save(tmp_path / "fit.nc")
    loaded = ScalingLawFit.load(path)
    pd.testing.assert_frame_equal(
        calibration_of(loaded).evidence, calibration_of(calibrated_fit).evidence
    )
    assert training_ranges(loaded) == training_ranges(calibrated_fit)


def test_held_out_targets_cannot_influence_the_calibrated_intervals(runs):
    """No leakage: perturbing the held-out runs' losses changes nothing but their scores."""
    perturbed = runs.data.copy()
    held = perturbed["C"] >= np.sort(perturbed["C"])[-8]
    perturbed.loc[held, "loss"] *= 1.5
    results = [
        backtest(
            table,
            ["chinchilla"],
            sampler=FAST,
            holdout_top_frac=0.2,
            interval="calibrated",
            random_seed=0,
        )
        for table in (runs, dataclasses.replace(runs, data=perturbed))
    ]
    columns = ["median", "ci_low_90", "ci_high_90", "ci_low_50", "ci_high_50"]
    pd.testing.assert_frame_equal(results[0].frame[columns], results[1].frame[columns])
    assert not results[0].frame["observed"].equals(results[1].frame["observed"])


@pytest.fixture(scope="module")
def well_specified_backtests():
    """Demo truth, known noise, 4 seeds: the held-out runs' law-only and calibrated scores."""
    frames = {"law": [], "calibrated": []}
    for seed in range(4):
        runs = demo(seed=seed).final_checkpoints()
        for interval in frames:
            frames[interval].append(
                backtest(
                    runs,
                    ["chinchilla"],
                    sampler=FAST,
                    holdout_top_frac=0.2,
                    interval=interval,
                    random_seed=seed,
                ).frame
            )
    return {interval: pd.concat(rows) for interval, rows in frames.items()}


def relative_width(frame: pd.DataFrame) -> float:
    return float(((frame["ci_high_90"] - frame["ci_low_90"]) / frame["observed"]).mean())


@pytest.mark.slow
def test_well_specified_law_keeps_its_coverage(well_specified_backtests):
    """Where the law is right, calibrated 90 % intervals still cover ≥ 85 % of held-out runs."""
    assert well_specified_backtests["calibrated"]["covered_90"].mean() >= 0.85


@pytest.mark.xfail(
    strict=True,
    reason="1.46x law-only width with the prior learned from the mixtures' selection-free "
    "evidence, which real-data coverage needs; no evidence within a "
    "table tells a well-specified law from Epoch's runs, which follow their law as closely",
)
@pytest.mark.slow
def test_well_specified_law_keeps_its_sharpness(well_specified_backtests):
    """Honesty should not cost sharpness where the law is right: at most 25 % wider."""
    frames = well_specified_backtests
    assert relative_width(frames["calibrated"]) <= 1.25 * relative_width(frames["law"])


def test_nested_evidence_skips_cuts_with_too_few_runs(runs):
    small = runs.filter(np.argsort(np.argsort(runs.column("C"))) < 6)
    fit = ScalingLawFit("chinchilla", sampler=FAST)
    evidence = lfo_evidence(fit, small, random_seed=0)
    # 6 runs: every cut would leave fewer than the law's 5 parameters + 1 to fit.
    assert evidence.empty


def test_nested_cuts_count_repeated_sizes_once():
    data = pd.DataFrame({"tokens": np.repeat(np.logspace(6, 8, 5), 2), "loss": 3.0})
    data["loss"] += 10 * data["tokens"] ** -0.2
    fit = ScalingLawFit(get_law("broken_power_law", covariate="D"), sampler=FAST)
    # Every cut leaves at least 7 runs but at most 5 distinct sizes, for a law of 6 parameters.
    assert lfo_evidence(fit, data, random_seed=0).empty


def widths(table: pd.DataFrame) -> np.ndarray:
    rows = table.query("kind == 'observation'")
    return (rows["ci_high_90"] - rows["ci_low_90"]).to_numpy()


def test_checkpoint_fits_with_a_run_effect_are_calibrated():
    runs = demo(seed=3)
    options = {"checkpoints": True, "min_fraction": 0.5}
    fit = ScalingLawFit("chinchilla", sampler=FAST).fit(runs, random_seed=0, **options)
    calibrate(fit, runs, fit_options=options, random_seed=0)
    evidence = calibration_of(fit).evidence
    assert set(evidence["cut"]) == {0.1, 0.2, 0.3}
    # Whole runs are held out and scored once, at their final checkpoint.
    assert (evidence.groupby("cut")["run"].nunique() == evidence.groupby("cut").size()).all()
    target = {"N": [3e10], "D": [6e11]}
    calibrated = predict(fit, target, warn=False)
    assert widths(calibrated)[0] > widths(predict(fit, target, interval="law", warn=False))[0]


def test_grouped_fits_are_calibrated():
    runs = demo(seed=4).final_checkpoints()
    data = runs.data.assign(group=np.where(np.arange(len(runs)) % 2, "odd", "even"))
    grouped = dataclasses.replace(runs, data=data)
    fit = ScalingLawFit("chinchilla", sampler=FAST).fit(grouped, random_seed=0, groups="group")
    calibrate(fit, grouped, fit_options={"groups": "group"}, random_seed=0)
    assert calibration_of(fit).source == "nested_lfo"
    table = predict(fit, {"N": [3e10], "D": [6e11]}, warn=False)
    assert set(table["group"]) == {"odd", "even"}
    assert (table["interval"] == "calibrated").all() and (table["distance"] > 0).all()


def nested_evidence(residuals: dict[float, np.ndarray]) -> pd.DataFrame:
    """Evidence of one law: cut c holds out the top runs r0, r1, ... (cut 0.2's include 0.1's)."""
    frames = [
        pd.DataFrame(
            {
                "cut": cut,
                "run": [f"r{i}" for i in range(values.size)],
                "distance": 0.1 + 0.1 * np.arange(values.size)[::-1],
                "residual": values,
                "spread": 0.01,
                "weight": 1 / values.size,
            }
        )
        for cut, values in residuals.items()
    ]
    return pd.concat(frames, ignore_index=True)


def test_mixture_evidence_is_scored_by_weights_chosen_on_other_runs():
    """The law that does best on a cut's own runs does not get to score that cut: cut 0.1 is
    predicted by the law that did best on the runs cut 0.2 alone holds out."""
    steady = nested_evidence({0.1: np.full(4, 0.08), 0.2: np.r_[np.full(4, 0.09), np.zeros(4)]})
    lucky = nested_evidence({0.1: np.zeros(4), 0.2: np.r_[np.zeros(4), np.full(4, 0.2)]})
    calibrations = {
        name: Calibration(evidence=rows)
        for name, rows in {"steady": steady, "lucky": lucky}.items()
    }
    evidence = selection_free_evidence(calibrations)
    # Cut 0.2 has no runs outside its own to choose on: the deepest cut gives no evidence.
    assert set(evidence["cut"]) == {0.1}
    # On r4..r7 "steady" was right, so it predicts cut 0.1, where it is 0.08 off.
    np.testing.assert_allclose(evidence["residual"], 0.08, atol=1e-3)
    assert evidence["weight"].sum() == pytest.approx(1.0)
    # One law needs no choice: its evidence is its own.
    pd.testing.assert_frame_equal(
        selection_free_evidence({"steady": calibrations["steady"]}), steady
    )


def test_auto_intervals_carry_the_mixture_calibration(runs):
    ensemble = LawEnsemble(["chinchilla", "kaplan_joint"], sampler=FAST).fit(runs, random_seed=0)
    assert ensemble.calibration_.source == "nested_lfo"
    assert ensemble.calibrations()["auto"] == ensemble.calibration_.summary()
    target = {"N": [1e11], "D": [3e12]}
    law, calibrated = (
        ensemble.predict(**target, interval=interval, warn=False).query("kind == 'observation'")
        for interval in ("law", "calibrated")
    )
    width = {
        name: float(table["ci_high_90"].iloc[0] - table["ci_low_90"].iloc[0])
        for name, table in {"law": law, "calibrated": calibrated}.items()
    }
    assert width["calibrated"] > width["law"]
    # A larger mixture error widens the interval further; the laws' own calibrations play no part.
    ensemble.calibration_ = Calibration(prior=dataclasses.replace(DEFAULT_PRIOR, floor=0.2))
    wider = ensemble.predict(**target, warn=False).query("kind == 'observation'")
    assert wider["ci_high_90"].iloc[0] - wider["ci_low_90"].iloc[0] > 2 * width["calibrated"]
