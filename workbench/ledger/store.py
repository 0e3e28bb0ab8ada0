"""The ledger's store: one SQLite file, safe for several processes at once.

SQLite was measured against DuckDB for this (``benchmarks/ledger_store.py``): DuckDB lets one
process at a time open a file for writing, so a second ``workbench ledger add`` fails while the
first holds it, whereas SQLite serializes writers with a lock and a busy timeout. Each write is
one transaction in write-ahead-log mode, so a writer killed at any point leaves the file valid,
holding the entries whose transactions committed.

Every entry has a random ``uid`` as well as its local ``id``: ledgers exported to Parquet by
different people merge on ``uid`` without duplicates.
"""

import contextlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.intervals import percent, resolve_ci_prob
from workbench.ledger.scoring import (
    LEVELS,
    REPORTED_LEVELS,
    interval_of,
    outcome_scores,
    reliability,
)

LEDGER_VARIABLE = "WORKBENCH_LEDGER"
BUSY_SECONDS = 60.0
"""How long a writer waits for another process's transaction before giving up."""
QUANTILE_COLUMNS = [f"q{index}" for index in range(2 * len(LEVELS) + 1)]
COVERED_COLUMNS = [f"covered_{percent(level)}" for level in LEVELS]
PREDICTION_COLUMNS = {
    "uid": "TEXT NOT NULL UNIQUE",
    "created": "TEXT NOT NULL",
    "fit_file": "TEXT",
    "fit_hash": "TEXT",
    "data_hash": "TEXT",
    "law": "TEXT",
    "target": "TEXT",
    "targets": "TEXT NOT NULL",
    "grouping": "TEXT",
    "kind": "TEXT NOT NULL",
    "interval": "TEXT NOT NULL",
    "ci_prob": "REAL NOT NULL",
    "distance": "REAL",
    "beyond_evidence": "INTEGER",
    "note": "TEXT",
    "median": "REAL NOT NULL",
    **{name: "REAL NOT NULL" for name in QUANTILE_COLUMNS},
}
OUTCOME_COLUMNS = {
    "observed": "REAL",
    "resolved": "TEXT",
    "error": "REAL",
    "relative_error": "REAL",
    "interval_score": "REAL",
    "pit": "REAL",
    **{name: "REAL" for name in COVERED_COLUMNS},
}
COLUMNS = ["id", *PREDICTION_COLUMNS, *OUTCOME_COLUMNS]
OPTIONAL_COLUMNS = (
    "fit_file",
    "fit_hash",
    "data_hash",
    "law",
    "target",
    "grouping",
    "distance",
    "note",
)


def use_write_ahead_log(connection: sqlite3.Connection) -> None:
    """Put the file in write-ahead-log mode (it persists, so only a new file needs it).

    Switching needs the file to itself, and SQLite may refuse at once with "database is locked"
    instead of waiting while another process writes: retry until the busy timeout.
    """
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class LedgerError(ValueError):
    """A ledger operation that cannot be done, said in one line."""


