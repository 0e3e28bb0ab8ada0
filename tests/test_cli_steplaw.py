"""`workbench steplaw`: fit sweeps, save, and report and predict again from the saved fit."""

import contextlib
import io
import json

import pytest

from workbench.cli import main
from workbench.hyperparameters import StepLawFit, simulate_sweeps

SETTINGS = [(N, ratio * N) for N in (1e8, 3e8, 1e9) for ratio in (20, 100)]
SHORT = ["--draws", "300", "--tune", "300", "--seed", "1"]
TARGET = ["--N", "7B", "--D", "1.4e12"]


def run_json(argv) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("steplaw")
    sweeps = folder / "sweeps.csv"
    simulate_sweeps(SETTINGS, random_seed=1).to_csv(sweeps, index=False)
    path = folder / "step.nc"
    report = run_json(["steplaw", str(sweeps), *SHORT, *TARGET, "-o", str(path), "--json"])
    return report, path


def test_fit_reports_parameters_diagnostics_and_a_new_settings_optima(fitted):
    report, _ = fitted
    assert (report["n_settings"], report["n_runs"]) == (len(SETTINGS), 65)
    assert report["ci_prob"] == 0.9
    exponent = report["parameters"]["lr_b_N"]
    assert exponent["ci_low_90"] < exponent["median"] < exponent["ci_high_90"] < 0
    assert set(report["diagnostics"]) == {"rhat_max", "ess_bulk_min", "ess_tail_min", "divergences"}
    rows = {row["quantity"]: row for row in report["predictions"]}
    assert set(rows) == {"learning_rate", "batch_size"}
    assert rows["learning_rate"]["N"] == 7e9 and rows["learning_rate"]["D"] == 1.4e12
    assert 0 < rows["learning_rate"]["ci_low_90"] < rows["learning_rate"]["ci_high_90"] < 1


def test_the_saved_fit_reports_and_predicts_the_same_without_sampling(fitted):
    report, path = fitted
    again = run_json(["steplaw", str(path), *TARGET, "--json"])
    assert again["parameters"] == report["parameters"]
    assert again["predictions"] == report["predictions"]
    assert StepLawFit.load(path).report(targets={"N": [7e9], "D": [1.4e12]}) == again


def test_a_missing_column_is_one_line_and_exit_2(fitted, tmp_path, capsys):
    sweeps = tmp_path / "sweeps.csv"
    simulate_sweeps(SETTINGS, random_seed=1).to_csv(sweeps, index=False)
    assert main(["steplaw", str(sweeps), "--lr", "peak_lr"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("workbench: error: column 'peak_lr'") and error.count("\n") == 1
