"""The ``workbench`` command line, in-process and as a real subprocess."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from workbench.cli import build_parser, main
from workbench.cli.serving import APP_SCRIPT, SERVE_LIMITS, serve_command, url_prefix
from workbench.fitting import ScalingLawFit
from workbench.runs import demo

FAST = ["--draws", "200", "--tune", "200"]


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "demo.csv"
    demo(seed=0).final_checkpoints().data.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def saved_fit(demo_csv, tmp_path_factory):
    path = tmp_path_factory.mktemp("fits") / "fit.nc"
    assert main(["fit", str(demo_csv), "--law", "chinchilla", *FAST, "-o", str(path)]) == 0
    return path


def run_json(capsys, argv):
    assert main(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_laws_lists_every_family(capsys):
    assert main(["laws"]) == 0
    out = capsys.readouterr().out
    for name in ("chinchilla", "kaplan_joint", "power_law", "broken_power_law"):
        assert name in out
    # Plain text in a terminal: no LaTeX.
    assert "L = E + A/N^α + B/D^β" in out
    assert "\\" not in out and "{" not in out


def test_a_reader_that_stops_early_is_not_an_error(monkeypatch, capsys):
    """`workbench laws | head -1`: the pipe closes before the output is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w", buffering=1) as closed_pipe:
        monkeypatch.setattr("sys.stdout", closed_pipe)
        assert main(["laws"]) == 141
    assert capsys.readouterr().err == ""


def test_fit_json_has_the_documented_shape(capsys, demo_csv):
    report = run_json(capsys, ["fit", str(demo_csv), "--law", "chinchilla", *FAST, "--json"])
    assert report["law"] == "chinchilla"
    assert report["n_obs"] == len(pd.read_csv(demo_csv))
    assert set(report["params"]) == {"E", "A", "B", "alpha", "beta"}
    for row in report["params"].values():
        assert row["ci_low_90"] < row["median"] < row["ci_high_90"]
    assert set(report["diagnostics"]) >= {"rhat_max", "ess_bulk_min", "divergences"}
    assert report["ci_prob"] == 0.9
    assert 1.7 < report["params"]["E"]["median"] < 1.9
    # Theory reads the law's exponents: α of N, β of D, and 4/α as an intrinsic dimension.
    theory = {row["covariate"]: row for row in report["theory"]}
    assert set(theory) == {"N", "D"}
    assert theory["N"]["exponent"] == pytest.approx(report["params"]["alpha"]["median"], rel=1e-6)
    assert theory["D"]["implied_dimension"] == pytest.approx(4 / theory["D"]["exponent"])
    assert "width_exponent" not in theory["D"]


def test_fit_prints_a_parameter_table(capsys, demo_csv):
    assert main(["fit", str(demo_csv), "--law", "chinchilla", *FAST]) == 0
    out = capsys.readouterr().out
    assert "90% interval" in out and "alpha" in out and "diagnostics:" in out
    assert "The loss falls as N^−" in out and "variance-limited regime" in out


def test_predict_json_from_saved_fit(capsys, saved_fit):
    result = run_json(capsys, ["predict", str(saved_fit), "--N", "70e9", "--D", "1.4T", "--json"])
    assert result["ci_prob"] == 0.9
    (prediction,) = result["predictions"]
    assert prediction["N"] == 70e9 and prediction["D"] == 1.4e12
    assert prediction["ci_low"] < prediction["ci_low_50"] < prediction["median"]
    assert prediction["median"] < prediction["ci_high_50"] < prediction["ci_high"]
    # The demo truth at 70B/1.4T tokens is 1.8 + 480/70e9^0.35 + 2000/1.4e12^0.37 = 1.92.
    assert prediction["ci_low"] < 1.92 < prediction["ci_high"]


def test_predict_matches_the_api(capsys, saved_fit):
    from workbench.fitting import ScalingLawFit

    result = run_json(capsys, ["predict", str(saved_fit), "--N", "1e10", "--D", "2e11", "--json"])
    api = ScalingLawFit.load(saved_fit).predict(N=[1e10], D=[2e11]).query("kind == 'observation'")
    assert result["predictions"][0]["median"] == api["median"].iloc[0]


