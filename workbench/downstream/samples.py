"""Per-sample multiple-choice log-likelihoods as lm-evaluation-harness writes them with
``--log_samples``, read into one table of models × items × choices, and written back.

lm-evaluation-harness writes ``<output>/<model>/samples_<task>_<date>.jsonl``, one JSON object a
line: ``doc_id``, ``target`` (the gold choice's index, written as a string by recent versions),
``resps`` (per choice, the list of the model's responses) and ``filtered_resps`` (per choice,
``[loglikelihood, is_greedy]``; recent versions write both numbers as strings), the metrics
(``acc``, ...) and more. A model's training compute is not in its log: the user gives it.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.downstream.perchoice import (
    DEFAULT_TASK,
    SIMULATED_COMPUTE,
    SimulatedTask,
    accuracy_of,
    simulate_choice_loglikelihoods,
)
from workbench.runs import parse_quantity

SIMULATED_TASK_NAME = "simulated_choice"


class LogSamplesError(ValueError):
    """A file is not a multiple-choice ``--log_samples`` log, or the logs do not fit together."""


@dataclass(frozen=True)
class SampleLog:
    """One model's log: item ids, gold choice indices, and log-likelihoods (items × choices)."""

    doc_ids: np.ndarray
    targets: np.ndarray
    loglikelihoods: np.ndarray


@dataclass(frozen=True)
class ChoiceLogs:
    """Several models' logs of one task, ordered by compute: ``loglikelihoods`` has shape
    (models, items, choices) and ``targets`` (items,)."""

    models: tuple[str, ...]
    compute: np.ndarray
    doc_ids: np.ndarray
    targets: np.ndarray
    loglikelihoods: np.ndarray

    @property
    def n_items(self) -> int:
        return len(self.targets)

    @property
    def n_choices(self) -> int:
        return self.loglikelihoods.shape[-1]

    @property
    def accuracy(self) -> np.ndarray:
        """Each model's accuracy (lm-evaluation-harness's ``acc``)."""
        return accuracy_of(self.loglikelihoods, self.targets)

    def select(self, keep) -> "ChoiceLogs":
        """The logs of the models where the boolean mask ``keep`` is true."""
        keep = np.asarray(keep, dtype=bool)
        return ChoiceLogs(
            tuple(np.asarray(self.models)[keep]),
            self.compute[keep],
            self.doc_ids,
            self.targets,
            self.loglikelihoods[keep],
        )

    def table(self) -> pd.DataFrame:
        """One row per model: ``model``, ``C``, ``accuracy``, ``p_correct`` and
        ``p_incorrect`` (the mean over items of the probability on the correct choice and of the
        mass on the incorrect ones)."""
        probabilities = np.exp(self.loglikelihoods)
        correct = probabilities[:, np.arange(self.n_items), self.targets]
        return pd.DataFrame(
            {
                "model": list(self.models),
                "C": self.compute,
                "accuracy": self.accuracy,
                "p_correct": correct.mean(axis=1),
                "p_incorrect": (probabilities.sum(axis=-1) - correct).mean(axis=1),
            }
        )


