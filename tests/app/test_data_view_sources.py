"""DataView's importers: a zipped TensorBoard log folder and a W&B runs export uploaded, and an
MLflow experiment read through the form; each gives the runs and checkpoints the source holds."""

import asyncio
import io
import zipfile

import numpy as np
import pandas as pd
from tracker_stores import RUNS, STEPS, loss, write_event_files, write_mlflow_store

from workbench.app import DataView, WorkbenchState


def zipped(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            archive.write(path, "logs/" + str(path.relative_to(folder)))
    return buffer.getvalue()


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
    view.tensorboard_metric = "eval/loss"
    upload(view, zipped(tmp_path), "eval_logs.zip")
    assert "no metric 'eval/loss'; it has: lr, train/loss" in view._alert.object
    upload(view, b"not a zip", "broken.zip")
    assert view._alert.object.startswith("Could not read 'broken.zip' as TensorBoard runs")


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
