"""``clean``: remove the rows ``from_frame`` would refuse, and say which and why."""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.runs.errors import describe_rows
from workbench.runs.readers import read_frame
from workbench.runs.table import RunTable
from workbench.runs.validation import build_table, inspect_frame


@dataclass(frozen=True)
class CleaningReport:
    """What :func:`clean` removed.

    Parameters
    ----------
    removed : DataFrame
        The removed input rows, unchanged, indexed by their 0-based input row number (index name
        ``row``), with a ``reason`` column such as ``"non-finite loss"``.
    n_input : int
        Number of rows in the input.
    """

    removed: pd.DataFrame
    n_input: int

    @property
    def n_removed(self) -> int:
        """Number of rows removed."""
        return len(self.removed)

    def __str__(self) -> str:
        summary = f"removed {self.n_removed} of {self.n_input} rows"
        if not self.n_removed:
            return summary
        by_reason = self.removed.groupby("reason", sort=False).groups
        parts = [
            f"{len(rows)} {reason} ({describe_rows(rows)})" for reason, rows in by_reason.items()
        ]
        return f"{summary}: {', '.join(parts)}"


def clean(
    source, mapping: Mapping[str, str] | None = None, target: str = "loss"
) -> tuple[RunTable, CleaningReport]:
    """Read a run table, removing every row that would fail validation, with a report.

    The checks are those of :func:`workbench.runs.from_frame`: unreadable, missing, non-finite or
    non-positive N, D, C, step or target values, missing run ids, and duplicate (run, step) rows,
    of which the first is kept. A row with several problems is reported under the first.
    Whole-table problems, such as a missing target column, still raise.

    Parameters
    ----------
    source : path, DataFrame or RunTable
        As for :func:`workbench.runs.read_runs`. A ``RunTable`` is already clean.
    mapping : mapping of str to str, optional
        ``{role: column}`` overriding column detection.
    target : str
        The metric to model, ``"loss"`` by default.

    Returns
    -------
    runs : RunTable
        The rows that pass. Generated run ids (``run-<row>``) keep the input row numbers.
    report : CleaningReport
        The removed rows and why; ``print(report)`` gives a summary.

    Raises
    ------
    RunTableError
        For problems with the table as a whole, e.g. a missing target column.

    Examples
    --------
    >>> runs, report = clean("runs.csv")  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
    removed 3 of 120 rows: 2 non-finite loss (rows 4, 9), 1 duplicate (run, step) (row 17)
    """
    if isinstance(source, RunTable):
        return source, CleaningReport(source.data.iloc[:0].assign(reason=[]), len(source))
    frame = read_frame(source)
    inspection = inspect_frame(frame, mapping, target)
    reasons = {}
    for problem in inspection.problems:
        for row in problem.rows:
            reasons.setdefault(row, problem.reason)
    removed_rows = sorted(reasons)
    keep = np.setdiff1d(np.arange(len(frame)), removed_rows)
    removed = frame.iloc[removed_rows].copy()
    removed.index = pd.Index(removed_rows, dtype=np.int64, name="row")
    removed["reason"] = [reasons[row] for row in removed_rows]
    return build_table(inspection, keep), CleaningReport(removed, len(frame))
