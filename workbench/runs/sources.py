"""Runs read from where they live: TensorBoard event files, an MLflow tracking store, Weights &
Biases CSV exports and lm-evaluation-harness results.

Each training importer returns an ordinary :class:`~workbench.runs.RunTable` (``run``, ``N``,
``D``, ``step`` and the target, checkpoints included), so every law, fit and view works on it
unchanged. ``read_source(kind, location, ...)`` dispatches on the kind; the command line's
``--source`` and the dashboard's Data tab use it. TensorBoard and MLflow need the ``sources``
extra; a missing one is named with the command that installs it.

Model size and tokens:
- TensorBoard: each run's folder holds a ``workbench.json`` sidecar, ``{"N": 1.6e8, "D": 3.2e9}``
  (``D`` the tokens at the last step), or ``{"N": ..., "batch_size": 256, "sequence_length":
  2048}`` (tokens = step × batch × sequence length); a ``sizes`` mapping ``{run: {...}}`` given
  by the user does the same and wins.
- MLflow: the run's params named by ``N_param`` and ``D_param``; a ``tokens_metric`` logged by
  step gives each checkpoint's tokens, else tokens grow in proportion to the step.
- Weights & Biases: the runs-table CSV (one row per run; ``config.`` and ``summary.`` prefixes or
  none) or a per-run history CSV (``_step`` and metric columns), whose N and D are given.
"""

import contextlib
import inspect
import json
import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.runs.errors import RunTableError
from workbench.runs.table import RunTable
from workbench.runs.units import parse_quantity
from workbench.runs.validation import from_frame

SIDECAR = "workbench.json"
INSTALL_HINT = "install it with `.tools/bin/uv sync --all-extras` (the `sources` extra)"
RUN_SOURCES = ("tensorboard", "mlflow", "wandb", "wandb-history", "lm-eval")
"""The kinds of source ``read_source`` reads runs from."""
WANDB_PREFIXES = ("config.", "summary.", "config/", "summary/")


class SourceError(RunTableError):
    """A source that cannot be read as runs, said in one line."""

    def __init__(self, problem: str):
        super().__init__(problem)


@contextlib.contextmanager
def library_deprecations_hidden() -> Iterator[None]:
    """tbparse sorts with pandas' deprecated ``inplace``, and MLflow's SQL store asks SQLAlchemy
    for a deprecated loader: their warnings, about their code, not the user's."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"The inplace keyword in DataFrame\.sort_values")
        warnings.filterwarnings("ignore", message=r"The ``noload`` loader strategy")
        yield


def require(module: str):
    """Import an optional dependency, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise SourceError(f"reading this source needs {module}: {INSTALL_HINT}") from None


def unknown_metric(metric: str, available, where: str) -> SourceError:
    names = ", ".join(sorted(map(str, available))) or "none"
    return SourceError(f"{where} has no metric {metric!r}; it has: {names}")


def checkpoint_tokens(steps: np.ndarray, sizes: Mapping, run: str) -> np.ndarray:
    """Tokens seen at each step: step × batch × sequence length, or D in proportion to the step."""
    if "batch_size" in sizes and "sequence_length" in sizes:
        return steps * float(sizes["batch_size"]) * float(sizes["sequence_length"])
    if "D" in sizes:
        return float(sizes["D"]) * steps / steps.max()
    raise SourceError(
        f"run {run!r} has no tokens: give D (tokens at its last step), or batch_size and "
        "sequence_length"
    )


def runs_table(frame: pd.DataFrame, target: str) -> RunTable:
    return from_frame(
        frame,
        mapping={"run": "run", "N": "N", "D": "D", "step": "step", target: target},
        target=target,
    )