def default_path() -> Path:
    """``$WORKBENCH_LEDGER``, else ``ledger.sqlite`` in the user's data folder
    (``$XDG_DATA_HOME/scaling-workbench``, by default ``~/.local/share/scaling-workbench``)."""
    if os.environ.get(LEDGER_VARIABLE):
        return Path(os.environ[LEDGER_VARIABLE]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "scaling-workbench" / "ledger.sqlite"


class Ledger:
    """Predictions recorded before the run, scored when it lands.

    Parameters
    ----------
    path : path-like, optional
        The SQLite file, created on first write; :func:`default_path` by default.
    """

    def __init__(self, path=None):
        self.path = Path(path) if path is not None else default_path()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so that two writers queue
        on SQLite's lock instead of failing on an upgrade from read to write."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            use_write_ahead_log(connection)
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS predictions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                + ", ".join(
                    f"{name} {kind}"
                    for name, kind in {**PREDICTION_COLUMNS, **OUTCOME_COLUMNS}.items()
                )
                + ")"
            )
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    # -- record ----------------------------------------------------------------------------
    def add(self, prediction: Mapping) -> int:
        """Store one prediction and return its id.

        ``prediction`` holds ``median``, ``quantiles`` (ascending, at
        :func:`~workbench.ledger.scoring.quantile_probabilities`), ``targets`` (the covariates
        predicted at, a mapping), ``kind``, ``interval`` and ``ci_prob``, and optionally
        ``fit_file``, ``fit_hash``, ``data_hash``, ``law``, ``target``, ``grouping`` (the group
        of a grouped fit), ``distance``, ``beyond_evidence`` and ``note``.
        """
        return self.add_many([prediction])[0]

    def add_many(self, predictions) -> list[int]:
        """Store several predictions in one transaction; their ids, in order."""
        rows = [prediction_row(prediction) for prediction in predictions]
        names = list(PREDICTION_COLUMNS)
        statement = (
            f"INSERT INTO predictions ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        )
        with self._transaction() as connection:
            return [
                connection.execute(statement, [row[name] for name in names]).lastrowid
                for row in rows
            ]

    # -- score -----------------------------------------------------------------------------
    def resolve(self, entry: int, observed: float) -> dict:
        """Store the outcome of prediction ``entry`` and its scores; returns the scored entry.
        A resolved prediction can be resolved again (a corrected measurement); the last
        outcome counts."""
        with self._transaction() as connection:
            row = connection.execute(
                f"SELECT {', '.join(['ci_prob', *QUANTILE_COLUMNS])} FROM predictions WHERE id = ?",
                (int(entry),),
            ).fetchone()
            if row is None:
                raise LedgerError(f"the ledger {self.path} has no prediction {entry}")
            ci_prob, *quantiles = row
            scores = outcome_scores(np.array(quantiles), float(observed), ci_prob)
            outcome = {"observed": float(observed), "resolved": now(), **scores}
            connection.execute(
                f"UPDATE predictions SET {', '.join(f'{name} = ?' for name in outcome)} "
                "WHERE id = ?",
                [*outcome.values(), int(entry)],
            )
        return self.entry(entry)

    # -- read ------------------------------------------------------------------------------
    def entries(self) -> pd.DataFrame:
        """Every prediction, one row each, in the order they were added (``COLUMNS``)."""
        if not self.path.exists():
            return pd.DataFrame(columns=COLUMNS)
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS)
        try:
            tables = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'predictions'"
            ).fetchall()
            # A first write killed before it committed leaves a database without the table: an
            # empty ledger.
            if not tables:
                return pd.DataFrame(columns=COLUMNS)
            return pd.read_sql_query("SELECT * FROM predictions ORDER BY id", connection)
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as error:
            raise LedgerError(f"{self.path} is not a ledger: {error}") from None
        finally:
            connection.close()

    def records(self) -> list[dict]:
        """Every prediction as a dict of plain Python values (missing ones None)."""
        return json.loads(self.entries().to_json(orient="records"))

    def entry(self, entry: int) -> dict:
        """One prediction, as :meth:`records` gives it."""
        found = [record for record in self.records() if record["id"] == int(entry)]
        if not found:
            raise LedgerError(f"the ledger {self.path} has no prediction {entry}")
        return found[0]

    def report(self) -> dict:
        """How the resolved predictions scored (JSON-ready): counts, coverage at 50 % and 90 %,
        mean error and relative error, mean interval score and PIT, and the reliability table
        (nominal against observed coverage at every stored level)."""
        frame = self.entries()
        resolved = frame[frame["observed"].notna()]
        table = reliability(resolved)
        report = {
            "ledger": str(self.path),
            "predictions": len(frame),
            "resolved": len(resolved),
            "unresolved": len(frame) - len(resolved),
        }
        for level in REPORTED_LEVELS:
            report[f"coverage_{percent(level)}"] = mean_or_none(
                resolved[f"covered_{percent(level)}"]
            )
        report |= {
            "mean_error": mean_or_none(resolved["error"]),
            "mean_relative_error": mean_or_none(resolved["relative_error"]),
            "mean_interval_score": mean_or_none(resolved["interval_score"]),
            "mean_pit": mean_or_none(resolved["pit"]),
            "interval_score_levels": sorted(set(resolved["ci_prob"].astype(float))),
            "reliability": table.reset_index().to_dict(orient="records"),
            "pit": resolved["pit"].astype(float).tolist(),
        }
        return report

    # -- exchange --------------------------------------------------------------------------
    def export_parquet(self, path) -> int:
        """Write every entry to a Parquet file (written whole or not at all); how many."""
        from workbench.atomic import replacing

        frame = self.entries()
        with replacing(path) as partial:
            frame.drop(columns="id").to_parquet(partial, index=False)
        return len(frame)

    def import_parquet(self, path) -> dict[str, int]:
        """Merge a Parquet export into this ledger, on ``uid``: new predictions are added, an
        outcome fills a prediction still unresolved here, and nothing else changes. Returns the
        counts ``added``, ``resolved`` and ``unchanged``."""
        try:
            incoming = pd.read_parquet(path)
        except (OSError, ValueError) as error:
            raise LedgerError(f"cannot read {path} as a ledger export: {error}") from None
        missing = sorted(set(PREDICTION_COLUMNS) - set(incoming.columns))
        if missing:
            raise LedgerError(f"{path} is not a ledger export: no {', '.join(missing)} column")
        known = self.entries().set_index("uid")
        new = incoming[~incoming["uid"].isin(known.index)]
        outcomes = incoming[
            incoming["uid"].isin(known.index[known["observed"].isna()])
            & incoming["observed"].notna()
        ]
        names = [*PREDICTION_COLUMNS, *OUTCOME_COLUMNS]
        with self._transaction() as connection:
            connection.executemany(
                f"INSERT OR IGNORE INTO predictions ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                [[sql_value(row[name]) for name in names] for _, row in new.iterrows()],
            )
            connection.executemany(
                f"UPDATE predictions SET {', '.join(f'{name} = ?' for name in OUTCOME_COLUMNS)} "
                "WHERE uid = ? AND observed IS NULL",
                [
                    [*(sql_value(row[name]) for name in OUTCOME_COLUMNS), row["uid"]]
                    for _, row in outcomes.iterrows()
                ],
            )
        return {
            "added": len(new),
            "resolved": len(outcomes),
            "unchanged": len(incoming) - len(new) - len(outcomes),
        }


