"""Fuzzing the input boundary: whatever arrives, the answer is a value or the project's own
one-line error, never another exception.

Derandomized with no example database, so CI runs the same examples every time.
"""

import builtins
import contextlib
import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.batch.spec import BatchSpec, SpecError, load_spec, parse_spec
from workbench.laws.formula import MAX_DEPTH, FormulaError, FormulaLaw, parse, to_text
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


FORMULA_TOKENS = st.sampled_from(
    [
        "N",
        "D",
        "C",
        "E",
        "A",
        "alpha",
        "exp",
        "log",
        "sqrt",
        "min",
        "max",
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "**",
        "^",
        "1",
        "0.5",
        "1e3",
        "__import__",
        "os",
        ".",
        "'",
        "lambda",
        ":",
        "[",
        "]",
        "x_N",
        "sigma",
        "−",
        "×",
        "é",
        "0x1F",
        "1e999",
        "_",
        " ",
        "\n",
    ]
)


@contextlib.contextmanager
def no_code_runs():
    """Any use of eval, exec, compile, open or import while the formula is read fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a formula reached Python: {args[:1]!r}")

    names = ("eval", "exec", "compile", "open", "__import__")
    saved = {name: getattr(builtins, name) for name in names}
    for name in names:
        setattr(builtins, name, refuse)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(builtins, name, value)


def assert_formula_read_or_refused(text: str) -> None:
    """The text becomes a law whose curve evaluates, or a one-line FormulaError."""
    try:
        with no_code_runs():
            law = FormulaLaw(text, covariates=())
            tree = parse(text)
            with np.errstate(all="ignore"):
                x = {name: np.array([1e8, 3e9]) for name in law.covariates}
                law.curve(x, {name: np.array([0.3, 2.0]) for name in law.parameters})
    except FormulaError as error:
        assert_one_line(error)
        assert error.text == text
    else:
        assert parse(to_text(tree)) == tree
        assert FormulaLaw(law.expression) == law


@FUZZ
@given(st.text(max_size=300))
def test_any_text_is_a_formula_or_refused_in_one_line(text):
    assert_formula_read_or_refused(text)


@FUZZ
@given(st.lists(FORMULA_TOKENS, max_size=60))
def test_any_token_sequence_is_a_formula_or_refused_in_one_line(tokens):
    assert_formula_read_or_refused("".join(tokens))


@FUZZ
@given(st.integers(0, 3000), st.sampled_from(["(", "-", "exp(", "N**", "-(", "min(N,"]))
def test_deep_nesting_is_refused_not_a_recursion_error(depth, opening):
    closing = ")" * opening.count("(")
    text = opening * depth + "A*N" + closing * depth
    try:
        parse(text)
    except FormulaError as error:
        assert_one_line(error)
    else:
        assert depth <= MAX_DEPTH