BAD_TABLES = {
    "missing column": ("N,D\n1e8,1e9\n2e8,2e9\n", "loss"),
    "non-numeric": ("N,D,loss\n1e8,1e9,3.1\nabc,2e9,3.0\n", "N"),
    "non-finite": ("N,D,loss\n1e8,1e9,3.1\n2e8,2e9,inf\n", "loss"),
    "non-positive N": ("N,D,loss\n1e8,1e9,3.1\n-2e8,2e9,3.0\n", "N"),
    "non-positive loss": ("N,D,loss\n1e8,1e9,3.1\n2e8,2e9,0\n", "loss"),
    "duplicate run": ("run,step,N,D,loss\na,1,1e8,1e9,3.1\na,1,1e8,1e9,3.0\n", "run"),
    "too few points": ("N,D,loss\n1e8,1e9,3.1\n2e8,2e9,3.0\n", "distinct"),
}


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys):
    text, expected = BAD_TABLES[case]
    path = tmp_path / "runs.csv"
    path.write_text(text)
    assert main(["fit", str(path), "--law", "chinchilla", *FAST]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("workbench: error:")
    assert expected in captured.err


def test_a_one_covariate_law_names_the_size_the_table_has(tmp_path, capsys):
    path = tmp_path / "curve.csv"
    path.write_text("tokens,loss\n1e8,3.1\n1e9,2.9\n1e10,2.8\n1e11,2.75\n")
    assert main(["fit", str(path), "--law", "power_law", *FAST]) == 2
    error = capsys.readouterr().err
    assert "this law needs 'C'" in error and "--covariate D" in error


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["fit", "missing.csv", "--law", "chinchilla"], "missing.csv"),
        (["fit", "demo", "--law", "chinchila"], "valid names"),
        (["fit", "demo", "--law", "chinchilla", "--N", "params"], "apply to files"),
        (["fit", "missing.csv", "--law", "chinchilla", "--N", "params"], "missing.csv"),
        (["predict", "nofit.nc", "--N", "1e9", "--D", "1e10"], "nofit.nc"),
        (["fit"], "required"),
        # Options out of range are refused before any data is read or sampled.
        (["fit", "demo", "--law", "power_law", "--draws", "-5"], "--draws: must be at least 1"),
        (["fit", "demo", "--law", "power_law", "--draws", "0"], "--draws: must be at least 1"),
        (["fit", "demo", "--law", "power_law", "--tune", "-1"], "--tune: must be at least 0"),
        (["fit", "demo", "--law", "power_law", "--chains", "0"], "--chains: must be at least 1"),
        (["fit", "demo", "--law", "power_law", "--draws", "1e3"], "--draws: must be a whole"),
        (["fit", "demo", "--law", "power_law", "--ci-prob", "1.5"], "--ci-prob: must lie"),
        (["compare", "demo", "--laws", "power_law", "--chains", "0"], "--chains"),
        (["passuntil", "logs.csv", "--draws", "0"], "--draws: must be at least 1"),
        (["batch", "spec.yaml", "--workers", "0"], "--workers: must be at least 1"),
        (["predict", "nofit.nc", "--C", "1e24", "--ci-prob", "0"], "--ci-prob: must lie"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err


@pytest.mark.parametrize("value", ["-7e10", "-70B", "-1"])
def test_a_negative_target_is_named_as_a_value(saved_fit, value, capsys):
    assert main(["predict", str(saved_fit), "--N", value, "--D", "1e12"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "target N must be positive" in err


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (["--N", "1B", "2B", "3B", "--D", "1T", "2T"], "N has 3, D has 2"),
        (["--N", "1B", "--D", "1T", "--at", "U=25B"], "chinchilla does not use U"),
        (["--N", "1B", "--D", "1T", "--C", "6e21"], "does not use C (it reads N, D); drop --C"),
    ],
)
def test_targets_the_law_cannot_use_are_refused(saved_fit, targets, expected, capsys):
    assert main(["predict", str(saved_fit), *targets]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err


def test_contradictory_sizes_are_refused_in_the_library(saved_fit):
    fit = ScalingLawFit.load(saved_fit)
    with pytest.raises(ValueError, match=r"C = 5e\+10, but 6·N·D = 6e\+21"):
        fit.predict({"N": [1e9], "D": [1e12], "C": [5e10]})


def test_predict_missing_covariate(saved_fit, capsys):
    assert main(["predict", str(saved_fit), "--N", "1e9"]) == 2
    assert "missing D" in capsys.readouterr().err


def test_real_process_prints_no_traceback(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss\n1e8,1e9,3.1\n2e8,2e9,-1\n")
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "fit", str(path), "--law", "chinchilla"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "row" in result.stderr and "loss" in result.stderr


def test_demo_prints_report_extrapolation_and_optimum(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "diagnostics look healthy" in out
    assert "Extrapolation to 1x, 3x and 10x" in out and "true mean" in out
    assert "tokens_per_parameter" in out


def serve_arguments(*argv):
    return build_parser().parse_args(["serve", *argv])


def test_serve_runs_the_app_under_a_url_prefix():
    command = serve_command(serve_arguments("--port", "5010", "--prefix", "user/me/dashboard/"))
    assert APP_SCRIPT.exists() and str(APP_SCRIPT) in command
    assert command[command.index("--port") + 1] == "5010"
    assert command[command.index("--prefix") + 1] == "/user/me/dashboard"


def test_serve_without_a_prefix_serves_at_the_root():
    assert "--prefix" not in serve_command(serve_arguments())


def test_serve_limits_reach_the_app_through_the_environment(monkeypatch):
    for variable in SERVE_LIMITS.values():
        # setenv first: delenv of an unset variable records nothing, so the values `serve` sets
        # would outlive the test and limit every dashboard test after it.
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    executed = []
    monkeypatch.setattr("os.execv", lambda path, command: executed.append(command))
    options = ["--max-rows", "10", "--max-draws", "20", "--fit-timeout", "30", "--max-fits", "4"]
    main(["serve", "--port", "0", *options])
    assert executed
    environment = {option: os.environ[variable] for option, variable in SERVE_LIMITS.items()}
    assert environment == {
        "max_upload_mb": "50.0",
        "max_rows": "10",
        "max_draws": "20",
        "fit_timeout": "30",
        "max_fits": "4",
    }


@pytest.mark.parametrize(
    ("path", "expected"), [("", ""), ("/", ""), ("a/b/", "/a/b"), ("/a/b", "/a/b")]
)
def test_url_prefix_has_one_leading_slash_and_none_trailing(path, expected):
    assert url_prefix(path) == expected


def test_a_target_far_below_the_data_is_warned_about(saved_fit, capsys):
    report = run_json(capsys, ["predict", str(saved_fit), "--N", "10", "--D", "10", "--json"])
    (prediction,) = report["predictions"]
    assert prediction["distance"] > 5 and prediction["beyond_evidence"]
    assert "decades past the training runs" in report["warnings"][0]
