"""`workbench isoflop`: fit IsoFLOP runs, select a setting, save, and report again from the file."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main
from workbench.hyperparameters import HOFFMANN_TRUTH, IsoFlopFit, simulate_isoflop_runs

BUDGETS = np.geomspace(1e18, 1e21, 5)
SHORT = ["--draws", "500", "--tune", "500", "--seed", "2"]


def run(argv) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def runs_file(tmp_path_factory):
    """Two settings in one file, as in Porian et al.'s runs: only ``chinchilla`` is fitted."""
    shallow = HOFFMANN_TRUTH | {"beta": 0.2}
    frames = [
        simulate_isoflop_runs(BUDGETS, random_seed=2).assign(setting="chinchilla"),
        simulate_isoflop_runs(BUDGETS, truth=shallow, random_seed=2).assign(setting="shallow"),
    ]
    path = tmp_path_factory.mktemp("isoflop") / "runs.csv"
    pd.concat(frames).drop(columns="N_opt").to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted(runs_file):
    path = runs_file.with_name("isoflop.nc")
    options = ["--where", "setting=chinchilla", *SHORT, "--budget", "1e23", "-o", str(path)]
    argv = ["isoflop", str(runs_file), *options, "--json"]
    return json.loads(run(argv)), path


def test_json_report_has_the_exponents_each_budget_and_the_prediction(fitted):
    report, _ = fitted
    truth = HOFFMANN_TRUTH["beta"] / (HOFFMANN_TRUTH["alpha"] + HOFFMANN_TRUTH["beta"])
    a = report["exponents"]["a"]
    assert a["ci_low_90"] < truth < a["ci_high_90"]
    assert report["exponents"]["b"]["median"] == pytest.approx(1 - a["median"])
    assert [row["C"] for row in report["budgets"]] == pytest.approx(list(BUDGETS))
    assert report["n_settings"] == len(BUDGETS)
    rows = {row["quantity"]: row for row in report["predictions"]}
    assert set(rows) == {"N_opt", "D_opt"}
    assert 6 * rows["N_opt"]["median"] * rows["D_opt"]["median"] == pytest.approx(1e23)


def test_the_saved_fit_reports_the_same_and_prints_a_table(fitted):
    report, path = fitted
    again = json.loads(run(["isoflop", str(path), "--budget", "1e23", "--json"]))
    assert again["exponents"] == report["exponents"]
    assert again == IsoFlopFit.load(path).report(targets={"C": [1e23]})
    text = run(["isoflop", str(path), "--ci-prob", "0.8"])
    a = IsoFlopFit.load(path).exponents(ci_prob=0.8).loc["a"]
    assert f"a = {a['median']:.4f}  [{a['ci_low_80']:.4f}, {a['ci_high_80']:.4f}]" in text
    assert text.count("C=") == len(BUDGETS)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("setting", "--where takes COLUMN=VALUE"),
        ("family=x", "no column 'family'"),
        ("setting=deep", "matches no run; setting takes: chinchilla, shallow"),
    ],
)
def test_a_bad_selection_is_one_line_and_exit_2(runs_file, capsys, where, message):
    assert main(["isoflop", str(runs_file), "--where", where]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
