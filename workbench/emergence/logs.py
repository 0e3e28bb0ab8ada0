"""PassUntil logs and per-size task scores: reading, validating and the canonical form.

A PassUntil log has one row per (model, instance): how many attempts ``K`` were sampled and how
many passed, ``r``. Sampling stops at the first pass (or at ``r`` target passes), or at a budget
cap ``max_attempts``; an instance that reached the cap with no pass is *censored*: it only says the
pass rate is small, not how small. Aggregated pass@k-style counts (``n_samples``, ``n_correct``)
are read into the same form with no cap.
"""

import hashlib
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from workbench.runs.errors import RunTableError
from workbench.runs.readers import read_frame

SCORE_COLUMNS = ("model", "N", "score", "n_items")
AGGREGATED = {"n_samples": "attempts", "n_correct": "passes"}
ALIASES = {
    "K": "attempts",
    "k": "attempts",
    "r": "passes",
    "params": "N",
    "parameters": "N",
    "n_params": "N",
    "budget": "max_attempts",
    "cap": "max_attempts",
    "accuracy": "score",
    "acc": "score",
}


@dataclass(frozen=True)
class PassUntilLogs:
    """Validated PassUntil counts, one row per (model, instance).

    Attributes
    ----------
    frame : DataFrame
        Columns ``model`` (str), ``N`` (parameters), ``instance`` (str), ``attempts`` K,
        ``passes`` r, ``max_attempts`` (the cap, NaN when there was none).
    truth : mapping, optional
        Known per-instance parameters, set by the simulators; ``None`` for real logs.
    """

    frame: pd.DataFrame
    truth: MappingProxyType | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def sizes(self) -> np.ndarray:
        """The distinct model sizes N, ascending."""
        return np.unique(self.frame["N"].to_numpy(dtype=float))

    @property
    def instances(self) -> np.ndarray:
        """The distinct instance labels, in order of first appearance."""
        return pd.unique(self.frame["instance"])

    @property
    def censored(self) -> np.ndarray:
        """Rows that reached the budget cap with no pass: only an upper bound on p."""
        cap = self.frame["max_attempts"].to_numpy(dtype=float)
        return (self.passes == 0) & np.isfinite(cap) & (self.attempts >= cap)

    @property
    def attempts(self) -> np.ndarray:
        return self.frame["attempts"].to_numpy(dtype=np.int64)

    @property
    def passes(self) -> np.ndarray:
        return self.frame["passes"].to_numpy(dtype=np.int64)

    @property
    def N(self) -> np.ndarray:
        return self.frame["N"].to_numpy(dtype=float)

    def instance_index(self) -> np.ndarray:
        """0-based code of each row's instance, in the order of ``instances``."""
        codes, _ = pd.factorize(self.frame["instance"])
        return codes

    def pooled(self) -> pd.DataFrame:
        """Counts summed over instances per size: ``N``, ``attempts``, ``passes``, ``censored``."""
        frame = self.frame.assign(censored=self.censored)
        pooled = frame.groupby("N", sort=True).agg(
            attempts=("attempts", "sum"),
            passes=("passes", "sum"),
            instances=("instance", "size"),
            censored=("censored", "sum"),
        )
        return pooled.reset_index()

    def subset(self, rows) -> "PassUntilLogs":
        """The logs restricted to a boolean mask or to row positions."""
        return PassUntilLogs(
            self.frame.iloc[np.flatnonzero(rows) if _is_mask(rows) else rows].reset_index(
                drop=True
            ),
            self.truth,
        )

    def content_hash(self) -> str:
        text = self.frame.to_csv(index=False).encode()
        return hashlib.sha256(text).hexdigest()[:16]


@dataclass(frozen=True)
class TaskScores:
    """Per-size task scores without instance data: ``model``, ``N``, ``score``, ``n_items``.

    ``n_items`` (the number of test items behind each score) is NaN when unknown.
    """

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def N(self) -> np.ndarray:
        return self.frame["N"].to_numpy(dtype=float)

    @property
    def score(self) -> np.ndarray:
        return self.frame["score"].to_numpy(dtype=float)

    @property
    def n_items(self) -> np.ndarray | None:
        items = self.frame["n_items"].to_numpy(dtype=float)
        return items if np.all(np.isfinite(items)) else None


def _is_mask(rows) -> bool:
    return np.asarray(rows).dtype == bool


def read_passuntil(source, *, format: str | None = None) -> PassUntilLogs:
    """Read and validate PassUntil logs or aggregated sample counts.

    Parameters
    ----------
    source : PassUntilLogs, DataFrame or path
        CSV, TSV, Parquet or JSON (records or lines). Columns ``model``, ``N``, ``instance``,
        ``attempts`` (or ``K``), ``passes`` (or ``r``), optional ``max_attempts`` (the budget
        cap); or ``n_samples``/``n_correct`` counts, read as K and r with no cap.
    format : str, optional
        File format when the suffix does not say.

    Returns
    -------
    PassUntilLogs

    Raises
    ------
    RunTableError
        Naming the column and rows: a missing column or N, non-numeric or negative counts,
        K = 0, r > K, or one instance logged twice for one model.
    """
    if isinstance(source, PassUntilLogs):
        return source
    frame = _rename(read_frame(source, format=format))
    if "attempts" not in frame and "n_samples" in frame:
        frame = frame.rename(columns=AGGREGATED)
    _require(frame, ("N", "instance", "attempts", "passes"), "PassUntil logs")
    numbers = {name: _numeric(frame, name) for name in ("N", "attempts", "passes")}
    cap = _numeric(frame, "max_attempts") if "max_attempts" in frame else None
    _check_size(numbers["N"])
    for name in ("attempts", "passes"):
        _check_counts(numbers[name], name)
    if cap is not None:
        _check_counts(cap[np.isfinite(cap)], "max_attempts", rows=np.flatnonzero(np.isfinite(cap)))
    _check_rules(numbers, cap)
    models = _models(frame, numbers["N"])
    canonical = pd.DataFrame(
        {
            "model": models,
            "N": numbers["N"],
            "instance": frame["instance"].astype(str).to_numpy(),
            "attempts": numbers["attempts"].astype(np.int64),
            "passes": numbers["passes"].astype(np.int64),
            "max_attempts": cap if cap is not None else np.full(len(frame), np.nan),
        }
    )
    duplicated = canonical.duplicated(["model", "instance"], keep=False).to_numpy()
    if duplicated.any():
        raise RunTableError(
            "an instance appears twice for one model",
            column="instance",
            rows=np.flatnonzero(duplicated),
            fix="sum the attempts and passes of repeated runs into one row per (model, instance)",
        )
    return PassUntilLogs(canonical)


