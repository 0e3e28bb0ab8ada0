"""Hyperparameter sweeps: runs at several learning rates and batch sizes per setting.

A *setting* is one (N, D) pair (or, for learning-rate-vs-batch rules, one batch size at one
(N, D)). Its optimum is located from the runs nearest the lowest loss, where a quadratic bowl in
log hyperparameters is a good local description of the loss surface: far from the optimum the
surface is asymmetric (it rises steeply towards divergence at large learning rates), and fitting a
bowl there would bias the optimum.
"""

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.fitting.diagnostics import PACKAGE_FILES
from workbench.runs import RunTable, RunTableError, read_runs

DEFAULT_WINDOW = 0.005
"""Runs within this fraction of their setting's lowest loss locate its optimum (0.5 %)."""
MIN_DISTINCT = 3
"""Values of each hyperparameter a setting must sweep: a bowl needs three points per axis."""


class SweepError(ValueError):
    """Sweeps from which an optimum cannot be located."""


class OptimumAtEdgeWarning(UserWarning):
    """A setting's lowest loss is at the edge of its swept range: its optimum is extrapolated."""


@dataclass(frozen=True)
class Sweeps:
    """Validated sweeps, grouped into settings, with the runs that locate each optimum.

    Attributes
    ----------
    groups : DataFrame
        One row per setting: its key columns, ``n_runs`` (all its runs), ``n_selected`` (runs
        near its optimum), ``window`` (their largest loss relative to the lowest, minus 1),
        ``best_loss`` and ``best_<column>`` (the swept values of the lowest-loss run).
    runs : DataFrame
        The selected runs: ``group`` (row of ``groups``), the swept columns and the target.
    columns : tuple of str
        The swept hyperparameter columns, e.g. ``("lr", "B")``.
    keys : tuple of str
        Columns that define a setting, e.g. ``("N", "D")``.
    target : str
        The loss column.
    data_hash : str
        SHA-256 of the keys, swept columns and target of every run, for provenance.
    """

    groups: pd.DataFrame
    runs: pd.DataFrame
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    target: str
    data_hash: str

    def describe(self, group: int) -> str:
        """A setting in words, e.g. ``N=2.15e+08, D=4e+09``."""
        row = self.groups.iloc[group]
        return ", ".join(f"{key}={row[key]:.3g}" for key in self.keys)


def read_sweeps(source, target: str | None = None) -> RunTable:
    """A run table from a ``RunTable``, DataFrame or file; ``target`` defaults to its own."""
    if isinstance(source, RunTable):
        if target is None or target == source.target:
            return source
        source = source.data
    return read_runs(source, target=target or "loss")


def prepare_sweeps(
    runs: RunTable,
    *,
    columns: Sequence[str],
    keys: Sequence[str],
    window: float = DEFAULT_WINDOW,
    min_runs: int = 8,
    roles: Mapping[str, str] | None = None,
) -> Sweeps:
    """Group sweeps into settings and select the runs near each setting's lowest loss.

    Parameters
    ----------
    runs : RunTable
        The sweeps, with the ``keys`` and swept ``columns`` as columns.
    columns : sequence of str
        The swept hyperparameters, e.g. ``("lr", "B")``; each must take at least three values in
        every setting.
    keys : sequence of str
        Columns whose distinct combinations are the settings, e.g. ``("N", "D")``.
    window : float
        Runs with loss up to ``(1 + window)`` times their setting's lowest loss are selected.
    min_runs : int
        When fewer runs, or fewer than three values of a swept column, fall inside the window, the
        next-lowest runs are added until there are enough.
    roles : mapping of str to str, optional
        Words for the columns in messages, e.g. ``{"lr": "learning rate"}``.

    Raises
    ------
    RunTableError
        If a column is missing, or a swept value is not positive and finite.
    SweepError
        If a setting sweeps fewer than three values of a hyperparameter.
    """
    if not 0 < window < 1:
        raise ValueError(f"window is a fraction of the lowest loss, in (0, 1); got {window}")
    roles = dict(roles or {})
    columns, keys = tuple(columns), tuple(keys)
    _require_columns(runs, (*keys, *columns), roles)
    frame = runs.data[[*keys, *columns]].astype(float).assign(**{runs.target: runs.y})
    for column in columns:
        bad = np.flatnonzero(~(np.isfinite(frame[column]) & (frame[column] > 0)))
        if bad.size:
            raise RunTableError(
                f"{roles.get(column, column)} must be positive and finite",
                column=column,
                rows=bad,
                fix="drop these runs, e.g. with runs.filter(...)",
            )
    groups, selected = [], []
    for index, (key, members) in enumerate(frame.groupby(list(keys), sort=True)):
        setting = dict(zip(keys, np.atleast_1d(key), strict=True))
        _check_distinct(members, columns, setting, roles)
        chosen = _select(members, columns, runs.target, window, min_runs)
        best = members.loc[members[runs.target].idxmin()]
        _warn_if_at_edge(members, best, columns, setting, roles)
        groups.append(
            {
                **setting,
                "n_runs": len(members),
                "n_selected": len(chosen),
                "window": float(chosen[runs.target].max() / best[runs.target] - 1),
                "best_loss": float(best[runs.target]),
                **{f"best_{column}": float(best[column]) for column in columns},
            }
        )
        selected.append(chosen.assign(group=index))
    return Sweeps(
        groups=pd.DataFrame(groups),
        runs=pd.concat(selected, ignore_index=True),
        columns=columns,
        keys=keys,
        target=runs.target,
        data_hash=_hash(frame),
    )


