"""Reading run tables from CSV, Parquet and JSON files, DataFrames or existing tables."""

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from workbench.runs.errors import RunTableError
from workbench.runs.table import RunTable
from workbench.runs.validation import from_frame

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def read_runs(
    source,
    mapping: Mapping[str, str] | None = None,
    target: str = "loss",
    *,
    format: str | None = None,
) -> RunTable:
    """Read and validate a run table.

    Parameters
    ----------
    source : path, DataFrame or RunTable
        A file (CSV, TSV, Parquet, JSON records or JSON lines, told apart by suffix or
        ``format``), a DataFrame, or a ``RunTable``, which is returned as is.
    mapping : mapping of str to str, optional
        ``{role: column}`` overriding column detection, e.g. ``{"N": "Model Size"}``.
    target : str
        The metric to model, ``"loss"`` by default.
    format : {"csv", "tsv", "parquet", "json", "jsonl"}, optional
        File format when the suffix does not say.

    Returns
    -------
    RunTable

    Raises
    ------
    RunTableError
        If the table fails validation (see :func:`workbench.runs.from_frame`) or the format is
        unknown.

    Examples
    --------
    >>> runs = read_runs("runs.csv", mapping={"N": "Model Size"})  # doctest: +SKIP
    """
    if isinstance(source, RunTable):
        return source
    return from_frame(read_frame(source, format=format), mapping, target)


def read_frame(source, *, format: str | None = None) -> pd.DataFrame:
    """The raw DataFrame behind ``source`` (a path or a DataFrame), before any validation."""
    if isinstance(source, pd.DataFrame):
        return source
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"expected a path, DataFrame or RunTable, got {type(source).__name__}")
    path = Path(source)
    kind = format or FORMATS.get(path.suffix.lower())
    if kind == "csv":
        return pd.read_csv(path)
    if kind == "tsv":
        return pd.read_csv(path, sep="\t")
    if kind == "parquet":
        return pd.read_parquet(path)
    if kind in ("json", "jsonl"):
        # No dtype guessing, which would turn columns named like dates into timestamps.
        return pd.read_json(path, orient="records", lines=kind == "jsonl", dtype=False)
    raise RunTableError(
        f"cannot tell the format of {str(path)!r}",
        fix=f"use one of the suffixes {sorted(FORMATS)}, or pass format= one of "
        f"{sorted(set(FORMATS.values()))}",
    )
