import numpy as np
import pytest

from workbench.runs import parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7B", 7e9),
        ("1.4T", 1.4e12),
        ("350M", 3.5e8),
        ("6e20", 6e20),
        ("12k", 1.2e4),
        ("12K", 1.2e4),
        (" 1,000 ", 1000.0),
        ("1,234,567.5", 1234567.5),
        ("70 b", 7e10),
        ("2.5G", 2.5e9),
        (".5M", 5e5),
        ("-3", -3.0),
        (3, 3.0),
        (2.5, 2.5),
        (np.int64(4), 4.0),
        (np.float64(1e21), 1e21),
    ],
)
def test_parse_quantity_reads_numbers_and_suffixes(text, expected):
    assert parse_quantity(text) == pytest.approx(expected, rel=1e-15)
    assert isinstance(parse_quantity(text), float)


@pytest.mark.parametrize("junk", ["seven", "7X", "", "B", "1,5", "7BB", None, True, [1]])
def test_parse_quantity_refuses_junk(junk):
    with pytest.raises(ValueError, match="cannot read"):
        parse_quantity(junk)


def test_parse_quantity_passes_non_finite_through_for_validation_to_report():
    assert np.isnan(parse_quantity("nan"))
    assert parse_quantity("inf") == np.inf