# -- TensorBoard ----------------------------------------------------------------------------
def read_tensorboard(
    folder, metric: str = "train/loss", sizes: Mapping | None = None, target: str = "loss"
) -> RunTable:
    """A folder of TensorBoard runs (one subfolder each, event files inside) as a run table:
    ``metric``'s scalars by step are the checkpoints' ``target``."""
    tbparse = require("tbparse")
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder of TensorBoard runs")
    runs = sorted(path for path in folder.iterdir() if path.is_dir())
    if not runs:
        raise SourceError(f"{folder} holds no run folders (one subfolder per run)")
    sizes = dict(sizes or {})
    frames, seen = [], set()
    for run in runs:
        with library_deprecations_hidden():
            scalars = tensorboard_scalars(tbparse.SummaryReader(str(run)))
        if scalars.empty:
            raise SourceError(f"run {run.name!r} in {folder} has no TensorBoard scalars")
        seen |= set(scalars["tag"])
        rows = scalars[scalars["tag"] == metric]
        if rows.empty:
            continue
        run_sizes = sizes.get(run.name) or read_sidecar(run)
        if "N" not in run_sizes:
            raise SourceError(
                f"run {run.name!r} has no N: write {SIDECAR} in its folder, e.g. "
                '{"N": 1.6e8, "D": 3.2e9}, or give its sizes'
            )
        steps = rows["step"].to_numpy(float)
        frames.append(
            pd.DataFrame(
                {
                    "run": run.name,
                    "N": float(run_sizes["N"]),
                    "D": checkpoint_tokens(steps, run_sizes, run.name),
                    "step": steps,
                    target: rows["value"].to_numpy(float),
                }
            )
        )
    if not frames:
        raise unknown_metric(metric, seen, f"no run in {folder}")
    frame = pd.concat(frames, ignore_index=True)
    return runs_table(frame[frame["step"] > 0], target)


@contextlib.contextmanager
def unzipped(archive) -> Iterator[Path]:
    """A zip archive (a path or a file object) extracted to a temporary folder."""
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        try:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.namelist():
                    if not (root / member).resolve().is_relative_to(root):
                        raise SourceError(f"the archive names a path outside itself: {member}")
                zipped.extractall(root)
        except zipfile.BadZipFile as error:
            raise SourceError(f"not a zip archive: {error}") from None
        yield root


def zip_source(root: Path) -> str:
    """Which source an extracted archive holds: ``tensorboard`` or ``lm-eval``."""
    if next(root.rglob("events.out.tfevents*"), None):
        return "tensorboard"
    if next(root.rglob("results_*.json"), None):
        return "lm-eval"
    raise SourceError(
        "the archive holds neither TensorBoard event files nor lm-evaluation-harness "
        "results_*.json files"
    )


def tensorboard_folder_runs(root: Path, metric: str, target: str) -> RunTable:
    """The runs of an extracted TensorBoard log folder, wherever in ``root`` it lies."""
    runs = {path.parent for path in root.rglob("events.out.tfevents*")}
    parents = {run.parent for run in runs}
    if not runs:
        raise SourceError("the archive holds no TensorBoard event files")
    if len(parents) > 1:
        raise SourceError(
            "the archive's runs lie in different folders; zip one log folder with one "
            "subfolder per run"
        )
    return read_tensorboard(parents.pop(), metric=metric, target=target)