def group_values(runs: RunTable, sweeps: Sweeps, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Per setting, the value of each column in ``names``, which must be constant within it."""
    values = {}
    for name in names:
        if name in sweeps.groups:
            values[name] = sweeps.groups[name].to_numpy(dtype=float)
            continue
        _require_columns(runs, (name,), {})
        frame = runs.data[[*sweeps.keys, name]].astype(float)
        spread = frame.groupby(list(sweeps.keys), sort=True)[name].agg(["min", "max"])
        if not np.allclose(spread["min"], spread["max"], rtol=1e-9):
            raise SweepError(
                f"{name!r} varies within a setting of {', '.join(sweeps.keys)}, so it cannot be a "
                f"covariate of the optimum; use it as a key or drop it from the covariates"
            )
        values[name] = spread["min"].to_numpy()
    return values


def _require_columns(runs: RunTable, names: Sequence[str], roles: Mapping[str, str]) -> None:
    missing = [name for name in names if not runs.has(name)]
    if missing:
        described = ", ".join(f"{name!r} ({roles.get(name, 'setting key')})" for name in missing)
        raise RunTableError(
            f"hyperparameter sweeps need the columns {described}; the table has "
            f"{list(runs.data.columns)}",
            column=missing[0],
            fix="rename the columns, or name them with learning_rate=, batch_size= and target=",
        )


def _check_distinct(members, columns, setting, roles) -> None:
    for column in columns:
        values = np.unique(members[column])
        if values.size < MIN_DISTINCT:
            where = ", ".join(f"{key}={value:.3g}" for key, value in setting.items())
            swept = ", ".join(f"{value:.3g}" for value in values)
            raise SweepError(
                f"setting {where} sweeps {values.size} value(s) of the "
                f"{roles.get(column, column)} ({column!r} = {swept}); at least {MIN_DISTINCT} "
                "are needed to locate its optimum. Sweep more values or drop this setting"
            )


def _select(members: pd.DataFrame, columns, target: str, window: float, min_runs: int):
    """The runs within ``window`` of the lowest loss, widened until the bowl is identified."""
    ordered = members.sort_values(target, kind="stable")
    lowest = ordered[target].iloc[0]
    count = int(np.sum(ordered[target] <= lowest * (1 + window)))
    while count < len(ordered) and (
        count < min_runs
        or any(ordered[column].iloc[:count].nunique() < MIN_DISTINCT for column in columns)
    ):
        count += 1
    return ordered.iloc[:count]


def _warn_if_at_edge(members, best, columns, setting, roles) -> None:
    for column in columns:
        value = best[column]
        if value in (members[column].min(), members[column].max()):
            where = ", ".join(f"{key}={item:.3g}" for key, item in setting.items())
            warnings.warn(
                f"setting {where}: the lowest loss is at the edge of the swept "
                f"{roles.get(column, column)} ({column}={value:.3g}), so the optimum is "
                "extrapolated beyond the sweep; extend the sweep past it",
                OptimumAtEdgeWarning,
                skip_file_prefixes=PACKAGE_FILES,
            )


def _hash(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    for column in frame.columns:
        digest.update(str(column).encode())
        digest.update(frame[column].to_numpy(dtype="<f8").tobytes())
    return digest.hexdigest()
