"""``workbench fit --law "formula:..."``: a law the user writes, fitted, calibrated, saved and
predicted from on the command line."""

import json

import pytest

from workbench.cli import main
from workbench.cli.arguments import split_laws
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


def test_compare_and_backtest_take_formulas_whose_commas_sit_in_parentheses(capsys, demo_csv):
    # The demo truth's compute-only reading: the larger of a floor and a power law in C.
    floored = "formula:max(E, A*C**-a)"
    argv = ["--laws", f"chinchilla,{floored}", *FAST, "--json"]
    assert main(["compare", str(demo_csv), *argv]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["laws"]) == {"chinchilla", floored}
    assert sum(law["weight"] for law in report["laws"].values()) == pytest.approx(1.0)
    assert main(["backtest", str(demo_csv), *argv]) == 0
    scores = json.loads(capsys.readouterr().out)["laws"]
    # A kink where the floor takes over cannot follow the demo's smooth law past the data.
    assert scores[floored]["are"] > scores["chinchilla"]["are"]


@pytest.mark.parametrize(
    ("text", "laws"),
    [
        ("chinchilla,power_law", ["chinchilla", "power_law"]),
        ("chinchilla, formula:max(E, A*C**-a) ,", ["chinchilla", "formula:max(E, A*C**-a)"]),
        ("formula:min(E, exp(max(a, b))),m4", ["formula:min(E, exp(max(a, b)))", "m4"]),
    ],
)
def test_laws_split_at_commas_outside_parentheses(text, laws):
    assert split_laws(text) == laws