def tensorboard_scalars(reader) -> pd.DataFrame:
    """``step``, ``tag``, ``value`` of every scalar: PyTorch's and TensorBoardX's ``simple_value``
    summaries, and TensorFlow 2's scalar tensors."""
    frames = [reader.scalars]
    tensors = reader.tensors
    if not tensors.empty:
        values = [np.asarray(value) for value in tensors["value"]]
        scalar = np.array([value.size == 1 for value in values])
        frames.append(
            tensors[scalar].assign(
                value=[float(value) for value, keep in zip(values, scalar, strict=True) if keep]
            )
        )
    frames = [frame[["step", "tag", "value"]] for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def read_sidecar(run: Path) -> dict:
    path = run / SIDECAR
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise SourceError(f"{path} is not JSON: {error}") from None


# -- MLflow ---------------------------------------------------------------------------------
def read_mlflow(
    tracking_uri: str,
    experiment: str,
    N_param: str = "N",
    D_param: str = "D",
    loss_metric: str = "loss",
    tokens_metric: str | None = None,
    target: str = "loss",
) -> RunTable:
    """An MLflow experiment's runs (a local ``mlruns`` folder or a database URI): the params
    ``N_param`` and ``D_param`` and the history of ``loss_metric`` as checkpoints."""
    require("mlflow")
    from mlflow.tracking import MlflowClient

    uri = str(tracking_uri)
    database = uri.removeprefix("sqlite:///") if uri.startswith("sqlite:///") else None
    if database is not None and not Path(database).is_file():
        # MLflow would create an empty store there: a typo would read as "no experiment".
        raise SourceError(f"no MLflow database at {database}")
    if "://" not in uri:
        # A local mlruns folder: MLflow 3 reads it only when told that the old file store is
        # wanted (it is, here: the user's runs are in it).
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        uri = Path(uri).resolve().as_uri()
    with library_deprecations_hidden():
        client = MlflowClient(tracking_uri=uri)
        frames = mlflow_frames(
            client, tracking_uri, experiment, N_param, D_param, loss_metric, tokens_metric, target
        )
    return runs_table(frames[frames["step"] > 0], target)


def mlflow_frames(
    client, tracking_uri, experiment, N_param, D_param, loss_metric, tokens_metric, target
) -> pd.DataFrame:
    """One row per checkpoint of every run of ``experiment`` that logged ``loss_metric``."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = ", ".join(sorted(e.name for e in client.search_experiments())) or "none"
        raise SourceError(f"{tracking_uri} has no experiment {experiment!r}; it has: {names}")
    runs = client.search_runs([found.experiment_id])
    if not runs:
        raise SourceError(f"experiment {experiment!r} in {tracking_uri} has no runs")
    frames, seen = [], set()
    for run in runs:
        name = run.info.run_name or run.info.run_id
        seen |= set(run.data.metrics)
        if loss_metric not in run.data.metrics:
            continue
        params = run.data.params
        if N_param not in params:
            raise SourceError(
                f"run {name!r} has no param {N_param!r} (its params: "
                f"{', '.join(sorted(params)) or 'none'}); log N or name the param that holds it"
            )
        history = client.get_metric_history(run.info.run_id, loss_metric)
        steps = np.array([point.step for point in history], dtype=float)
        if tokens_metric is not None:
            tokens = {
                p.step: p.value for p in client.get_metric_history(run.info.run_id, tokens_metric)
            }
            if not tokens:
                raise unknown_metric(tokens_metric, run.data.metrics, f"run {name!r}")
            D = np.array([tokens.get(point.step, np.nan) for point in history])
        else:
            if D_param not in params:
                raise SourceError(
                    f"run {name!r} has no param {D_param!r} and no tokens metric was named"
                )
            D = checkpoint_tokens(steps, {"D": float(params[D_param])}, name)
        frames.append(
            pd.DataFrame(
                {
                    "run": name,
                    "N": float(params[N_param]),
                    "D": D,
                    "step": steps,
                    target: [point.value for point in history],
                }
            )
        )
    if not frames:
        raise unknown_metric(loss_metric, seen, f"experiment {experiment!r}")
    return pd.concat(frames, ignore_index=True)


# -- Weights & Biases -----------------------------------------------------------------------
def read_wandb_runs(
    path, mapping: Mapping[str, str] | None = None, target: str = "loss"
) -> RunTable:
    """W&B's runs-table CSV (one row per run, as the UI or the API exports it): ``config.`` and
    ``summary.`` prefixes are dropped, then columns are recognised as in any run table
    (``Name`` is the run)."""
    return from_frame(wandb_runs_frame(pd.read_csv(path)), mapping=mapping, target=target)


def is_wandb_export(frame: pd.DataFrame) -> bool:
    """Whether a table's columns carry W&B's ``config.``/``summary.`` prefixes."""
    return any(str(column).startswith(WANDB_PREFIXES) for column in frame.columns)


def wandb_runs_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A W&B runs table with its prefixes dropped and ``Name`` as the run id."""
    renamed = {}
    for column in frame.columns:
        name = str(column)
        for prefix in WANDB_PREFIXES:
            name = name.removeprefix(prefix)
        renamed[column] = "run" if name in ("Name", "name") else name
    frame = frame.rename(columns=renamed)
    return frame.loc[:, ~frame.columns.duplicated()]


def read_wandb_history(
    path,
    N: float,
    D: float | None = None,
    metric: str = "loss",
    run: str | None = None,
    batch_size: float | None = None,
    sequence_length: float | None = None,
    target: str = "loss",
) -> RunTable:
    """One run's history CSV from W&B (``_step`` and a column per metric; rows where the metric
    was not logged are skipped). N is given; D is the tokens at the last step, or batch size and
    sequence length give each step's tokens."""
    history = pd.read_csv(path)
    step_column = "_step" if "_step" in history else "step" if "step" in history else None
    if step_column is None:
        raise SourceError(f"{path} has no _step column: is it a W&B run history export?")
    if metric not in history:
        raise unknown_metric(metric, [c for c in history if not str(c).startswith("_")], str(path))
    rows = history[[step_column, metric]].dropna()
    steps = rows[step_column].to_numpy(float)
    sizes = {"D": D} if D is not None else {}
    if batch_size is not None and sequence_length is not None:
        sizes = {"batch_size": batch_size, "sequence_length": sequence_length}
    name = run or Path(path).stem
    frame = pd.DataFrame(
        {
            "run": name,
            "N": float(N),
            "D": checkpoint_tokens(steps, sizes, name),
            "step": steps,
            target: rows[metric].to_numpy(float),
        }
    )
    return runs_table(frame[frame["step"] > 0], target)


# -- lm-evaluation-harness ------------------------------------------------------------------
def read_lm_eval_results(location, metric: str = "acc,none") -> pd.DataFrame:
    """Downstream scores per model from lm-evaluation-harness's ``results_*.json`` files (a file,
    or a folder searched recursively): one row per model, ``model``, ``N`` (the harness's
    ``config.model_num_parameters``, missing for models it could not count) and a column per task
    with its ``metric`` (``acc,none`` by default)."""
    location = Path(location)
    paths = sorted(location.rglob("results_*.json")) if location.is_dir() else [location]
    if not paths:
        raise SourceError(f"{location} holds no lm-evaluation-harness results_*.json files")
    rows = {}
    for path in paths:
        try:
            content = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise SourceError(
                f"{path} is not an lm-evaluation-harness results file: {error}"
            ) from None
        if "results" not in content:
            raise SourceError(f"{path} has no 'results': is it an lm-evaluation-harness output?")
        model = content.get("model_name") or model_of(content) or path.parent.name
        scores = {
            task: values[metric]
            for task, values in content["results"].items()
            if isinstance(values, dict) and metric in values
        }
        if not scores:
            found = {key for values in content["results"].values() for key in values}
            raise unknown_metric(metric, found - {"alias"}, str(path))
        parameters = content.get("config", {}).get("model_num_parameters")
        rows.setdefault(model, {"N": np.nan}).update(scores)
        if parameters:
            rows[model]["N"] = float(parameters)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model").reset_index()


def read_lm_eval_runs(
    location,
    task: str | None = None,
    metric: str = "acc,none",
    D: float | None = None,
    sizes: Mapping[str, float | Mapping[str, float]] | None = None,
    target: str = "error",
) -> RunTable:
    """One run per model from lm-evaluation-harness's ``results_*.json`` files, for the laws of
    downstream error: ``target`` is the task's error, 1 − ``metric`` (an accuracy, or another
    score in [0, 1] where higher is better).

    ``task`` may be left out when the results hold one task. N is the harness's
    ``config.model_num_parameters``, or ``sizes[model]``; D is the tokens
    every model was trained on (Pythia's 300B), or ``sizes`` may hold ``{model: {"N": …,
    "D": …}}``.
    """
    if target == "loss":
        raise SourceError(
            "lm-evaluation-harness scores are task accuracies, not losses: name their error "
            "with --target, e.g. --target error"
        )
    scores = read_lm_eval_results(location, metric=metric)
    tasks = list(scores.columns.drop(["model", "N"]))
    if task is None and len(tasks) > 1:
        raise SourceError(f"the results hold several tasks; name one: {', '.join(tasks)}")
    task = task or tasks[0]
    if task not in tasks:
        raise SourceError(f"the results hold no task {task!r}; their tasks: {', '.join(tasks)}")
    sizes, rows = dict(sizes or {}), []
    for model, N, score in scores[["model", "N", task]].itertuples(index=False):
        if pd.isna(score):
            continue  # this model's files do not hold the task
        given = sizes.get(model, {})
        given = given if isinstance(given, Mapping) else {"N": given}
        N, tokens = given.get("N", N), given.get("D", D)
        if N is None or pd.isna(N):
            raise SourceError(
                f"model {model!r} has no N: its results have no config.model_num_parameters; "
                "give its parameters in sizes"
            )
        if tokens is None:
            raise SourceError(
                f"model {model!r} has no D: give the tokens the models were trained on, e.g. "
                "D=300B for Pythia"
            )
        rows.append({"run": model, "N": float(N), "D": float(tokens), target: 1.0 - score})
    return from_frame(
        pd.DataFrame(rows),
        mapping={"run": "run", "N": "N", "D": "D", target: target},
        target=target,
    )


def parse_model_sizes(assignments) -> dict[str, float]:
    """``MODEL=N`` assignments (``EleutherAI/pythia-160m=160M``) as ``{model: N}``; a
    ``ValueError`` names the first that is not one."""
    sizes = {}
    for assignment in assignments:
        model, equals, text = assignment.strip().rpartition("=")
        try:
            if not equals or not model.strip():
                raise ValueError
            sizes[model.strip()] = parse_quantity(text.strip())
        except ValueError:
            raise ValueError(
                f"a model size is MODEL=N, e.g. EleutherAI/pythia-160m=160M; got {assignment!r}"
            ) from None
    return sizes


def read_lm_eval_samples(
    location, sizes: Mapping[str, float], task: str | None = None
) -> pd.DataFrame:
    """PassUntil counts from lm-evaluation-harness's per-sample logs of a generation task run
    with ``repeats`` (``--log_samples``): one ``samples_<task>_<date>.jsonl`` per model, in a
    folder named after the model as the harness lays them out (``<output>/<model>/``).

    Each line's ``filtered_resps`` holds the task's k filtered answers; an answer passes when
    it equals the line's ``target`` after trimming spaces (exact match, the metric of the
    arithmetic and QA generation tasks PassUntil was made for). ``sizes`` gives each model's
    parameters, by its folder name or its ``pretrained=`` name. Returns PassUntil logs as a
    table, ``model``, ``N``, ``instance``, ``attempts`` (k) and ``passes``, for
    ``workbench.emergence.read_passuntil`` (or a CSV for ``workbench passuntil``).
    """
    location = Path(location)
    pattern = f"samples_{task}_*.jsonl" if task else "samples_*.jsonl"
    paths = sorted(location.rglob(pattern)) if location.is_dir() else [location]
    if not paths:
        raise SourceError(f"{location} holds no lm-evaluation-harness {pattern} files")
    rows = []
    for path in paths:
        model = path.parent.name
        size = sizes.get(model, sizes.get(model.replace("__", "/")))
        if size is None:
            raise SourceError(
                f"no N for model {model!r} ({path.name}): give its parameters in sizes"
            )
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                sample = json.loads(line)
                answers = sample["filtered_resps"]
                target = str(sample["target"]).strip()
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise SourceError(
                    f"{path} line {number} is not an lm-evaluation-harness sample: {error}"
                ) from None
            if len(answers) == 1 and isinstance(answers[0], list):
                answers = answers[0]  # one request, its k repeats
            answers = [answer[0] if isinstance(answer, list) else answer for answer in answers]
            rows.append(
                {
                    "model": model.replace("__", "/"),
                    "N": float(size),
                    "instance": str(sample.get("doc_id", number)),
                    "attempts": len(answers),
                    "passes": sum(str(answer).strip() == target for answer in answers),
                }
            )
    return pd.DataFrame(rows)


def model_of(content: Mapping) -> str | None:
    """The ``pretrained=`` model of a results file's ``config.model_args``, if any."""
    arguments = content.get("config", {}).get("model_args") or ""
    if isinstance(arguments, dict):
        return arguments.get("pretrained")
    for part in str(arguments).split(","):
        key, _, value = part.partition("=")
        if key.strip() == "pretrained":
            return value.strip()
    return None


# -- dispatch -------------------------------------------------------------------------------
def read_source(kind: str, location, target: str = "loss", **options) -> RunTable:
    """Runs from a source of ``kind`` (one of :data:`RUN_SOURCES`) at ``location``; ``options``
    are the reader's keywords."""
    readers = dict(
        zip(
            RUN_SOURCES,
            (read_tensorboard, read_mlflow, read_wandb_runs, read_wandb_history, read_lm_eval_runs),
            strict=True,
        )
    )
    if kind not in readers:
        raise SourceError(f"unknown source {kind!r}; sources of runs: {', '.join(readers)}")
    if kind != "mlflow" and not os.path.exists(location):
        raise SourceError(f"no such file or folder: {location}")
    reader = readers[kind]
    accepted = [name for name in inspect.signature(reader).parameters if name not in ("target",)][
        1:
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise SourceError(
            f"the {kind} source takes no option {', '.join(unknown)}; its options: "
            f"{', '.join(accepted)}"
        )
    return reader(location, target=target, **options)