def prediction_row(prediction: Mapping) -> dict:
    """A prediction as the store's columns; refuses one that is not a predictive distribution."""
    quantiles = np.asarray(prediction["quantiles"], dtype=float)
    if quantiles.shape != (len(QUANTILE_COLUMNS),):
        raise LedgerError(
            f"a prediction keeps {len(QUANTILE_COLUMNS)} quantiles, not {quantiles.size}"
        )
    if not (np.all(np.isfinite(quantiles)) and np.all(quantiles > 0)):
        raise LedgerError("a prediction's quantiles must be positive, finite numbers")
    if np.any(np.diff(quantiles) < 0):
        raise LedgerError("a prediction's quantiles must be in ascending order")
    ci_prob = resolve_ci_prob(prediction.get("ci_prob"))
    if ci_prob not in LEVELS:
        raise LedgerError(f"the ledger scores intervals at {LEVELS}, not at {ci_prob}")
    beyond = prediction.get("beyond_evidence")
    return {
        "uid": uuid.uuid4().hex,
        "created": now(),
        **{name: sql_value(prediction.get(name)) for name in OPTIONAL_COLUMNS},
        "targets": json.dumps(
            {name: float(value) for name, value in prediction["targets"].items()}
        ),
        "kind": prediction.get("kind", "observation"),
        "interval": prediction.get("interval", "calibrated"),
        "ci_prob": ci_prob,
        "beyond_evidence": None if beyond is None else int(bool(beyond)),
        "median": float(quantiles[len(LEVELS)]),
        **dict(zip(QUANTILE_COLUMNS, quantiles.tolist(), strict=True)),
    }


def recorded_interval(record: Mapping) -> tuple[float, float]:
    """A record's central interval at its own level (``ci_prob``)."""
    quantiles = [record[name] for name in QUANTILE_COLUMNS]
    return interval_of(np.array(quantiles), record["ci_prob"])


def describe_targets(record: Mapping) -> str:
    """A record's targets in words, e.g. ``N=7e+10, D=1.4e+12`` (and its group, if any)."""
    targets = json.loads(record["targets"])
    text = ", ".join(f"{name}={value:.3g}" for name, value in targets.items())
    return f"{text} [{record['grouping']}]" if record.get("grouping") else text


def plural(count: int, noun: str) -> str:
    """``1 prediction``, ``2 predictions``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sql_value(value):
    """A value SQLite stores: NumPy scalars as Python ones, NaN as NULL."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def mean_or_none(values: pd.Series) -> float | None:
    return float(values.astype(float).mean()) if len(values) else None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
