"""``workbench fit --law "formula:..."``: a law the user writes, fitted, calibrated, saved and
predicted from on the command line."""

import json

import pytest

from workbench.cli import main
from workbench.runs import demo

FAST = ["--draws", "300", "--tune", "300"]
FORMULA = "formula:E + A*N**-alpha + B*D**-beta"


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "demo.csv"
    demo(seed=0).final_checkpoints().data.to_csv(path, index=False)
    return path


def test_fit_and_predict_a_formula_with_json(capsys, demo_csv, tmp_path):
    saved = tmp_path / "fit.nc"
    argv = ["fit", str(demo_csv), "--law", FORMULA, *FAST, "--seed", "3", "-o", str(saved)]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["law"] == "formula"
    assert set(report["params"]) == {"E", "A", "B", "alpha", "beta"}
    assert report["calibration"]["source"] != "default"
    assert main(["predict", str(saved), "--N", "70e9", "--D", "1.4T", "--json"]) == 0
    (prediction,) = json.loads(capsys.readouterr().out)["predictions"]
    # The demo truth at 70B/1.4T tokens is 1.8 + 480/70e9^0.35 + 2000/1.4e12^0.37 = 1.92.
    assert prediction["ci_low"] < 1.92 < prediction["ci_high"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--law", "formula:E + A*N**"], 'expected a number, a name or "(" at character 10'),
        (["--law", "formula:E + A*N**-alpha*P", "--covariate", "P"], "needs 'P'"),
        (["--law", "power_law", "--covariate", "P"], "is N, D or C, not 'P'"),
    ],
)
def test_bad_formulas_and_covariates_are_one_line_errors(capsys, demo_csv, argv, expected):
    assert main(["fit", str(demo_csv), *argv, *FAST]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