def read_task_scores(source, *, format: str | None = None) -> TaskScores:
    """Read per-size task scores: ``model`` (optional), ``N``, ``score`` in [0, 1], ``n_items``.

    Raises
    ------
    RunTableError
        For a missing or non-numeric N or score, a score outside [0, 1], or a non-positive
        ``n_items``.
    """
    if isinstance(source, TaskScores):
        return source
    frame = _rename(read_frame(source, format=format))
    _require(frame, ("N", "score"), "task scores")
    size, score = _numeric(frame, "N"), _numeric(frame, "score")
    _check_size(size)
    outside = np.flatnonzero(~np.isfinite(score) | (score < 0) | (score > 1))
    if outside.size:
        raise RunTableError(
            "scores must be fractions in [0, 1]",
            column="score",
            rows=outside,
            fix="divide percentages by 100 and fill or drop missing scores",
        )
    items = _numeric(frame, "n_items") if "n_items" in frame else np.full(len(frame), np.nan)
    bad_items = np.flatnonzero(np.isfinite(items) & (items <= 0))
    if bad_items.size:
        raise RunTableError("n_items must be positive", column="n_items", rows=bad_items)
    canonical = pd.DataFrame(
        {"model": _models(frame, size), "N": size, "score": score, "n_items": items}
    )
    return TaskScores(canonical.sort_values("N", kind="stable").reset_index(drop=True))


def _rename(frame: pd.DataFrame) -> pd.DataFrame:
    renames = {column: ALIASES[column] for column in frame.columns if column in ALIASES}
    renames = {old: new for old, new in renames.items() if new not in frame.columns}
    return frame.rename(columns=renames)


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise RunTableError(
                f"{what} need a column {column!r}; found {', '.join(map(str, frame.columns))}",
                column=column,
                fix=f"rename your columns to {', '.join(columns)}",
            )


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = np.flatnonzero(raw.notna().to_numpy() & np.isnan(values))
    if text.size:
        shown = ", ".join(repr(raw.iloc[row]) for row in text[:5])
        raise RunTableError(
            f"non-numeric values ({shown})",
            column=column,
            rows=text,
            fix="write plain numbers (no units or text) in this column",
        )
    return values


def _check_size(size: np.ndarray) -> None:
    missing = np.flatnonzero(~np.isfinite(size))
    if missing.size:
        raise RunTableError(
            "the model size N is missing",
            column="N",
            rows=missing,
            fix="give the parameter count of every model",
        )
    bad = np.flatnonzero(size <= 0)
    if bad.size:
        raise RunTableError("the model size N must be positive", column="N", rows=bad)


def _check_counts(values: np.ndarray, column: str, rows=None) -> None:
    rows = np.arange(values.size) if rows is None else np.asarray(rows)
    missing = np.flatnonzero(~np.isfinite(values))
    if missing.size:
        raise RunTableError("count is missing", column=column, rows=rows[missing])
    negative = np.flatnonzero(values < 0)
    if negative.size:
        raise RunTableError(
            "counts cannot be negative",
            column=column,
            rows=rows[negative],
            fix="check the logging code; counts are numbers of samples",
        )
    fractional = np.flatnonzero(values != np.round(values))
    if fractional.size:
        raise RunTableError("counts must be whole numbers", column=column, rows=rows[fractional])


def _check_rules(numbers: dict, cap: np.ndarray | None) -> None:
    attempts, passes = numbers["attempts"], numbers["passes"]
    zero = np.flatnonzero(attempts == 0)
    if zero.size:
        raise RunTableError(
            "K = 0 attempts says nothing about the pass rate",
            column="attempts",
            rows=zero,
            fix="drop instances that were never sampled",
        )
    too_many = np.flatnonzero(passes > attempts)
    if too_many.size:
        raise RunTableError(
            "more passes than attempts (r > K)",
            column="passes",
            rows=too_many,
            fix="check that passes and attempts are not swapped",
        )
    if cap is not None:
        over = np.flatnonzero(np.isfinite(cap) & (attempts > cap))
        if over.size:
            raise RunTableError(
                "more attempts than the budget cap max_attempts",
                column="attempts",
                rows=over,
                fix="check the budget column, or leave max_attempts empty when there was none",
            )


def _models(frame: pd.DataFrame, size: np.ndarray) -> np.ndarray:
    if "model" in frame.columns:
        return frame["model"].astype(str).to_numpy()
    return np.array([f"N={value:.4g}" for value in size])
