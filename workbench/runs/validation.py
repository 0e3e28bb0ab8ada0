"""Checking an input table row by row, and building a ``RunTable`` from the rows that pass.

``from_frame`` raises on the first problem found; ``clean`` removes every row with a problem and
reports it. Both share the checks here so they can never disagree.
"""

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from workbench.compute import complete_triple, training_compute
from workbench.runs.errors import ImplausibleValueWarning, RunTableError, data_row
from workbench.runs.schema import (
    COVARIATES,
    METADATA,
    resolve_roles,
    role_order,
    suggested_mapping,
    unclaimed_numeric_columns,
)
from workbench.runs.table import RunTable
from workbench.runs.units import parse_quantity

CLEAN_HINT = "or let workbench.runs.clean() remove such rows and report them"
VALUES_SHOWN = 5
COMPUTE_TOLERANCE = 10.0
"""How far a given C may be from 6·N·D. Counts that include attention or embeddings differ by a
small factor; a larger one is a unit mistake (FLOPs against PF-days, millions of parameters)."""
LARGEST_PLAUSIBLE_N = 1e15
"""A thousand times the largest models trained by 2026: a larger N is likely FLOPs or tokens."""


@dataclass(frozen=True)
class Problem:
    """Rows of the input that cannot go into a run table, and why."""

    reason: str
    column: str
    rows: list[int]
    detail: str
    fix: str

    def error(self, others: int = 0) -> RunTableError:
        """The error ``from_frame`` raises for this problem, counting the ``others`` not shown."""
        more = f" ({others} more problem(s) after this one)" if others else ""
        return RunTableError(self.detail + more, column=self.column, rows=self.rows, fix=self.fix)


@dataclass(frozen=True)
class Inspection:
    """An input table with its roles resolved, its numbers read and its row problems found."""

    frame: pd.DataFrame
    target: str
    roles: dict[str, str]
    numbers: dict[str, np.ndarray]
    problems: list[Problem]


def from_frame(
    frame: pd.DataFrame, mapping: Mapping[str, str] | None = None, target: str = "loss"
) -> RunTable:
    """Validate a DataFrame of runs and return it as a ``RunTable``.

    Columns are matched to roles by common names (``params``, ``Model Size``, ``tokens``,
    ``flops``, ``val_loss``, ...) unless ``mapping`` names them. When exactly one of N, D and C is
    missing it is derived from the other two through C = 6·N·D and listed in ``derived``.
    Quantities written like ``7B`` or ``1.4T`` are read in the N, D, C and step columns.

    Parameters
    ----------
    frame : DataFrame
        One row per run or checkpoint.
    mapping : mapping of str to str, optional
        ``{role: column}``, overriding detection. Roles: ``run``, ``N``, ``D``, ``C``, the target,
        ``step``, ``group``, ``seed``.
    target : str
        The metric to model, ``"loss"`` by default. Only ``"loss"`` is detected from aliases.

    Returns
    -------
    RunTable

    Raises
    ------
    RunTableError
        On the first problem found: a missing or ambiguous column, an unreadable, non-finite or
        non-positive value, or a duplicate (run, step). The message counts data rows from 1;
        the error's ``rows`` are 0-based positions in ``frame``. Nothing is ever dropped; use
        :func:`workbench.runs.clean` for that.

    Warns
    -----
    ImplausibleValueWarning
        When N exceeds :data:`LARGEST_PLAUSIBLE_N`, which is likely FLOPs or tokens.
    """
    inspection = inspect_frame(frame, mapping, target)
    if inspection.problems:
        first, *others = inspection.problems
        raise first.error(len(others))
    return build_table(inspection, np.arange(len(frame)))


