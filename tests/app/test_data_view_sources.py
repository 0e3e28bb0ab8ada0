"""DataView's importers: a zipped TensorBoard log folder or lm-evaluation-harness output and a
W&B runs export uploaded, and an MLflow experiment read through the form; each gives the runs
and checkpoints the source holds."""

import asyncio

import numpy as np
import pandas as pd
from tracker_stores import (
    PYTHIA,
    RUNS,
    STEPS,
    loss,
    task_error,
    write_event_files,
    write_lm_eval_results,
    write_mlflow_store,
    zipped,
)

from workbench.app import DataView, WorkbenchState


def upload(view: DataView, content: bytes, filename: str) -> None:
    view._file_input.param.update(filename=filename, value=content)


def test_a_zipped_tensorboard_folder_uploads_with_every_checkpoint(tmp_path):
    write_event_files(tmp_path, simple_values=True)
    state = WorkbenchState()
    view = DataView(state=state, final_only=False)
    upload(view, zipped(tmp_path), "logs.zip")
    assert not view._alert.visible, view._alert.object
    assert len(state.runs) == len(RUNS) * len(STEPS)
    large = state.runs.data.query("run == 'large'").sort_values("step")
    np.testing.assert_allclose(large["loss"], [loss(RUNS["large"][0], step) for step in STEPS])
    np.testing.assert_allclose(large["D"], [RUNS["large"][1] * step for step in STEPS])
    view.tensorboard_metric = "eval/loss"  # the upload is read again with the new tag
    assert "no metric 'eval/loss'; it has: lr, train/loss" in view._alert.object
    upload(view, b"not a zip", "broken.zip")
    assert view._alert.object.startswith("Could not read 'broken.zip': not a zip archive")


def test_a_zipped_lm_eval_output_uploads_one_run_per_model(tmp_path):
    write_lm_eval_results(tmp_path)
    state = WorkbenchState()
    view = DataView(state=state)
    upload(view, zipped(tmp_path), "lm_eval.zip")
    assert "several tasks; name one: lambada_openai, piqa" in view._alert.object
    # The upload is read again when the task and tokens are filled in.
    view.lm_eval_task = "lambada_openai"
    assert "'EleutherAI/pythia-1.4b' has no D: give the tokens" in view._alert.object
    view.lm_eval_D = "300B"
    assert not view._alert.visible, view._alert.object
    assert state.runs.target == "error" and len(state.runs) == len(PYTHIA)
    runs = state.runs.data.set_index("N").sort_index()
    np.testing.assert_allclose(runs["error"], [task_error(N) for N in sorted(PYTHIA.values())])
    assert (runs["D"] == 3e11).all()


def test_a_wandb_runs_export_is_recognised_by_its_prefixes():
    export = pd.DataFrame(
        {
            "Name": list(RUNS),
            "State": "finished",
            "config.n_params": [N for N, _ in RUNS.values()],
            "config.tokens": [per_step * 300 for _, per_step in RUNS.values()],
            "summary.val_loss": [loss(N, 300) for N, _ in RUNS.values()],
        }
    )
    state = WorkbenchState()
    view = DataView(state=state)
    upload(view, export.to_csv(index=False).encode(), "wandb_export.csv")
    assert not view._alert.visible, view._alert.object
    assert sorted(state.runs.data["run"]) == sorted(RUNS)
    assert state.runs.source_columns["N"] == "n_params"


def test_an_mlflow_experiment_loads_through_the_form(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    write_mlflow_store(uri)
    state = WorkbenchState()
    view = DataView(state=state, final_only=False)
    view.param.update(mlflow_uri=uri, mlflow_experiment="other")
    asyncio.run(view.load_mlflow())
    assert "has no experiment 'other'" in view._alert.object
    view.param.update(
        mlflow_experiment="ladder", mlflow_N="n_params", mlflow_D="tokens", mlflow_loss="val_loss"
    )
    asyncio.run(view.load_mlflow())
    assert not view._alert.visible, view._alert.object
    assert len(state.runs) == len(RUNS) * len(STEPS)
    assert "MLflow experiment ladder" in view._runs_name
