"""The dashboard's bad-upload corpus: every file that cannot become runs gets one visible line
naming the file, or the column or row at fault, and the previous runs stay in use.

Each case is uploaded to a whole ``Workbench`` as the browser sends it (so a 0-byte file arrives
as Panel delivers it); an exception escaping a view fails the test. Files that are valid tables
but cannot be fitted (too few runs, a target that is not positive) are refused by the Fit tab,
before any sampling. The command line has its own corpus in tests/test_bad_input_corpus.py.
"""

import asyncio
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from workbench.app import Workbench
from workbench.runs import demo

GOOD = demo(seed=0).final_checkpoints().data[["run", "N", "D", "loss"]]
GOOD_CSV = GOOD.to_csv(index=False)


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    filename: str
    content: bytes
    names: tuple[str, ...]
    """Fragments the one-line message must contain: the culprit, and the gist."""
    refused_by: str = "Data"
    """The tab that shows the error: Data for a file that is no valid table, Fit for a table
    that cannot be fitted."""


def csv_with(**changes) -> bytes:
    """The good runs as CSV with some cells changed: ``column={row: value, ...}``."""
    frame = GOOD.copy()
    for column, values in changes.items():
        frame[column] = frame[column].astype(object)
        for row, value in values.items():
            frame.loc[row, column] = value
    return frame.to_csv(index=False).encode()


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def case(category, name, filename, content, *names, refused_by="Data") -> Case:
    if isinstance(content, pd.DataFrame):
        content = content.to_csv(index=False).encode()
    elif isinstance(content, str):
        content = content.encode()
    return Case(category, name, filename, content, names, refused_by)