def read_log_samples(source, name: str | None = None) -> SampleLog:
    """One ``--log_samples`` JSONL log of a multiple-choice task, from a path or its text.

    Raises
    ------
    LogSamplesError
        With a one-line message for a file that is not JSONL, holds no log-likelihoods (a
        generation task), or whose lines disagree on the number of choices.
    """
    name = name or (str(source) if isinstance(source, Path) else "the log")
    text = source.read_text() if isinstance(source, Path) else source
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    doc_ids, targets, rows = [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        doc_id, target, loglikelihoods = _parse_line(line, f"{name}, line {number}")
        if rows and len(loglikelihoods) != len(rows[0]):
            raise LogSamplesError(
                f"{name}, line {number}: {len(loglikelihoods)} choices where line 1 has "
                f"{len(rows[0])}; a log must hold one multiple-choice task"
            )
        doc_ids.append(doc_id)
        targets.append(target)
        rows.append(loglikelihoods)
    if not rows:
        raise LogSamplesError(f"{name} holds no samples")
    if len(set(doc_ids)) < len(doc_ids):
        raise LogSamplesError(f"{name} repeats a doc_id; give each model one log of one task")
    order = np.argsort(doc_ids, kind="stable")
    return SampleLog(
        np.asarray(doc_ids)[order], np.asarray(targets)[order], np.asarray(rows)[order]
    )


def _parse_line(line: str, where: str) -> tuple[object, int, list[float]]:
    try:
        sample = json.loads(line)
    except json.JSONDecodeError:
        raise LogSamplesError(
            f"{where} is not JSON: expected lm-evaluation-harness --log_samples JSONL"
        ) from None
    if not isinstance(sample, dict) or "doc_id" not in sample or "target" not in sample:
        raise LogSamplesError(f"{where} has no doc_id and target: not a --log_samples sample")
    responses = sample.get("filtered_resps")
    if responses is None and isinstance(sample.get("resps"), list):
        responses = [choice[0] if choice else None for choice in sample["resps"]]
    loglikelihoods = _loglikelihoods(responses)
    if loglikelihoods is None:
        raise LogSamplesError(
            f"{where} holds no [loglikelihood, is_greedy] pair per choice (a generation task?); "
            "per-choice laws need a multiple-choice task's log"
        )
    target = str(sample["target"]).strip()
    if not target.isdigit() or int(target) >= len(loglikelihoods):
        raise LogSamplesError(
            f"{where}: target {sample['target']!r} is not the index of one of its "
            f"{len(loglikelihoods)} choices"
        )
    return sample["doc_id"], int(target), loglikelihoods


def _loglikelihoods(responses) -> list[float] | None:
    """The first entry of each choice's ``[loglikelihood, is_greedy]``, if it has them all."""
    if not isinstance(responses, list) or len(responses) < 2:
        return None
    values = []
    for response in responses:
        if not isinstance(response, list) or len(response) != 2:
            return None
        try:
            value = float(response[0])
        except (TypeError, ValueError):
            return None
        if not value <= 0:  # also refuses NaN
            return None
        values.append(value)
    return values


def parse_compute(items) -> dict[str, float]:
    """Each model's compute from ``MODEL=FLOPs`` entries (blank entries are skipped)."""
    compute = {}
    for item in items:
        model, separator, value = item.strip().rpartition("=")
        if not item.strip():
            continue
        try:
            if not separator or not model.strip():
                raise ValueError("no MODEL= before it")
            compute[model.strip()] = parse_quantity(value.strip())
        except ValueError as error:
            raise LogSamplesError(f"compute {item.strip()!r} is not MODEL=FLOPs: {error}") from None
    return compute


def combine_logs(logs: Mapping[str, SampleLog], compute: Mapping[str, float]) -> ChoiceLogs:
    """Models' logs of one task and their training compute (FLOPs) as one :class:`ChoiceLogs`."""
    missing = [model for model in logs if model not in compute]
    if missing:
        raise LogSamplesError(f"no compute given for {', '.join(missing)}: add MODEL=FLOPs")
    if len(logs) < 3:
        raise LogSamplesError(
            f"per-choice laws need the logs of at least three models, not {len(logs)}"
        )
    models = sorted(logs, key=lambda model: compute[model])
    first = logs[models[0]]
    for model in models[1:]:
        log = logs[model]
        if log.loglikelihoods.shape != first.loglikelihoods.shape or not (
            np.array_equal(log.doc_ids, first.doc_ids)
            and np.array_equal(log.targets, first.targets)
        ):
            raise LogSamplesError(
                f"{model} and {models[0]} hold different items, choices or targets; every "
                "model's log must cover the same task"
            )
    values = np.array([float(compute[model]) for model in models])
    if not np.all(np.isfinite(values) & (values > 0)):
        raise LogSamplesError("compute must be positive FLOPs")
    return ChoiceLogs(
        tuple(models),
        values,
        first.doc_ids,
        first.targets,
        np.stack([logs[model].loglikelihoods for model in models]),
    )


def model_name(path: Path) -> str:
    """A log's model: the directory lm-evaluation-harness writes it into, else the file's stem."""
    return path.parent.name if path.name.startswith("samples_") else path.stem


def log_files(paths: Sequence) -> list[Path]:
    """The logs named: files as given, and every ``samples_*.jsonl`` below a folder."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("**/samples_*.jsonl"))
            if not found:
                raise LogSamplesError(f"{path} holds no samples_*.jsonl log")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise LogSamplesError(f"{path} is not a file")
    return files


def read_choice_logs(paths: Sequence, compute: Mapping[str, float]) -> ChoiceLogs:
    """Read logs from files and folders (see :func:`log_files`), naming each by
    :func:`model_name`."""
    logs = {}
    for path in log_files(paths):
        name = model_name(path)
        if name in logs:
            raise LogSamplesError(f"two logs of model {name!r}; give each model one log")
        logs[name] = read_log_samples(path, str(path))
    return combine_logs(logs, compute)


def sample_lines(doc_ids, targets, loglikelihoods: np.ndarray) -> list[str]:
    """JSONL lines of one model's log in lm-evaluation-harness's current format: numbers as
    strings, as its writer leaves them."""
    lines = []
    letters = [chr(ord("A") + choice) for choice in range(loglikelihoods.shape[-1])]
    for doc_id, target, row in zip(doc_ids, targets, loglikelihoods, strict=True):
        query = f"Simulated question {doc_id}\nAnswer:"
        pairs = [[str(float(value)), str(bool(value > np.log(0.5)))] for value in row]
        sample = {
            "doc_id": int(doc_id),
            "doc": {"query": query, "choices": letters, "gold": int(target)},
            "target": str(int(target)),
            "arguments": {
                f"gen_args_{choice}": {"arg_0": query, "arg_1": f" {letter}"}
                for choice, letter in enumerate(letters)
            },
            "resps": [[pair] for pair in pairs],
            "filtered_resps": pairs,
            "filter": "none",
            "metrics": ["acc"],
            "acc": float(np.argmax(row) == target),
        }
        lines.append(json.dumps(sample))
    return lines


def simulate_choice_logs(
    compute: Sequence[float] = SIMULATED_COMPUTE,
    task: SimulatedTask = DEFAULT_TASK,
    random_seed: int | None = 0,
) -> ChoiceLogs:
    """A ladder of simulated models' logs (see
    :func:`~workbench.downstream.perchoice.simulate_choice_loglikelihoods`): no public per-choice
    log-likelihoods by model size were found, so the demonstration runs on these."""
    targets, loglikelihoods = simulate_choice_loglikelihoods(compute, task, random_seed)
    models = tuple(f"sim-{value:.2g}".replace("+", "") for value in compute)
    return ChoiceLogs(
        models, np.asarray(compute, dtype=float), np.arange(len(targets)), targets, loglikelihoods
    )


def write_choice_logs(logs: ChoiceLogs, directory) -> list[Path]:
    """Write each model's log to ``directory/<model>/samples_<task>_<date>.jsonl``, as
    lm-evaluation-harness lays them out, and the compute of each to ``directory/compute.csv``."""
    directory = Path(directory)
    paths = []
    for index, model in enumerate(logs.models):
        path = directory / model / f"samples_{SIMULATED_TASK_NAME}_2026-01-01T00-00-00.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = sample_lines(logs.doc_ids, logs.targets, logs.loglikelihoods[index])
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    pd.DataFrame({"model": logs.models, "C": logs.compute}).to_csv(
        directory / "compute.csv", index=False
    )
    return paths
