"""`workbench fit --law auto` and calibrated `predict`: the contract an independent evaluation
uses (fit on a table of one or two covariates, predict JSON with calibrated intervals)."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.backtesting import LawEnsemble, load_fit
from workbench.cli import main
from workbench.fitting import FitFileError, ScalingLawFit

FAST = ["--draws", "300", "--tune", "300"]


def run_json(capsys, argv):
    assert main(argv) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


@pytest.fixture(scope="module")
def tokens_csv(tmp_path_factory):
    """A learning curve in tokens alone: loss = 1.7 + 400·D^-0.3, 1 % noise, 12 sizes."""
    rng = np.random.default_rng(0)
    tokens = np.logspace(6, 9, 12)
    loss = (1.7 + 400 * tokens**-0.3) * np.exp(rng.normal(0, 0.01, tokens.size))
    path = tmp_path_factory.mktemp("runs") / "tokens.csv"
    pd.DataFrame({"tokens": tokens, "loss": loss}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def auto_run(tokens_csv, tmp_path_factory):
    """The saved file and the JSON report of `fit --law auto` on the token curve."""
    path = tmp_path_factory.mktemp("fits") / "auto.nc"
    argv = ["fit", str(tokens_csv), "--law", "auto", *FAST, "--json", "-o", str(path)]
    # A module-scoped fixture cannot use capsys. Redirecting stdout (not patching print, which
    # would also catch Numba's prints into its own buffers) keeps exactly what the command wrote.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return path, json.loads(out.getvalue())


@pytest.fixture(scope="module")
def auto_fit(auto_run):
    return auto_run[0]


def test_auto_considers_the_one_covariate_families(auto_run):
    report = auto_run[1]
    assert report["law"] == "auto" and report["weights_from"] == "lfo"
    considered = set(report["considered"])
    assert {
        "power_law(covariate=D, irreducible=True)",
        "learning_curve_regimes(covariate=D)",
        "m4(covariate=D)",
        "broken_power_law(covariate=D)",
    } <= considered
    assert sum(report["weights"].values()) == pytest.approx(1.0)
    # Every kept law is reported with its calibration from nested backtests.
    for entry in report["laws"].values():
        assert entry["calibration"]["source"] == "nested_lfo"
        assert entry["calibration"]["n_evidence"] > 0


def test_predict_json_carries_calibrated_intervals(capsys, auto_fit):
    report, _ = run_json(capsys, ["predict", str(auto_fit), "--D", "1e9", "1e10", "--json"])
    assert report["ci_prob"] == 0.9 and report["interval"] == "calibrated"
    first, second = report["predictions"]
    for row in (first, second):
        assert row["ci_low"] < row["median"] < row["ci_high"]
        assert row["interval"] == "calibrated"
        assert row["calibration"]
    assert first["distance"] == 0.0 and second["distance"] == pytest.approx(1.0)
    # The truth of the simulated curve at 1e10 tokens lies inside the calibrated interval.
    assert second["ci_low"] < 1.7 + 400 * 1e10**-0.3 < second["ci_high"]
    law, _ = run_json(
        capsys, ["predict", str(auto_fit), "--D", "1e10", "--interval", "law", "--json"]
    )
    (law_row,) = law["predictions"]
    assert law_row["ci_high"] - law_row["ci_low"] < second["ci_high"] - second["ci_low"]


def test_predict_warns_far_past_the_evidence(capsys, auto_fit):
    report, err = run_json(capsys, ["predict", str(auto_fit), "--D", "1e30", "--json"])
    (row,) = report["predictions"]
    assert row["beyond_evidence"] is True and row["distance"] == pytest.approx(21.0)
    assert report["warnings"] and "decades past the training runs" in report["warnings"][0]
    assert "warning:" in err


def test_two_covariate_table_with_auto(capsys, tmp_path):
    from workbench.runs import demo

    csv = tmp_path / "runs.csv"
    demo(seed=1).final_checkpoints().data[["N", "D", "loss"]].to_csv(csv, index=False)
    path = tmp_path / "fit.nc"
    report, _ = run_json(
        capsys, ["fit", str(csv), "--law", "auto", *FAST, "--json", "-o", str(path)]
    )
    assert set(report["considered"]) == {
        "chinchilla",
        "kaplan_joint",
        "power_law(covariate=C, irreducible=True)",
    }
    predicted, _ = run_json(capsys, ["predict", str(path), "--N", "2e10", "--D", "4e11", "--json"])
    (row,) = predicted["predictions"]
    assert row["ci_low"] < row["median"] < row["ci_high"] and row["distance"] > 0


def test_three_rows_are_enough_for_the_smallest_laws(capsys, tmp_path):
    csv = tmp_path / "three.csv"
    pd.DataFrame({"flops": [1e18, 1e19, 1e20], "loss": [3.2, 2.9, 2.7]}).to_csv(csv, index=False)
    report, _ = run_json(capsys, ["fit", str(csv), "--law", "auto", *FAST, "--json"])
    assert report["weights_from"] == "psis-loo"
    assert set(report["considered"]) == {
        "power_law(covariate=C, irreducible=True)",
        "power_law(covariate=C, irreducible=False)",
    }


def test_repeated_seeds_at_each_size_are_fitted(capsys, tmp_path):
    """Two seeds at each of 5 sizes: nested cuts keep too few distinct sizes to refit M4 (4
    parameters), which therefore gets no weight instead of its refits failing; the power laws
    are refitted and stacked on their nested evidence."""
    rng = np.random.default_rng(1)
    tokens = np.repeat(np.logspace(6, 8, 5), 2)
    loss = (2 + 50 * tokens**-0.2) * np.exp(rng.normal(0, 0.01, tokens.size))
    csv = tmp_path / "seeds.csv"
    pd.DataFrame({"tokens": tokens, "loss": loss}).to_csv(csv, index=False)
    report, _ = run_json(capsys, ["fit", str(csv), "--law", "auto", *FAST, "--json"])
    assert report["weights_from"] == "lfo"
    considered = report["considered"]
    assert considered["m4(covariate=D)"] == 0
    assert sum(considered.values()) == pytest.approx(1.0)


def test_two_rows_are_refused_in_one_line(capsys, tmp_path):
    csv = tmp_path / "two.csv"
    pd.DataFrame({"tokens": [1e9, 1e10], "loss": [3.0, 2.8]}).to_csv(csv, index=False)
    assert main(["fit", str(csv), "--law", "auto", *FAST]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error:") and err.count("\n") == 1


def test_ensemble_file_round_trips_and_is_refused_as_one_law(auto_fit):
    ensemble = load_fit(auto_fit)
    assert isinstance(ensemble, LawEnsemble)
    assert sum(ensemble.weights_) == pytest.approx(1.0)
    with pytest.raises(FitFileError, match="load_fit"):
        ScalingLawFit.load(auto_fit)


def test_ensemble_file_keeps_the_mixture_calibration(auto_fit, tmp_path, capsys):
    ensemble = load_fit(auto_fit)
    assert ensemble.calibration_.source == "nested_lfo"
    # A file from before mixtures were calibrated as a whole is refused in one line.
    tree = xr.open_datatree(auto_fit, engine="netcdf4").load()
    content = json.loads(tree.attrs["ensemble"])
    del content["calibration"]
    tree.attrs["ensemble"] = json.dumps(content)
    old = tmp_path / "old_auto.nc"
    tree.to_netcdf(old, engine="netcdf4")
    assert main(["predict", str(old), "--D", "1e10"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("saved before mixtures were calibrated as a whole; fit again")


def test_single_law_fit_is_calibrated_by_default(capsys, tokens_csv):
    report, _ = run_json(
        capsys,
        ["fit", str(tokens_csv), "--law", "power_law", "--covariate", "D", *FAST, "--json"],
    )
    assert report["calibration"]["source"] == "nested_lfo"
    report, _ = run_json(
        capsys,
        [
            "fit",
            str(tokens_csv),
            "--law",
            "power_law",
            "--covariate",
            "D",
            *FAST,
            "--no-calibrate",
            "--json",
        ],
    )
    assert report["calibration"]["source"] == "default"


def test_calibrate_reports_nominal_against_observed_coverage(capsys, tokens_csv):
    report, _ = run_json(
        capsys,
        ["calibrate", str(tokens_csv), "--laws", "power_law", "--covariate", "D", *FAST, "--json"],
    )
    ((label, entry),) = report["laws"].items()
    assert label.startswith("power_law")
    coverage = pd.DataFrame(entry["coverage"]).set_index("nominal")
    assert list(coverage.index) == [0.5, 0.8, 0.9, 0.95]
    assert (coverage["calibrated"] >= coverage["law"]).all()
    pit = np.array(entry["pit"]["calibrated"])
    assert pit.size == len(entry["evidence"]["run"]) and ((pit > 0) & (pit < 1)).all()
