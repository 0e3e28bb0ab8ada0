"""Importers of runs kept in experiment trackers, each on data in the source's real format:
TensorBoard event files and an MLflow store written by their own libraries, W&B's CSV exports and
lm-evaluation-harness results as those tools lay them out. Each returns exactly the runs,
checkpoints and N/D/loss the source holds, and bad sources get one-line errors."""

import json

import numpy as np
import pandas as pd
import pytest
from cli_runner import run
from tracker_stores import (
    PYTHIA,
    RUNS,
    expected_frame,
    loss,
    task_error,
    write_event_files,
    write_lm_eval_results,
    write_lm_eval_samples,
    write_mlflow_store,
)

from workbench.emergence import read_passuntil
from workbench.runs.sources import (
    SourceError,
    read_lm_eval_results,
    read_lm_eval_runs,
    read_lm_eval_samples,
    read_mlflow,
    read_source,
    read_tensorboard,
    read_wandb_history,
    read_wandb_runs,
)


def assert_runs(table, expected: pd.DataFrame) -> None:
    frame = table.data.sort_values(["run", "step"]).reset_index(drop=True)
    expected = expected.sort_values(["run", "step"]).reset_index(drop=True)
    assert len(frame) == len(expected) and set(frame["run"]) == set(expected["run"])
    for column in ("N", "D", "step", "loss"):
        np.testing.assert_allclose(frame[column], expected[column], rtol=1e-6, err_msg=column)


@pytest.mark.parametrize("simple_values", [True, False], ids=["pytorch", "tensorflow2"])
def test_tensorboard_runs_with_sidecars(tmp_path, simple_values):
    write_event_files(tmp_path, simple_values)
    assert_runs(read_tensorboard(tmp_path), expected_frame())


def test_tensorboard_sizes_given_by_the_user_win(tmp_path):
    write_event_files(tmp_path, simple_values=True)
    table = read_tensorboard(tmp_path, sizes={"small": {"N": 2e8, "D": 9e8}})
    small = table.data[table.data["run"] == "small"]
    assert (small["N"] == 2e8).all()
    np.testing.assert_allclose(small["D"], [3e8, 6e8, 9e8])  # in proportion to the step


def test_bad_tensorboard_sources_are_said_in_one_line(tmp_path):
    with pytest.raises(SourceError, match="holds no run folders"):
        read_tensorboard(tmp_path)
    write_event_files(tmp_path, simple_values=True)
    with pytest.raises(SourceError, match=r"no metric 'eval/loss'; it has: lr, train/loss"):
        read_tensorboard(tmp_path, metric="eval/loss")
    (tmp_path / "medium" / "workbench.json").unlink()
    with pytest.raises(SourceError, match="run 'medium' has no N") as caught:
        read_tensorboard(tmp_path)
    assert "\n" not in str(caught.value)


