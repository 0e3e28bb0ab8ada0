"""`workbench fit` with checkpoint policies and groups."""

import json

from workbench.cli import main
from workbench.cli.fitting import StderrProgress
from workbench.runs import demo

FAST = ["--draws", "300", "--tune", "500"]


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_checkpoint_policies_use_the_documented_rows(capsys):
    runs = demo()
    n_runs = runs.data["run"].nunique()
    final = run_json(capsys, ["fit", "demo", "--law", "chinchilla", "--json", *FAST])
    assert final["n_obs"] == n_runs and "run_sd" not in final["noise"]
    effect = run_json(
        capsys,
        ["fit", "demo", "--law", "chinchilla", "--json", "--checkpoints", "run-effect", *FAST],
    )
    assert effect["n_obs"] == len(runs)
    assert 0 < effect["noise"]["run_sd"]["median"] < 0.2
    trimmed = run_json(
        capsys,
        [
            *("fit", "demo", "--law", "chinchilla", "--json", "--checkpoints", "independent"),
            *("--min-fraction", "0.5", *FAST),
        ],
    )
    assert n_runs < trimmed["n_obs"] < len(runs)
    assert "run_sd" not in trimmed["noise"] and "nu" in trimmed["noise"]


def test_json_fit_shows_progress_on_stderr_and_only_json_on_stdout(capsys, tmp_path):
    argv = ["fit", "demo", "--law", "chinchilla", "--checkpoints", "run-effect", "--json"]
    assert main([*argv, *FAST, "-o", str(tmp_path / "fit.nc")]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["n_obs"] == len(demo())
    progress = [line for line in captured.err.splitlines() if line.startswith("workbench: ")]
    for stage in ("fitting chinchilla", "calibrating"):
        lines = [line for line in progress if line.startswith(f"workbench: {stage}")]
        assert lines[-1] == f"workbench: {stage}: 100%", progress
        # Announced, then at most one line per tenth. How many tenths show depends on the
        # sampler's speed (it reports every 100 ms): a fast fit may jump straight to 100 %.
        assert 2 <= len(lines) <= 12, lines
    assert progress[-1] == f"workbench: saving to {tmp_path / 'fit.nc'}"


def test_stderr_progress_writes_each_tenth_once(capsys):
    report = StderrProgress(enabled=True).stage("fitting chinchilla", "sampling")
    for fraction in (0.0, 0.05, 0.12, 0.19, 0.5, 0.51, 0.99, 1.0, 1.0):
        report(fraction)
    assert capsys.readouterr().err.splitlines() == [
        "workbench: fitting chinchilla (sampling)",
        "workbench: fitting chinchilla: 10%",
        "workbench: fitting chinchilla: 50%",
        "workbench: fitting chinchilla: 90%",
        "workbench: fitting chinchilla: 100%",
    ]
    assert StderrProgress(enabled=False).stage("fitting chinchilla") is None


def test_grouped_fit_reports_each_groups_parameters(capsys, tmp_path):
    frame = (
        demo()
        .final_checkpoints()
        .data.assign(
            recipe=lambda table: [
                "a" if n < 5e8 or i % 2 else "b" for i, n in enumerate(table["N"])
            ]
        )
    )
    path = tmp_path / "runs.csv"
    frame.drop(columns=["C"]).to_csv(path, index=False)
    # Calibrating grouped fits has its own tests (tests/predict/test_calibration.py).
    command = ["fit", str(path), "--law", "chinchilla", "--groups", "recipe", "--no-calibrate"]
    report = run_json(capsys, [*command, "--json", *FAST])
    assert report["groups"] == ["a", "b"]
    assert {"alpha[a]", "alpha[b]", "E[a]", "E[b]"} <= set(report["params"])


def test_min_fraction_without_checkpoints_is_an_error(capsys):
    assert main(["fit", "demo", "--law", "chinchilla", "--min-fraction", "0.3"]) == 2
    assert "checkpoints" in capsys.readouterr().err


def test_unknown_group_column_is_an_error(capsys):
    assert main(["fit", "demo", "--law", "chinchilla", "--groups", "nope"]) == 2
    error = capsys.readouterr().err
    assert "nope" in error and len(error.strip().splitlines()) == 1