def inspect_frame(
    frame: pd.DataFrame, mapping: Mapping[str, str] | None, target: str
) -> Inspection:
    """Resolve roles, read numbers and list row problems, raising on whole-table problems."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise RunTableError(
            f"the table has no data rows (columns: {list(frame.columns)})",
            fix="add one row per run (or per checkpoint)",
        )
    roles = resolve_roles(frame, mapping, target)
    _check_structure(frame, roles, target)
    numbers, problems = {}, []
    for role in (*COVARIATES, target, "step"):
        if role in roles:
            numbers[role], found = _read_numbers(frame[roles[role]], role, roles[role], target)
            problems += found
    problems += _compute_disagreements(numbers, roles)
    if "run" in roles:
        problems += _run_id_problems(frame[roles["run"]], roles["run"])
    flagged = {row for problem in problems for row in problem.rows}
    problems += _duplicates(frame, roles, numbers, flagged)
    return Inspection(frame, target, roles, numbers, problems)


def build_table(inspection: Inspection, keep: np.ndarray) -> RunTable:
    """A ``RunTable`` of the input rows at positions ``keep``, deriving a missing covariate."""
    frame, roles, target = inspection.frame, inspection.roles, inspection.target
    numbers = {role: values[keep] for role, values in inspection.numbers.items()}
    derived = _derive(numbers, rows=np.asarray(keep))
    _warn_if_implausible(numbers, rows=np.asarray(keep), columns=roles)
    if "step" in numbers and np.all(numbers["step"] == np.round(numbers["step"])):
        numbers["step"] = numbers["step"].astype(np.int64)

    def original(column) -> pd.Series:
        return frame[column].iloc[keep].reset_index(drop=True)

    columns = {"run": original(roles["run"]) if "run" in roles else [f"run-{row}" for row in keep]}
    for role in role_order(target)[1:]:
        if role in numbers:
            columns[role] = numbers[role]
        elif role in METADATA and role in roles:
            columns[role] = original(roles[role])
    used = set(roles.values())
    for column in frame.columns:
        if column not in used:
            columns[column] = original(column)
    return RunTable(
        data=pd.DataFrame(columns, index=pd.RangeIndex(len(keep))),
        target=target,
        derived=frozenset(derived),
        source_columns=MappingProxyType(dict(roles)),
    )


def _warn_if_implausible(
    numbers: dict[str, np.ndarray], rows: np.ndarray, columns: Mapping[str, str]
) -> None:
    if "N" not in numbers or not np.any(numbers["N"] > LARGEST_PLAUSIBLE_N):
        return
    largest = int(np.argmax(numbers["N"]))
    column = f"column {columns['N']!r}" if "N" in columns else "N derived from C / (6·D)"
    warnings.warn(
        f"N reaches {numbers['N'][largest]:.3g} parameters at data row "
        f"{data_row(rows[largest])} ({column}), above {LARGEST_PLAUSIBLE_N:.0e}: check that it "
        "holds parameters, not FLOPs or tokens",
        ImplausibleValueWarning,
        stacklevel=4,
    )


def _check_structure(frame: pd.DataFrame, roles: dict[str, str], target: str) -> None:
    available = list(frame.columns)
    if not any(role in roles for role in COVARIATES):
        candidates = unclaimed_numeric_columns(frame, roles.values())
        raise RunTableError(
            f"no N (parameters), D (tokens) or C (FLOPs) column; available columns: {available}",
            fix=f"map at least one, e.g. {suggested_mapping('N', candidates, target)}",
        )
    if "step" in roles and "run" not in roles:
        raise RunTableError(
            "a step column needs run ids to tell whose checkpoint each row is",
            column=roles["step"],
            fix="add a run id column, or map one with mapping={'run': '<column>'}",
        )
    canonical = set(role_order(target))
    clashes = [
        column for column in available if column in canonical and column not in roles.values()
    ]
    if clashes:
        raise RunTableError(
            f"column {clashes[0]!r} is not used for its role but would clash with the canonical "
            f"{clashes[0]!r} column; roles: {roles}",
            column=str(clashes[0]),
            fix="drop or rename it before reading, or map it to its role",
        )


def _read_numbers(
    series: pd.Series, role: str, column: str, target: str
) -> tuple[np.ndarray, list[Problem]]:
    values, unreadable = _parse_column(series, parse_quantity if role != target else _parse_number)
    problems = []
    if unreadable:
        shown = [_shown(series.iloc[row]) for row in unreadable[:VALUES_SHOWN]]
        problems.append(
            Problem(
                f"non-numeric {column}",
                column,
                unreadable,
                f"{role} values that are not numbers: {shown}",
                "write numbers such as 6e20, or a number with a suffix k, M, B, T (e.g. '7B'), "
                + CLEAN_HINT,
            )
        )
    readable = np.ones(len(values), dtype=bool)
    readable[unreadable] = False
    non_finite = np.flatnonzero(readable & ~np.isfinite(values))
    if non_finite.size:
        problems.append(
            Problem(
                f"non-finite {column}",
                column,
                non_finite.tolist(),
                f"{role} has missing or non-finite values (NaN or inf)",
                "fill in or drop these rows, " + CLEAN_HINT,
            )
        )
    if role in COVARIATES:
        not_positive = np.flatnonzero(readable & np.isfinite(values) & (values <= 0))
        if not_positive.size:
            shown = values[not_positive[:VALUES_SHOWN]].tolist()
            problems.append(
                Problem(
                    f"non-positive {column}",
                    column,
                    not_positive.tolist(),
                    f"{role} must be positive; found {shown}",
                    "check the units and fix or drop these rows, " + CLEAN_HINT,
                )
            )
    return values, problems


def _parse_column(series: pd.Series, parse) -> tuple[np.ndarray, list[int]]:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan), []
    values = np.full(len(series), np.nan)
    unreadable = []
    for position, value in enumerate(series):
        # A Parquet or JSON cell may hold a list or a mapping: not one number.
        if pd.api.types.is_list_like(value):
            unreadable.append(position)
            continue
        if pd.isna(value):
            continue
        try:
            values[position] = parse(value)
        except ValueError:
            unreadable.append(position)
    return values, unreadable


def _shown(value):
    """A cell as people wrote it: a Parquet list cell arrives as a NumPy array."""
    return value.tolist() if isinstance(value, np.ndarray) else value


def _parse_number(value) -> float:
    # A target is a plain number: suffixes like 'B' make no sense for a loss.
    if isinstance(value, str):
        return float(value.strip())
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _compute_disagreements(numbers: dict[str, np.ndarray], roles: dict[str, str]) -> list[Problem]:
    if not all(role in numbers for role in COVARIATES):
        return []
    # Missing, non-finite and non-positive values are problems of their own, reported above.
    with np.errstate(all="ignore"):
        expected = training_compute(numbers["N"], numbers["D"])
        factor = np.abs(np.log10(numbers["C"] / expected))
    rows = np.flatnonzero(np.isfinite(factor) & (factor > np.log10(COMPUTE_TOLERANCE)))
    if not rows.size:
        return []
    first = rows[0]
    return [
        Problem(
            "C far from 6·N·D",
            roles["C"],
            rows.tolist(),
            f"C differs from 6·N·D by more than a factor of {COMPUTE_TOLERANCE:g} (C = "
            f"{numbers['C'][first]:.3g} where 6·N·D = {expected[first]:.3g})",
            "check the units of N, D and C, or leave C out to derive it from them, " + CLEAN_HINT,
        )
    ]


def _run_id_problems(series: pd.Series, column: str) -> list[Problem]:
    nested = [row for row, value in enumerate(series) if pd.api.types.is_list_like(value)]
    missing = [
        row for row in np.flatnonzero(series.isna().to_numpy()).tolist() if row not in nested
    ]
    problems = []
    if nested:
        problems.append(
            Problem(
                "nested run id",
                column,
                nested,
                f"run ids in {column!r} are lists or mappings, not single values",
                "give every row one run id (a name or a number)",
            )
        )
    if missing:
        problems.append(
            Problem(
                "missing run id",
                column,
                missing,
                "run ids are missing",
                "give every row a run id, " + CLEAN_HINT,
            )
        )
    return problems


def _duplicates(
    frame: pd.DataFrame, roles: dict[str, str], numbers: dict[str, np.ndarray], flagged: set[int]
) -> list[Problem]:
    if "run" not in roles:
        return []  # generated run ids are unique, and steps without runs were refused earlier
    runs = frame[roles["run"]].tolist()
    steps = numbers.get("step")
    first_seen, repeats = {}, []
    for row in range(len(frame)):
        if row in flagged:
            continue
        key = (runs[row], steps[row]) if steps is not None else runs[row]
        if key in first_seen:
            repeats.append((row, first_seen[key]))
        else:
            first_seen[key] = row
    if not repeats:
        return []
    what = f"({roles['run']}, {roles['step']})" if steps is not None else roles["run"]
    label = "duplicate (run, step)" if steps is not None else "duplicate run"
    examples = ", ".join(
        f"data row {data_row(row)} repeats data row {data_row(first)}"
        for row, first in repeats[:VALUES_SHOWN]
    )
    return [
        Problem(
            label,
            roles["run"],
            [row for row, _ in repeats],
            f"duplicate {what} ({examples})",
            "remove the repeated rows or give each its own "
            + ("step" if steps is not None else "run id")
            + ", "
            + CLEAN_HINT
            + " (it keeps the first of each)",
        )
    ]


def _derive(numbers: dict[str, np.ndarray], rows: np.ndarray) -> set[str]:
    """Fill in the one missing covariate of N, D, C from C = 6·N·D; return what was derived.

    ``rows`` are the input positions of ``numbers``' entries, for the message."""
    # Overflow is reported below, as a problem of the rows, not as a NumPy warning.
    with np.errstate(over="ignore", under="ignore"):
        role = complete_triple(numbers)
    if role is None:
        return set()
    unusable = np.flatnonzero(~np.isfinite(numbers[role]) | (numbers[role] <= 0))
    if unusable.size:
        raise RunTableError(
            f"{role} derived from C = 6·N·D is out of floating-point range",
            column=role,
            rows=rows[unusable],
            fix="check the units of N, D and C",
        )
    return {role}