@pytest.fixture
def mlflow_store(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    write_mlflow_store(uri)
    return uri


def test_mlflow_runs_with_their_metric_history(mlflow_store):
    options = {"N_param": "n_params", "loss_metric": "val_loss"}
    by_steps = read_mlflow(mlflow_store, "ladder", D_param="tokens", **options)
    assert_runs(by_steps, expected_frame())
    by_metric = read_mlflow(mlflow_store, "ladder", tokens_metric="tokens_seen", **options)
    assert_runs(by_metric, expected_frame())


def test_mlflow_runs_in_a_local_mlruns_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 writes file stores on request
    write_mlflow_store((tmp_path / "mlruns").as_uri())
    table = read_mlflow(
        tmp_path / "mlruns", "ladder", N_param="n_params", D_param="tokens", loss_metric="val_loss"
    )
    assert_runs(table, expected_frame())


def test_bad_mlflow_requests_are_said_in_one_line(mlflow_store, tmp_path):
    missing = tmp_path / "missing.db"
    with pytest.raises(SourceError, match="no MLflow database at"):
        read_mlflow(f"sqlite:///{missing}", "ladder")
    assert not missing.exists()
    with pytest.raises(SourceError, match=r"has no experiment 'other'; it has: .*ladder"):
        read_mlflow(mlflow_store, "other")
    with pytest.raises(SourceError, match="no metric 'loss'; it has: tokens_seen, val_loss"):
        read_mlflow(mlflow_store, "ladder", N_param="n_params", D_param="tokens")
    with pytest.raises(SourceError, match="has no param 'N'"):
        read_mlflow(mlflow_store, "ladder", loss_metric="val_loss")


def test_wandb_runs_table_with_prefixes(tmp_path):
    path = tmp_path / "wandb_export.csv"
    pd.DataFrame(
        {
            "Name": list(RUNS),
            "State": "finished",
            "config.n_params": [N for N, _ in RUNS.values()],
            "config.tokens": [per_step * 300 for _, per_step in RUNS.values()],
            "summary.val_loss": [loss(N, 300) for N, _ in RUNS.values()],
            "summary._runtime": 3600,
        }
    ).to_csv(path, index=False)
    expected = expected_frame().query("step == 300").drop(columns="step")
    table = read_wandb_runs(path)
    frame = table.data.sort_values("run").reset_index(drop=True)
    expected = expected.sort_values("run").reset_index(drop=True)
    assert list(frame["run"]) == list(expected["run"])
    for column in ("N", "D", "loss"):
        np.testing.assert_allclose(frame[column], expected[column], rtol=1e-9)


def test_wandb_history_of_one_run(tmp_path):
    path = tmp_path / "large.csv"
    N, per_step = RUNS["large"]
    history = pd.DataFrame(
        {
            "_step": [100, 150, 200, 250, 300],
            "_runtime": [10, 15, 20, 25, 30],
            "loss": [loss(N, 100), np.nan, loss(N, 200), np.nan, loss(N, 300)],
        }
    )
    history.to_csv(path, index=False)
    table = read_wandb_history(path, N=N, batch_size=per_step / 1000, sequence_length=1000)
    assert_runs(table, expected_frame().query("run == 'large'"))
    with pytest.raises(SourceError, match="no metric 'val_loss'; it has: loss"):
        read_wandb_history(path, N=N, D=1e9, metric="val_loss")


def test_lm_eval_results_per_model(tmp_path):
    for model, (hellaswag, arc) in {
        "EleutherAI/pythia-160m": (0.30, 0.19),
        "EleutherAI/pythia-410m": (0.34, 0.21),
    }.items():
        folder = tmp_path / model.replace("/", "__")
        folder.mkdir()
        results = {
            "results": {
                "hellaswag": {"alias": "hellaswag", "acc,none": hellaswag, "acc_stderr,none": 0.01},
                "arc_challenge": {"alias": "arc_challenge", "acc,none": arc},
            },
            "config": {"model": "hf", "model_args": f"pretrained={model},dtype=float16"},
        }
        (folder / "results_2026-12-07T10-00-00.json").write_text(json.dumps(results))
    scores = read_lm_eval_results(tmp_path).set_index("model")
    assert scores.loc["EleutherAI/pythia-410m", "hellaswag"] == 0.34
    assert scores.loc["EleutherAI/pythia-160m", "arc_challenge"] == 0.19
    with pytest.raises(SourceError, match="no metric 'exact_match,none'; it has: acc,none"):
        read_lm_eval_results(tmp_path, metric="exact_match,none")


FIT = ["--law", "power_law", "--covariate", "N", "--no-calibrate", "--json"]
FIT += ["--draws", "300", "--tune", "300"]


def fitted_exponent(*argv) -> float:
    """``workbench fit`` from a source, end to end: the fitted exponent of loss in N."""
    code, out, err = run("fit", *argv, *FIT)
    assert code == 0, err
    return json.loads(out)["params"]["alpha"]["median"]


@pytest.mark.parametrize("source", ["tensorboard", "mlflow", "wandb"])
def test_each_source_is_fitted_from_the_command_line(tmp_path, source):
    """The final losses fall as N^-0.3 (with the step term at step 300 a constant)."""
    if source == "tensorboard":
        write_event_files(tmp_path, simple_values=True)
        argv = [tmp_path, "--source", "tensorboard"]
    elif source == "mlflow":
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        write_mlflow_store(uri)
        options = [
            "experiment=ladder",
            "N_param=n_params",
            "D_param=tokens",
            "loss_metric=val_loss",
        ]
        argv = [uri, "--source", "mlflow", *(f"--source-option={option}" for option in options)]
    else:
        path = tmp_path / "runs.csv"
        pd.DataFrame(
            {
                "Name": list(RUNS),
                "config.n_params": [N for N, _ in RUNS.values()],
                "config.tokens": [per_step * 300 for _, per_step in RUNS.values()],
                "summary.loss": [loss(N, 300) for N, _ in RUNS.values()],
            }
        ).to_csv(path, index=False)
        argv = [path, "--source", "wandb"]
    assert fitted_exponent(*argv) == pytest.approx(0.3, abs=0.05)


def test_a_wandb_run_history_is_fitted_from_the_command_line(tmp_path):
    """One run's losses by step: in tokens D = step × tokens per step, L falls as D^-0.5."""
    N, per_step = RUNS["large"]
    steps = np.arange(100, 2100, 100)
    path = tmp_path / "history.csv"
    pd.DataFrame({"_step": steps, "loss": [loss(N, step) for step in steps]}).to_csv(path)
    argv = [path, "--source", "wandb-history", f"--source-option=N={N:g}"]
    argv += [
        f"--source-option=batch_size={per_step / 1000:g}",
        "--source-option=sequence_length=1000",
    ]
    code, out, err = run(
        "fit", *argv, "--checkpoints", "independent", *FIT[:2], "--covariate", "D", *FIT[4:]
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["n_obs"] == len(steps)
    assert report["params"]["alpha"]["median"] == pytest.approx(0.5, abs=0.05)


def test_lm_eval_results_are_runs_of_task_error(tmp_path):
    write_lm_eval_results(tmp_path)
    table = read_lm_eval_runs(tmp_path, task="lambada_openai", D=3e11)
    frame = table.data.set_index("run")
    assert len(frame) == len(PYTHIA) and table.target == "error"
    for model, N in PYTHIA.items():
        row = frame.loc[f"EleutherAI/{model}"]
        assert (row["N"], row["D"]) == (N, 3e11)
        assert row["error"] == pytest.approx(task_error(N), rel=1e-12)
    with pytest.raises(SourceError, match="no task 'hellaswag'; their tasks: lambada_openai, piqa"):
        read_lm_eval_runs(tmp_path, task="hellaswag", D=3e11)
    with pytest.raises(SourceError, match="several tasks; name one: lambada_openai, piqa"):
        read_lm_eval_runs(tmp_path, D=3e11)
    with pytest.raises(SourceError, match="has no D: give the tokens"):
        read_lm_eval_runs(tmp_path, task="piqa")
    with pytest.raises(SourceError, match="not losses: name their error with --target"):
        read_lm_eval_runs(tmp_path, task="piqa", D=3e11, target="loss")


def test_lm_eval_results_without_parameter_counts_need_sizes(tmp_path):
    write_lm_eval_results(tmp_path, counted=False)
    with pytest.raises(
        SourceError, match=r"'EleutherAI/pythia-[^']+' has no N: its results have no"
    ):
        read_lm_eval_runs(tmp_path, task="piqa", D=3e11)
    sizes = {f"EleutherAI/{model}": {"N": N, "D": 3e11} for model, N in PYTHIA.items()}
    table = read_lm_eval_runs(tmp_path, task="piqa", sizes=sizes)
    assert sorted(table.data["N"]) == sorted(PYTHIA.values())


def test_lm_eval_results_are_fitted_from_the_command_line(tmp_path):
    write_lm_eval_results(tmp_path)
    argv = [tmp_path, "--source", "lm-eval", "--source-option=task=lambada_openai"]
    argv += ["--source-option=D=300B", "--target", "error"]
    code, out, err = run("fit", *argv, *FIT)
    assert code == 0, err
    report = json.loads(out)
    assert report["n_obs"] == len(PYTHIA)
    assert report["params"]["alpha"]["median"] == pytest.approx(0.15, abs=0.03)
    code, _, err = run("fit", *argv[:-2], *FIT)
    assert code == 2 and "--target error" in err and err.count("\n") == 1


def test_bad_source_options_are_said_in_one_line(tmp_path):
    write_event_files(tmp_path, simple_values=True)
    argv = ["--source", "tensorboard", "--source-option", "experiment=x", "--law", "power_law"]
    code, out, err = run("fit", tmp_path, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "takes no option experiment; its options: metric, sizes" in err
    code, _, err = run("fit", tmp_path, "--source-option", "metric=loss", "--law", "power_law")
    assert code == 2 and "--source-option needs --source" in err


def test_read_source_names_what_it_reads(tmp_path):
    with pytest.raises(SourceError, match="unknown source 'neptune'"):
        read_source("neptune", tmp_path)
    with pytest.raises(SourceError, match="no such file or folder"):
        read_source("tensorboard", tmp_path / "missing")


def test_lm_eval_samples_with_repeats_give_passuntil_counts(tmp_path):
    """Per-sample logs of a generation task with ``repeats: 4``, laid out as the harness does:
    an answer passes when it equals the target."""
    answers = {  # model: per instance, its four answers (the target is "42" or "7")
        "EleutherAI__pythia-160m": [["41", "42", "0", "40"], ["7", "1", "2", "3"]],
        "EleutherAI__pythia-410m": [["42", "42", "41", "42"], ["7", "7", "7", " 7 "]],
    }
    for model, per_instance in answers.items():
        folder = tmp_path / model
        folder.mkdir()
        lines = [
            {
                "doc_id": index,
                "target": target,
                "resps": [[*given]],
                "filtered_resps": [[*given]] if index == 0 else given,
                "exact_match": float(given[0] == target),
            }
            for index, (given, target) in enumerate(zip(per_instance, ["42", "7"], strict=True))
        ]
        path = folder / "samples_arith_2026-12-07T10-00-00.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    sizes = {"EleutherAI/pythia-160m": 1.6e8, "EleutherAI/pythia-410m": 4.1e8}
    logs = read_passuntil(read_lm_eval_samples(tmp_path, sizes, task="arith"))
    frame = logs.frame.set_index(["model", "instance"])
    assert frame.loc[("EleutherAI/pythia-160m", "0"), ["attempts", "passes"]].tolist() == [4, 1]
    assert frame.loc[("EleutherAI/pythia-410m", "1"), ["attempts", "passes"]].tolist() == [4, 4]
    assert frame.loc[("EleutherAI/pythia-410m", "0"), "N"] == 4.1e8
    with pytest.raises(SourceError, match="no N for model 'EleutherAI__pythia-160m'"):
        read_lm_eval_samples(tmp_path, {"EleutherAI/pythia-410m": 4.1e8})


@pytest.mark.sampling  # the PassUntil fit and emergence test sample in-process, through the CLI
def test_lm_eval_samples_are_fitted_from_the_command_line(tmp_path):
    """Five Pythia-like sizes, 30 instances each answered 40 times; the pass rate rises with N."""
    rng = np.random.default_rng(0)
    sizes = {f"org/model-{index}": N for index, N in enumerate([7e7, 1.6e8, 4.1e8, 1e9, 2.8e9])}
    difficulty = rng.normal(-4.0, 0.7, 30)
    passes = {
        model.replace("/", "__"): rng.binomial(
            40, 1 / (1 + np.exp(-(difficulty + 1.2 * np.log(N / 7e7))))
        )
        for model, N in sizes.items()
    }
    write_lm_eval_samples(tmp_path, passes, attempts=40)
    rates = {N: passes[model.replace("/", "__")].mean() / 40 for model, N in sizes.items()}
    argv = ["passuntil", tmp_path, "--source", "lm-eval", "--task", "arith", "--json"]
    argv += [f"--size={model}={N:g}" for model, N in sizes.items()]
    code, out, err = run(*argv, "--draws", "300", "--tune", "300")
    assert code == 0, err
    report = json.loads(out)
    assert (report["n_models"], report["n_instances"]) == (5, 30)
    estimates = {row["N"]: row for row in report["estimates"]}
    assert all(row["instances"] == 30 for row in estimates.values())
    medians = [estimates[N]["median"] for N in sorted(estimates)]
    assert np.all(np.diff(medians) > 0)  # the fitted pass rate rises with N, as simulated
    for N, rate in rates.items():
        assert estimates[N]["median"] == pytest.approx(rate, rel=0.5), N
    code, _, err = run("passuntil", tmp_path, "--size", "a=1e9", "--draws", "10")
    assert code == 2 and "add --source lm-eval" in err
