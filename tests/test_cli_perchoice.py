"""``workbench perchoice``: simulated logs written as lm-evaluation-harness lays them out, both
routes' predictions as JSON, and one-line errors."""

import json

import pytest
from cli_runner import run


def test_simulate_then_compare_the_routes(tmp_path):
    code, out, _ = run("perchoice", "--simulate", str(tmp_path))
    assert code == 0 and "no public per-choice data was found" in out
    logs = sorted(str(path) for path in tmp_path.glob("*/samples_*.jsonl"))
    assert len(logs) == 13
    code, out, err = run(
        "perchoice", str(tmp_path), "--compute-table", str(tmp_path / "compute.csv"), "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["problems"] == [] and len(report["fitted_models"]) == 8
    scores = report["scores"]
    assert scores["perchoice"]["mean_absolute_error"] < scores["direct"]["mean_absolute_error"]
    assert report["held_out"][-1]["model"] == "sim-1e23"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "give the logs to fit, or --simulate OUT_DIR"),
        (("missing.jsonl", "--compute", "missing=1e20"), "missing.jsonl is not a file"),
        ((".",), "holds no samples_*.jsonl log"),
        (("--compute", "1e20", "--", "x.jsonl"), "'1e20' is not MODEL=FLOPs"),
    ],
)
def test_errors_are_one_line(arguments, message):
    code, _, err = run("perchoice", *arguments)
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_log_without_compute_is_named(tmp_path):
    run("perchoice", "--simulate", str(tmp_path))
    logs = [str(path) for path in sorted(tmp_path.glob("*/samples_*.jsonl"))[:3]]
    code, _, err = run("perchoice", *logs, "--compute", "sim-1e19=1e19")
    assert code == 2 and "no compute given for" in err
