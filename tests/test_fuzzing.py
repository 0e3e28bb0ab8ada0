"""Fuzzing the input boundary: whatever arrives, the answer is a value or the project's own
one-line error, never another exception.

Derandomized with no example database, so CI runs the same examples every time.
"""

import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.batch.spec import BatchSpec, SpecError, load_spec, parse_spec
from workbench.runs import (
    ImplausibleValueWarning,
    RunTable,
    RunTableError,
    from_frame,
    parse_quantity,
    read_runs,
)
from workbench.runs.units import SUFFIXES

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["7B", "1.4T", "70 M", "1,000", "1e400", "-5", "nan", "inf", "", " "]),
    st.lists(st.floats(0, 10), max_size=2),
)


def assert_one_line(error: Exception) -> None:
    message = str(error)
    assert message and "\n" not in message, repr(message)


def assert_read_or_refused_by_name(path) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImplausibleValueWarning)  # a huge N is still read
            read_runs(path)
    except RunTableError as error:
        assert_one_line(error)
        assert path.name in str(error)


@FUZZ
@given(st.text(max_size=20))
def test_parse_quantity_returns_a_number_or_says_why_not(text):
    try:
        value = parse_quantity(text)
    except ValueError as error:
        assert_one_line(error)
        assert "cannot read" in str(error)
    else:
        assert isinstance(value, float)


@FUZZ
@given(
    st.floats(1e-3, 1e6, allow_nan=False),
    st.sampled_from(sorted(SUFFIXES)),
    st.sampled_from(["", " "]),
)
def test_parse_quantity_reads_every_suffix(number, suffix, space):
    text = f"{number!r}{space}{suffix}"
    assert math.isclose(parse_quantity(text), number * SUFFIXES[suffix], rel_tol=1e-12)


@FUZZ
@given(st.lists(st.tuples(cells, cells, cells, cells), min_size=0, max_size=6))
def test_any_table_of_cells_is_read_or_refused_in_one_line(rows):
    frame = pd.DataFrame(rows, columns=["run", "N", "D", "loss"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImplausibleValueWarning)  # a huge N is still read
            runs = from_frame(frame)
    except RunTableError as error:
        assert_one_line(error)
    else:
        assert isinstance(runs, RunTable)
        assert np.all(runs.y > -np.inf) and np.all(runs.column("N") > 0)


@FUZZ
@given(
    st.binary(max_size=300),
    st.sampled_from([".csv", ".tsv", ".json", ".jsonl", ".parquet"]),
)
def test_any_bytes_are_read_or_refused_naming_the_file(tmp_path, content, suffix):
    path = tmp_path / f"fuzzed{suffix}"
    path.write_bytes(content)
    assert_read_or_refused_by_name(path)


@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789,.-\"'\n;\t ")),
        max_size=200,
    ),
    st.sampled_from([".csv", ".tsv", ".json", ".jsonl"]),
)
def test_any_text_is_read_or_refused_naming_the_file(tmp_path, text, suffix):
    path = tmp_path / f"fuzzed{suffix}"
    path.write_text("run,N,D,loss\n" + text if suffix == ".csv" else text)
    assert_read_or_refused_by_name(path)


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(), st.text(max_size=8)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
spec_keys = st.sampled_from(
    ["datasets", "laws", "holdout_top_frac", "draws", "tune", "likelihood", "checkpoints", "x"]
)


@FUZZ
@given(st.one_of(yaml_values, st.dictionaries(spec_keys, yaml_values, max_size=6)))
def test_any_parsed_spec_is_accepted_or_refused_in_one_line(raw):
    try:
        spec = parse_spec(raw)
    except SpecError as error:
        assert_one_line(error)
    else:
        assert isinstance(spec, BatchSpec)


@FUZZ
@given(st.text(max_size=200))
def test_any_spec_file_is_accepted_or_refused_naming_it(tmp_path, text):
    path = tmp_path / "fuzzed.yaml"
    path.write_text(text)
    try:
        load_spec(path)
    except SpecError as error:
        assert_one_line(error)
        assert "fuzzed.yaml" in str(error)
