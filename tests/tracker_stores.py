"""Experiment-tracker stores in their real formats, written by the trackers' own libraries:
TensorBoard event files and an MLflow store, holding the same five runs; and
lm-evaluation-harness results files as the harness lays them out."""

import io
import json
import time
import warnings
import zipfile

import pandas as pd

# Five runs: (N, tokens per step), losses at steps 100, 200, 300.
RUNS = {
    "small": (1.6e8, 5e5),
    "medium": (4.1e8, 5e5),
    "large": (1.4e9, 1e6),
    "xl": (2.8e9, 1e6),
    "xxl": (6.9e9, 2e6),
}
STEPS = (100, 200, 300)


def loss(N: float, step: int) -> float:
    return 2.0 + 400 / N**0.3 + 30 / step**0.5


def write_event_files(folder, simple_values: bool) -> None:
    """PyTorch-style ``simple_value`` summaries, or TensorFlow 2's scalar tensors."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary import Writer
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    for name, (N, tokens_per_step) in RUNS.items():
        run = folder / name
        if simple_values:
            writer = EventFileWriter(str(run))
            for step in STEPS:
                values = [
                    summary_pb2.Summary.Value(tag="train/loss", simple_value=loss(N, step)),
                    summary_pb2.Summary.Value(tag="lr", simple_value=1e-3),
                ]
                event = event_pb2.Event(
                    wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=values)
                )
                writer.add_event(event)
        else:
            writer = Writer(str(run))
            for step in STEPS:
                writer.add_scalar("train/loss", loss(N, step), step=step)
        writer.flush()
        writer.close()
        sidecar = {"N": N, "batch_size": tokens_per_step / 1000, "sequence_length": 1000}
        (run / "workbench.json").write_text(json.dumps(sidecar))


def expected_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (name, N, step * per_step, step, loss(N, step))
            for name, (N, per_step) in RUNS.items()
            for step in STEPS
        ],
        columns=["run", "N", "D", "step", "loss"],
    )


def write_mlflow_store(uri: str) -> None:
    """A store written through MLflow's own client: the ladder experiment's three runs."""
    from mlflow.tracking import MlflowClient

    with warnings.catch_warnings():
        # MLflow's SQL store asks SQLAlchemy for a loader that SQLAlchemy 2.1 deprecates.
        warnings.filterwarnings("ignore", message=r"The ``noload`` loader strategy")
        client = MlflowClient(tracking_uri=uri)
        experiment = client.create_experiment("ladder")
        for name, (N, per_step) in RUNS.items():
            run = client.create_run(experiment, run_name=name)
            client.log_param(run.info.run_id, "n_params", N)
            client.log_param(run.info.run_id, "tokens", per_step * STEPS[-1])
            for step in STEPS:
                client.log_metric(run.info.run_id, "val_loss", loss(N, step), step=step)
                client.log_metric(run.info.run_id, "tokens_seen", per_step * step, step=step)
            client.set_terminated(run.info.run_id)


# Pythia-like models: parameters as the harness counts them; the error falls as N^-0.3.
PYTHIA = {"pythia-70m": 7.0e7, "pythia-160m": 1.6e8, "pythia-410m": 4.1e8, "pythia-1b": 1.0e9}
PYTHIA |= {"pythia-1.4b": 1.4e9, "pythia-2.8b": 2.8e9}


def task_error(N: float) -> float:
    return 0.25 + 8.0 / N**0.15


def write_lm_eval_results(folder, counted: bool = True) -> None:
    for model, N in PYTHIA.items():
        run = folder / f"EleutherAI__{model}"
        run.mkdir(parents=True)
        config = {"model": "hf", "model_args": f"pretrained=EleutherAI/{model},dtype=float16"}
        if counted:
            config["model_num_parameters"] = int(N)
        results = {
            "results": {
                "lambada_openai": {"alias": "lambada_openai", "acc,none": 1 - task_error(N)},
                "piqa": {"alias": "piqa", "acc,none": 0.6},
            },
            "config": config,
        }
        (run / "results_2026-12-07T10-00-00.json").write_text(json.dumps(results))


def zipped(folder, root: str = "logs") -> bytes:
    """``folder`` zipped as a user would upload it: everything inside one top folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            archive.write(path, f"{root}/{path.relative_to(folder)}")
    return buffer.getvalue()


def write_lm_eval_samples(folder, passes: dict, attempts: int, task: str = "arith") -> None:
    """Per-sample logs of a generation task run with ``repeats: attempts``: for each model (its
    folder name as the harness writes it), instance i passes ``passes[model][i]`` times."""
    for model, per_instance in passes.items():
        run = folder / model
        run.mkdir(parents=True)
        lines = [
            {
                "doc_id": index,
                "target": "42",
                "filtered_resps": ["42"] * passed + ["0"] * (attempts - passed),
            }
            for index, passed in enumerate(per_instance)
        ]
        (run / f"samples_{task}_2026-12-07T10-00-00.jsonl").write_text(
            "\n".join(json.dumps(line) for line in lines)
        )
