"""Covariates beyond N, D and C (unique tokens U, parallel streams P, ...) are plain columns."""

import numpy as np
import pandas as pd
import pytest

from workbench.runs import RunTableError, from_frame


def runs_with(unique_tokens):
    frame = pd.DataFrame(
        {
            "N": [1e8, 2e8, 4e8, 8e8],
            "D": [2e9, 4e9, 8e9, 16e9],
            "U": unique_tokens,
            "loss": [3.2, 3.0, 2.9, 2.8],
        }
    )
    return from_frame(frame)


def test_extra_covariate_columns_are_kept_and_accepted():
    runs = runs_with([1e9, 1e9, 2e9, 2e9])
    np.testing.assert_array_equal(runs.column("U"), [1e9, 1e9, 2e9, 2e9])
    runs.require(["N", "D", "U"], n_params=4)


def test_require_names_rows_where_an_extra_covariate_is_not_positive():
    runs = runs_with([1e9, 0.0, np.nan, 2e9])
    with pytest.raises(RunTableError, match="'U' must be finite and positive") as caught:
        runs.require(["N", "D", "U"], n_params=4)
    assert (caught.value.column, caught.value.rows) == ("U", [1, 2])


def test_require_rejects_a_text_covariate_with_a_fix():
    runs = runs_with(["1B", "1B", "2B", "2B"])
    with pytest.raises(RunTableError, match="'U' must be numeric") as caught:
        runs.require(["N", "D", "U"], n_params=4)
    assert caught.value.column == "U"
    assert "convert 'U' to numbers" in str(caught.value)


def test_require_names_a_missing_extra_covariate():
    runs = runs_with([1e9, 1e9, 2e9, 2e9])
    with pytest.raises(RunTableError, match="needs 'P'"):
        runs.require(["N", "P"], n_params=3)
