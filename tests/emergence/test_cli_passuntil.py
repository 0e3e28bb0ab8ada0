"""``workbench passuntil``: the JSON report on simulated logs, and bad input."""

import json

import numpy as np
import pytest

from workbench.cli import main
from workbench.emergence import InstanceLaw, simulate_passuntil, simulate_task, true_pu

SIZES = np.geomspace(1e8, 1e10, 6)
LAW = InstanceLaw(mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9)
# Identical instances whose F bends down near 1e9 (a second circuit): the plain law predicts
# PU ≈ 0.65 at 1e11, where the truth is 0.92.
TWO_CIRCUITS = [(1.79, 0.3), (3.0, 0.8)]


@pytest.fixture(scope="module")
def logs_csv(tmp_path_factory):
    logs = simulate_passuntil(LAW, SIZES, 60, 2000, 3)
    path = tmp_path_factory.mktemp("logs") / "passuntil.csv"
    logs.frame.to_csv(path, index=False)
    return path


def test_json_report(logs_csv, capsys):
    argv = ["passuntil", str(logs_csv), "--target-N", "1e11", "--draws", "500", "--tune", "500"]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_models"] == 6 and report["n_instances"] == 60
    assert [row["N"] for row in report["estimates"]] == pytest.approx(list(SIZES))
    for row in report["estimates"]:
        assert row["ci_low_90"] <= row["median"] <= row["ci_high_90"]
    assert report["estimates"][0]["censored"] > 0  # the budget censors the smallest model
    assert set(report["params"]) == {"mu_b", "mu_alpha", "sd_b", "sd_alpha"}
    assert 0.3 < report["params"]["mu_alpha"]["median"] < 0.5  # simulated with 0.4
    (pu,) = [row for row in report["predictions"] if row["quantity"] == "PU"]
    assert pu["N"] == 1e11 and pu["ci_low_90"] < pu["median"] < pu["ci_high_90"]
    assert {row["quantity"] for row in report["predictions"]} == {"PU", "pass@1", "pass@10"}
    emergence = report["emergence"]
    assert emergence["verdict"] in {"accelerated", "plain", "subscaling", "undetermined"}
    total = emergence["p_accelerated"] + emergence["p_plain"] + emergence["p_subscaling"]
    assert total == pytest.approx(1.0)
    # The instances differ, so the pooled rate the task laws model is not PU.
    assert report["prediction_source"] == "passuntil_hierarchical"
    assert "instances differ" in report["prediction_text"]
    assert set(report["weights"]) == {"plain", "accelerated", "subscaling"}
    assert sum(report["weights"].values()) == pytest.approx(1.0)
    assert pu["distance_decades"] == pytest.approx(1.0)


def test_predictions_follow_an_accelerated_verdict(tmp_path, capsys):
    logs = simulate_task(TWO_CIRCUITS, SIZES, 100, None, 0, reference_N=1e8)
    path = tmp_path / "two_circuits.csv"
    logs.frame.to_csv(path, index=False)
    assert main(["passuntil", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["emergence"]["verdict"] == "accelerated"
    assert report["prediction_source"] == "task_law_mixture"
    assert report["weights"]["accelerated"] > 0.9
    assert f"accelerated {report['weights']['accelerated']:.2f}" in report["prediction_text"]
    (pu,) = [row for row in report["predictions"] if row["quantity"] == "PU"]
    truth = float(true_pu(logs, 1e11)[0])
    assert pu["ci_low_90"] <= truth <= pu["ci_high_90"]
    assert "warning" not in captured.err  # every fit converged at the defaults


def test_bad_logs_are_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("model,N,instance,attempts,passes\nm,1e8,a,10,12\nm,1e9,a,10,1\n")
    assert main(["passuntil", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "passes" in err
