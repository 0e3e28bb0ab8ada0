"""Reading run tables from CSV, Parquet and JSON files, DataFrames or existing tables."""

import codecs
import csv
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from workbench.runs.errors import RunTableError, UnreadableFileError
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
        If the table fails validation (see :func:`workbench.runs.from_frame`; the message then
        starts with the file name) or the format is unknown.

    Examples
    --------
    >>> runs = read_runs("runs.csv", mapping={"N": "Model Size"})  # doctest: +SKIP
    """
    if isinstance(source, RunTable):
        return source
    frame = read_frame(source, format=format)
    if isinstance(source, pd.DataFrame):
        return from_frame(frame, mapping, target)
    try:
        return from_frame(frame, mapping, target)
    except RunTableError as error:
        raise error.in_file(source) from None


def read_frame(source, *, format: str | None = None) -> pd.DataFrame:
    """The raw DataFrame behind ``source`` (a path or a DataFrame), before any validation.

    Every way a file can fail to be a table (missing, a folder, empty, not UTF-8, malformed CSV
    or JSON, repeated column names) raises :class:`RunTableError` naming the file.
    """
    if isinstance(source, pd.DataFrame):
        return source
    if not isinstance(source, str | os.PathLike):
        raise RunTableError(
            f"expected a path, DataFrame or RunTable, got {type(source).__name__}",
            fix="pass the run table's file name",
        )
    path = Path(source)
    kind = format or FORMATS.get(path.suffix.lower())
    if kind is None:
        raise RunTableError(
            f"cannot tell the format of {str(path)!r}",
            fix=f"use one of the suffixes {sorted(FORMATS)}, or pass format= one of "
            f"{sorted(set(FORMATS.values()))}",
        )
    check_readable(path)
    if kind == "parquet":
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as error:
            raise UnreadableFileError(f"{path} is not a readable Parquet file ({error})") from None
    encoding = text_encoding(path)
    try:
        if kind in ("csv", "tsv"):
            separator = "\t" if kind == "tsv" else ","
            check_unique_header(path, encoding, separator)
            frame = pd.read_csv(path, sep=separator, encoding=encoding)
            check_separator(path, frame, separator)
            return frame
        # No dtype guessing, which would turn columns named like dates into timestamps.
        frame = pd.read_json(
            path, orient="records", lines=kind == "jsonl", dtype=False, encoding=encoding
        )
        if not all(isinstance(column, str) for column in frame.columns):
            raise UnreadableFileError(
                f"{path} holds JSON values without column names",
                fix='write one record per run, e.g. [{"N": 7e9, "D": 1.4e12, "loss": 2.1}]',
            )
        return frame
    except UnicodeDecodeError as error:
        raise UnreadableFileError(
            f"{path} is not UTF-8 text (byte {error.start} cannot be read)",
            fix="re-save it as UTF-8",
        ) from None
    except pd.errors.EmptyDataError:
        raise UnreadableFileError(
            f"{path} holds no table, only blank space", fix="save the run table into it again"
        ) from None
    except pd.errors.ParserError as error:
        first_line = str(error).strip().splitlines()[0]
        raise UnreadableFileError(f"{path} is not valid {kind.upper()}: {first_line}") from None
    except ValueError:
        if kind not in ("json", "jsonl"):
            raise
        raise UnreadableFileError(invalid_json(path, encoding, lines=kind == "jsonl")) from None


BYTE_ORDER_MARKS = {
    codecs.BOM_UTF8: "utf-8-sig",
    codecs.BOM_UTF16_LE: "utf-16",
    codecs.BOM_UTF16_BE: "utf-16",
}


def check_readable(path: Path) -> None:
    """Refuse a path that is no readable, non-empty file, saying which and why."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise UnreadableFileError(f"no such file: {path}") from None
    except OSError as error:
        raise UnreadableFileError(f"cannot read {path}: {error.strerror}") from None
    if stat.S_ISDIR(status.st_mode):
        raise UnreadableFileError(f"{path} is a folder", fix="name the run table file in it")
    if status.st_size == 0:
        raise UnreadableFileError(f"{path} is empty", fix="save the run table into it again")


def text_encoding(path: Path) -> str:
    """UTF-8, unless a byte-order mark says UTF-16 (or UTF-8 with a mark).

    Text without a mark that holds NUL bytes is UTF-16 or binary, never a table in UTF-8.
    """
    with open(path, "rb") as file:
        start = file.read(4096)
    marked = (name for mark, name in BYTE_ORDER_MARKS.items() if start.startswith(mark))
    encoding = next(marked, None)
    if encoding is None and b"\x00" in start:
        raise UnreadableFileError(
            f"{path} is not UTF-8 text: it holds NUL bytes (UTF-16 without a byte-order mark, "
            "or a binary file)",
            fix="re-save it as UTF-8 CSV",
        )
    return encoding or "utf-8"


SEPARATOR_NAMES = {",": "commas", "\t": "tabs", ";": "semicolons", "|": "vertical bars"}


def check_separator(path: Path, frame: pd.DataFrame, separator: str) -> None:
    """Refuse a table read as one column whose name holds another separator."""
    if len(frame.columns) != 1:
        return
    header = str(frame.columns[0])
    used = next(
        (other for other in SEPARATOR_NAMES if other != separator and other in header), None
    )
    if used is not None:
        raise UnreadableFileError(
            f"{path} separates its columns with {SEPARATOR_NAMES[used]}, not "
            f"{SEPARATOR_NAMES[separator]}",
            fix="re-save it with commas (.csv) or tabs (.tsv)",
        )


def check_unique_header(path: Path, encoding: str, separator: str) -> None:
    """Refuse repeated column names, which pandas would silently rename (``params.1``)."""
    with open(path, encoding=encoding, newline="") as file:
        header = next(csv.reader(file, delimiter=separator), [])
    first = {}
    for position, name in enumerate(header, start=1):
        if name in first:
            raise UnreadableFileError(
                f"{path}: columns {first[name]} and {position} are both named {name!r}",
                fix="rename one of them",
            )
        first[name] = position


def invalid_json(path: Path, encoding: str, *, lines: bool) -> str:
    """Where ``path`` stops being JSON (records) or JSON lines, in a sentence."""
    text = path.read_text(encoding=encoding)
    documents = enumerate(text.splitlines(), start=1) if lines else [(1, text)]
    for offset, document in documents:
        if not document.strip():
            continue
        try:
            json.loads(document)
        except json.JSONDecodeError as error:
            line = offset + error.lineno - 1
            return f"invalid JSON at line {line} of {path}: {error.msg}"
    return f"{path} holds JSON, but not a list of records (one object per run)"
