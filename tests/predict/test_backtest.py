"""Leave-future-out backtests with real NUTS on the demo runs."""

import numpy as np
import pytest

from workbench.backtesting import backtest, holdout_runs
from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.runs import demo, read_runs

pytestmark = pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")

SAMPLER = {"draws": 500, "tune": 500}
LAWS = {"chinchilla": "chinchilla", "power_law": get_law("power_law", covariate="C")}


@pytest.fixture(scope="module")
def runs():
    return demo(seed=0)


@pytest.fixture(scope="module")
def result(runs):
    seen = []
    result = backtest(runs, LAWS, sampler=SAMPLER, random_seed=1, progress=seen.append)
    return result, seen


def test_table_has_one_finite_row_per_law(result):
    result, _ = result
    table = result.table
    assert list(table.index) == list(LAWS)
    assert list(table.columns) == [
        "n_train",
        "n_test",
        "are",
        "coverage_50",
        "coverage_90",
        "mean_log_predictive_density",
        "elpd_loo",
        "weight",
        "seconds",
    ]
    assert np.isfinite(table.to_numpy(dtype=float)).all()
    assert (table["n_train"] == 32).all() and (table["n_test"] == 8).all()
    for column in ("coverage_50", "coverage_90", "weight"):
        assert table[column].between(0, 1).all()
    assert (table["coverage_50"] <= table["coverage_90"]).all()
    assert table["are"].between(0, 0.2).all()
    assert table["weight"].sum() == pytest.approx(1.0)
    assert (table["seconds"] > 0).all()
    # The demo runs follow a Chinchilla law: predictions of the held-out runs are within 3 %.
    assert table.loc["chinchilla", "are"] < 0.03


def test_frame_is_one_row_per_held_out_run_and_law(result):
    result, _ = result
    frame = result.frame
    assert len(frame) == 2 * 8
    assert {"law", "run", "N", "D", "C", "observed", "median", "ci_low_90", "ci_high_90"} <= set(
        frame.columns
    )
    assert frame[["covered_50", "covered_90"]].dtypes.eq(bool).all()
    assert (frame["ci_low_50"] <= frame["median"]).all()
    assert (frame["ci_low_90"] <= frame["ci_low_50"]).all()
    for law, rows in frame.groupby("law"):
        assert rows["covered_90"].mean() == result.table.loc[law, "coverage_90"]
        assert rows["log_predictive_density"].mean() == pytest.approx(
            result.table.loc[law, "mean_log_predictive_density"]
        )
    # Each held-out run's truth is its final checkpoint.
    finals = demo(seed=0).final_checkpoints().data.set_index("run")
    chinchilla = frame[frame["law"] == "chinchilla"].set_index("run")
    np.testing.assert_array_equal(chinchilla["observed"], finals.loc[chinchilla.index, "loss"])


def test_held_out_runs_are_the_largest_by_compute(result, runs):
    result, _ = result
    finals = runs.final_checkpoints().data
    largest = set(finals.nlargest(8, "C")["run"])
    assert set(result.holdout.runs) == largest
    assert set(result.frame["run"]) == largest
    assert result.holdout.by == "C"
    for fit in result.fits.values():
        assert fit.idata["constant_data"]["C" if "C" in fit.law.covariates else "N"].size == 32
    train_compute = result.fits["power_law"].idata["constant_data"]["C"].values
    assert train_compute.max() < result.holdout.cut


def test_progress_reaches_one_and_fits_are_kept(result):
    result, seen = result
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert set(result.fits) == set(LAWS)
    assert all(isinstance(fit, ScalingLawFit) for fit in result.fits.values())
    assert set(result.comparison.table.index) == set(result.fits)


def test_a_law_fitted_to_its_own_simulations_covers_held_out_runs():
    """The demo runs are simulated from a Chinchilla law; its 90 % intervals should hold.

    Pooled over three simulated data sets (24 held-out runs), a calibrated 90 % interval misses
    more than a quarter of them with probability well below 1 %, while intervals that ignore
    parameter uncertainty or the noise would miss most of these extrapolations.
    """
    covered_90, covered_50 = [], []
    for seed in (0, 1, 2):
        result = backtest(demo(seed=seed), ["chinchilla"], sampler=SAMPLER, random_seed=seed)
        covered_90 += list(result.frame["covered_90"])
        covered_50 += list(result.frame["covered_50"])
    assert len(covered_90) == 24
    assert np.mean(covered_90) >= 0.75
    assert 0.2 <= np.mean(covered_50) <= 0.9


def test_fit_options_are_passed_to_each_fit(runs):
    result = backtest(
        runs,
        ["chinchilla"],
        holdout_top_frac=0.25,
        fit_options={"checkpoints": True, "min_fraction": 0.6},
        sampler=SAMPLER,
    )
    (fit,) = result.fits.values()
    assert fit.structure_.run_effect
    # 30 training runs, keeping the last 4 of 8 checkpoints of each (tokens >= 0.6 × the final).
    assert result.table.loc["chinchilla", "n_train"] == 30 * 4
    assert result.table.loc["chinchilla", "n_test"] == 10
    assert result.table.loc["chinchilla", "weight"] == 1.0
    assert np.isfinite(result.table.loc["chinchilla", "elpd_loo"])


def test_explicit_cut_holds_out_runs_at_or_above_it(runs):
    holdout = holdout_runs(runs, by="N", cut=4e9)
    finals = runs.final_checkpoints().data
    assert set(holdout.runs) == set(finals.loc[finals["N"] >= 4e9, "run"])
    assert len(holdout.runs) == 10 and holdout.n_runs == 40
    assert "10 of 40 runs with N >= 4e+09" in holdout.describe()
    by_step = holdout_runs(runs, by="step", holdout_top_frac=0.1)
    steps = finals.set_index("run")["step"]
    assert steps[list(by_step.runs)].min() >= steps.drop(list(by_step.runs)).max()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"by": "C", "cut": 1e30}, "nothing is held out"),
        ({"by": "N", "cut": 1.0}, "no run is left to train on"),
        ({"holdout_top_frac": 0.999}, "no run is left to train on"),
        ({"holdout_top_frac": 0.0}, "strictly between 0 and 1"),
        ({"holdout_top_frac": 1.5}, "strictly between 0 and 1"),
        ({"holdout_top_frac": 0.2, "cut": 1e20}, "not both"),
        ({"by": "loss"}, "hold out by one of"),
    ],
)
def test_bad_holdout_is_refused_before_fitting(runs, options, message):
    with pytest.raises(ValueError, match=message):
        backtest(runs, ["chinchilla"], **options)


def test_bad_laws_are_refused(runs):
    with pytest.raises(KeyError, match="valid names"):
        backtest(runs, ["chinchila"])
    with pytest.raises(ValueError, match="listed twice"):
        backtest(runs, ["chinchilla", "chinchilla"])
    with pytest.raises(ValueError, match="no 'step' column"):
        holdout_runs(read_runs(runs.final_checkpoints().data.drop(columns="step")), by="step")
