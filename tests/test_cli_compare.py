"""``workbench compare`` and ``workbench backtest``, as real processes and in-process."""

import json
import subprocess
import sys

import pytest

from workbench.cli import main
from workbench.runs import demo

FAST = ["--draws", "300", "--tune", "300", "--seed", "1"]
LAWS = "chinchilla,power_law"


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory):
    """Every checkpoint of the demo runs (each fit uses the final ones by default)."""
    path = tmp_path_factory.mktemp("runs") / "demo.csv"
    demo(seed=0).data.to_csv(path, index=False)
    return path


def run_cli(*argv) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.sampling
def test_compare_json_carries_elpd_and_weights(demo_csv):
    result = run_cli("compare", demo_csv, "--laws", LAWS, *FAST, "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["n_obs"] == 40 and report["method"] == "stacking"
    assert list(report["laws"]) == ["chinchilla", "power_law"]  # best first
    for row in report["laws"].values():
        assert set(row) == {"rank", "elpd_loo", "se", "p_loo", "elpd_diff", "dse", "weight"}
        assert 0 <= row["weight"] <= 1 and row["se"] > 0
    assert sum(row["weight"] for row in report["laws"].values()) == pytest.approx(1.0)
    assert report["laws"]["chinchilla"]["elpd_diff"] == 0
    assert report["laws"]["chinchilla"]["elpd_loo"] > report["laws"]["power_law"]["elpd_loo"]
    assert report["pareto_k_threshold"] == 0.7 and isinstance(report["pareto_k"], list)
    assert set(report["diagnostics"]) == {"chinchilla", "power_law"}
    # Beside PSIS-LOO: scores of the nested leave-future-out backtests and LFO stacking weights.
    lfo = report["lfo"]
    assert set(lfo) == {"chinchilla", "power_law"}
    for row in lfo.values():
        assert set(row) == {"elpd_lfo", "coverage_90", "interval_score_90", "weight"}
        assert 0 <= row["coverage_90"] <= 1 and row["interval_score_90"] > 0
    assert sum(row["weight"] for row in lfo.values()) == pytest.approx(1.0)


@pytest.mark.sampling
def test_backtest_json_carries_errors_and_coverage(demo_csv):
    result = run_cli(
        "backtest", demo_csv, "--laws", LAWS, "--holdout-top-frac", "0.2", *FAST, "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    holdout = report["holdout"]
    assert holdout["by"] == "C" and holdout["n_test"] == 8 and holdout["n_runs"] == 40
    largest = demo(seed=0).final_checkpoints().data.nlargest(8, "C")["run"]
    assert set(holdout["runs"]) == set(largest)
    assert list(report["laws"]) == ["chinchilla", "power_law"]
    for row in report["laws"].values():
        assert {
            "are",
            "coverage_50",
            "coverage_90",
            "elpd_loo",
            "weight",
            "mean_log_predictive_density",
        } <= set(row)
        assert 0 <= row["are"] < 0.2
        assert 0 <= row["coverage_50"] <= row["coverage_90"] <= 1
        assert 0 <= row["weight"] <= 1
        assert row["n_train"] == 32 and row["n_test"] == 8
    assert len(report["predictions"]) == 16
    prediction = report["predictions"][0]
    assert prediction["ci_low_90"] <= prediction["median"] <= prediction["ci_high_90"]
    assert isinstance(prediction["covered_90"], bool)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["compare", "demo", "--laws", "chinchilla"], "two or more laws"),
        (["compare", "demo", "--laws", "chinchilla,chinchilla"], "more than once"),
        (["compare", "demo", "--laws", "chinchilla,chinchila"], "valid names"),
        (["compare", "missing.csv", "--laws", "chinchilla,power_law"], "missing.csv"),
        (["compare", "demo"], "required"),
        (["backtest", "demo", "--laws", "chinchilla", "--cut", "1e30"], "nothing is held out"),
        (["backtest", "demo", "--laws", "chinchilla", "--by", "N", "--cut", "1"], "left to train"),
        (["backtest", "demo", "--laws", "chinchilla", "--holdout-top-frac", "2"], "between 0"),
        (
            ["backtest", "demo", "--laws", "chinchilla", "--holdout-top-frac", "0.2", "--cut", "1"],
            "not both",
        ),
        (["backtest", "demo", "--laws", "chinchilla", "--cut", "lots"], "lots"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("workbench: error:")
    assert expected in captured.err