JSON_LINES = GOOD.to_json(orient="records", lines=True).splitlines()
CASES = [
    # files that are no table at all
    case("formats", "empty file", "empty.csv", b"", "'empty.csv'", "empty"),
    case("formats", "only a header", "header.csv", "run,N,D,loss\n", "'header.csv'", "0 row"),
    case("formats", "binary garbage", "garbage.csv", bytes(range(256)) * 4, "'garbage.csv'"),
    case(
        "formats",
        "UTF-16 without BOM",
        "utf16.csv",
        GOOD_CSV.encode("utf-16-le"),
        "'utf16.csv'",
        "UTF-8",
    ),
    case(
        "formats",
        "Latin-1",
        "latin1.csv",
        GOOD_CSV.replace("N20M-x5,", "N20M-é5,").encode("latin-1"),
        "'latin1.csv'",
        "UTF-8",
    ),
    case(
        "formats",
        "truncated JSON",
        "cut.json",
        GOOD.to_json(orient="records")[:-40],
        "'cut.json'",
        "line 1",
    ),
    case(
        "formats",
        "JSON lines with a bad line",
        "lines.json",
        "\n".join([*JSON_LINES[:3], JSON_LINES[3][:-5], *JSON_LINES[4:]]),
        "'lines.json'",
        "invalid JSON at line",
    ),
    case("formats", "JSON array of numbers", "numbers.json", "[1, 2, 3]", "'numbers.json'"),
    case("formats", "JSON scalar", "scalar.json", "42", "'scalar.json'", "records"),
    case("formats", "wrong extension .txt", "runs.txt", GOOD_CSV, "'runs.txt'", ".csv"),
    case("formats", "wrong extension .xlsx", "runs.xlsx", b"PK\x03\x04", "'runs.xlsx'"),
    case("formats", "CSV named .parquet", "csv.parquet", GOOD_CSV, "'csv.parquet'", "Parquet"),
    case(
        "formats",
        "corrupt Parquet",
        "broken.parquet",
        b"PAR1" + np.random.default_rng(0).bytes(64),
        "'broken.parquet'",
    ),
    case(
        "formats",
        "duplicate column names",
        "twice.csv",
        GOOD_CSV.replace("run,N,D,loss", "run,N,N,loss"),
        "'twice.csv'",
        "'N'",
    ),
    case("formats", "semicolons", "semi.csv", GOOD_CSV.replace(",", ";"), "'semi.csv'"),
    case("formats", "ragged rows", "ragged.csv", GOOD_CSV + "x,1,2,3,4,5\n", "'ragged.csv'"),
    # tables whose values cannot be runs
    case("values", "non-numeric N", "text_n.csv", csv_with(N={3: "big"}), "'N'", "data row 4"),
    case("values", "unit typo in N", "typo.csv", csv_with(N={2: "7 bananas"}), "7 bananas"),
    case("values", "negative N", "negative_n.csv", GOOD.assign(N=-GOOD["N"]), "'N'", "positive"),
    case("values", "zero D", "zero_d.csv", csv_with(D={5: 0.0}), "'D'", "data row 6"),
    case("values", "NaN loss", "nan.csv", csv_with(loss={2: np.nan}), "'loss'", "data row 3"),
    case("values", "infinite loss", "inf.csv", csv_with(loss={7: np.inf}), "'loss'", "data row 8"),
    case(
        "values", "text loss", "text_loss.csv", csv_with(loss={4: "unknown"}), "'loss'", "unknown"
    ),
    case(
        "values",
        "missing target column",
        "accuracy.csv",
        GOOD.rename(columns={"loss": "accuracy"}),
        "'loss'",
        "mapping={'loss': 'accuracy'}",
    ),
    case(
        "values",
        "no size column",
        "sizes.csv",
        GOOD.drop(columns=["N", "D"]).assign(width=GOOD["N"]),
        "N (parameters)",
        "mapping={'N': 'width'}",
    ),
    case("values", "two N columns", "two_n.csv", GOOD.assign(params=GOOD["N"]), "'params'"),
    case(
        "values",
        "duplicate run ids",
        "dup_runs.csv",
        csv_with(run={6: GOOD["run"].iloc[5]}),
        "'run'",
        "data row 7",
    ),
    case("values", "missing run id", "no_id.csv", csv_with(run={8: np.nan}), "'run'", "data row 9"),
    case(
        "values",
        "C overflows",
        "overflow.csv",
        GOOD.assign(N=1e200, D=GOOD["D"] * 1e190),
        "C",
        "floating-point range",
    ),
    case(
        "values",
        "C contradicting 6·N·D",
        "compute.csv",
        GOOD.assign(C=6 * GOOD["N"] * GOOD["D"] * np.where(GOOD.index == 4, 1e6, 1.0)),
        "'C'",
        "6·N·D",
        "data row 5",
    ),
    case(
        "values",
        "steps without run ids",
        "steps.csv",
        GOOD.drop(columns="run").assign(step=1),
        "'step'",
        "run id",
    ),
    case(
        "values",
        "Parquet list cells",
        "lists.parquet",
        parquet(GOOD.assign(N=[[value] for value in GOOD["N"]])),
        "'N'",
    ),
    # valid tables that no law can be fitted to
    case("fit", "one row only", "one.csv", GOOD.head(1), "1 distinct", refused_by="Fit"),
    case(
        "fit",
        "10 identical rows",
        "same.csv",
        pd.concat([GOOD.head(1).drop(columns="run")] * 10),
        "1 distinct",
        refused_by="Fit",
    ),
    case(
        "fit",
        "zero loss",
        "zero_loss.csv",
        csv_with(loss={3: 0.0}),
        "'loss'",
        "data row 4",
        refused_by="Fit",
    ),
    case(
        "fit",
        "negative loss",
        "negative_loss.csv",
        csv_with(loss={1: -1.0}),
        "'loss'",
        "data row 2",
        refused_by="Fit",
    ),
    case("fit", "three runs", "three.csv", GOOD.head(3), "5 parameters", refused_by="Fit"),
]


def assert_one_visible_line(alert, fragments) -> None:
    message = alert.object
    assert alert.visible, "no visible error"
    assert message.strip() and "\n" not in message, message
    assert "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.category}: {case.name}")
def test_bad_upload_gets_one_visible_line_naming_the_culprit(case, browser_upload):
    dashboard = Workbench()
    data, fit = dashboard.views["Data"], dashboard.views["Fit"]
    before = dashboard.state.runs
    browser_upload(data._file_input, case.content, case.filename)
    if case.refused_by == "Data":
        assert_one_visible_line(data._alert, case.names)
        assert dashboard.state.runs is before
        stale = data._stale._alert
        assert stale.visible and "previous runs (Demo runs, 40 rows)" in stale.object
        return
    assert not data._alert.visible, data._alert.object
    asyncio.run(fit.start_fit())
    assert_one_visible_line(fit._alert, case.names)
    assert dashboard.state.fit is None
