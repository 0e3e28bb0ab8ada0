import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.runs import ImplausibleValueWarning, RunTableError, from_frame, read_runs


def base_frame(rows: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": [f"r{row}" for row in range(rows)],
            "params": np.geomspace(1e7, 1e9, rows),
            "tokens": np.geomspace(1e8, 1e10, rows),
            "val_loss": np.linspace(4.0, 3.0, rows),
        }
    )


def raised(frame: pd.DataFrame, **kwargs) -> RunTableError:
    with pytest.raises(RunTableError) as caught:
        from_frame(frame, **kwargs)
    return caught.value


def test_unreadable_quantities_name_column_rows_and_values():
    frame = base_frame().astype({"params": object})
    frame.loc[1, "params"] = "oops"
    frame.loc[3, "params"] = "7 bananas"
    error = raised(frame)
    assert (error.column, error.rows) == ("params", [1, 3])
    assert "column 'params'" in str(error)
    assert "at data rows 2, 4" in str(error)
    assert "'oops'" in str(error)
    assert "'7 bananas'" in str(error)


def test_non_finite_target_names_rows_and_suggests_clean():
    frame = base_frame()
    frame.loc[1, "val_loss"] = np.nan
    frame.loc[4, "val_loss"] = np.inf
    error = raised(frame)
    assert (error.column, error.rows) == ("val_loss", [1, 4])
    assert "column 'val_loss'" in str(error)
    assert "at data rows 2, 5" in str(error)
    assert "workbench.runs.clean()" in str(error)


def test_non_numeric_target_is_refused():
    frame = base_frame().astype({"val_loss": object})
    frame.loc[2, "val_loss"] = "diverged"
    error = raised(frame)
    assert (error.column, error.rows) == ("val_loss", [2])
    assert "at data row 3" in str(error)
    assert "'diverged'" in str(error)


def test_missing_covariate_value_is_non_finite():
    frame = base_frame()
    frame.loc[0, "tokens"] = np.nan
    error = raised(frame)
    assert (error.column, error.rows) == ("tokens", [0])
    assert "non-finite" in str(error)


@pytest.mark.parametrize("column", ["params", "tokens"])
def test_zero_or_negative_covariates_are_refused(column):
    frame = base_frame()
    frame.loc[2, column] = 0.0
    frame.loc[3, column] = -1e9
    error = raised(frame)
    assert (error.column, error.rows) == (column, [2, 3])
    assert f"column '{column}'" in str(error)
    assert "at data rows 3, 4" in str(error)
    assert "must be positive" in str(error)


def test_non_positive_compute_is_refused():
    frame = pd.DataFrame({"flops": [1e18, -1e18], "loss": [3.0, 2.0]})
    error = raised(frame)
    assert (error.column, error.rows) == ("flops", [1])


def test_non_finite_step_is_refused():
    frame = base_frame().assign(run="a", step=[1.0, 2.0, np.nan, 4.0, 5.0])
    error = raised(frame)
    assert (error.column, error.rows) == ("step", [2])


def test_duplicate_run_and_step_names_the_repeats():
    frame = base_frame().assign(run=["a", "a", "b", "a", "b"], step=[1, 2, 1, 2, 1])
    error = raised(frame)
    assert (error.column, error.rows) == ("run", [3, 4])
    assert "data row 4 repeats data row 2" in str(error)
    assert "data row 5 repeats data row 3" in str(error)
    assert "(run, step)" in str(error)


def test_duplicate_run_ids_without_steps_are_refused():
    frame = base_frame().assign(run=["a", "b", "c", "b", "e"])
    error = raised(frame)
    assert (error.column, error.rows) == ("run", [3])
    assert "data row 4 repeats data row 2" in str(error)


def test_missing_run_ids_are_refused():
    frame = base_frame()
    frame.loc[4, "run"] = None
    error = raised(frame)
    assert (error.column, error.rows) == ("run", [4])


def test_steps_without_run_ids_are_refused():
    frame = base_frame().drop(columns="run").assign(step=range(5))
    error = raised(frame)
    assert error.column == "step"
    assert "run id" in str(error)


def test_row_numbers_are_positions_even_with_another_index():
    frame = base_frame().set_index(pd.Index([10, 20, 30, 40, 50]))
    frame.loc[40, "val_loss"] = np.nan
    assert raised(frame).rows == [3]


def test_long_row_lists_are_shortened():
    frame = base_frame(30)
    frame.loc[5:, "val_loss"] = np.nan
    error = raised(frame)
    assert error.rows == list(range(5, 30))
    assert "data rows 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 and 15 more" in str(error)


def test_first_problem_is_raised_and_the_rest_counted():
    frame = base_frame()
    frame.loc[0, "params"] = -1.0
    frame.loc[1, "val_loss"] = np.nan
    error = raised(frame)
    assert error.column == "params"
    assert "1 more problem" in str(error)


def test_unused_column_with_a_canonical_name_is_refused():
    frame = base_frame().assign(loss=1.0)
    error = raised(frame, mapping={"loss": "val_loss"})
    assert error.column == "loss"
    assert "clash" in str(error)


def test_valid_input_is_never_changed():
    frame = base_frame()
    before = frame.copy()
    runs = from_frame(frame)
    pd.testing.assert_frame_equal(frame, before)
    np.testing.assert_array_equal(runs.y, before["val_loss"].to_numpy())
    assert runs.target == "loss"


def test_compute_that_overflows_is_refused_without_a_numpy_warning():
    frame = base_frame()
    frame.loc[2, ["params", "tokens"]] = 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # NumPy's overflow warning would fail
        error = raised(frame)
    assert (error.column, error.rows) == ("C", [2])
    assert "out of floating-point range at data row 3" in str(error)


def test_list_cells_are_refused_as_not_numbers_or_not_run_ids(tmp_path):
    frame = pd.DataFrame({"run": ["a", "b"], "N": [1e8, 2e8], "D": [1e9, 2e9], "loss": [3.0, 2.9]})
    path = tmp_path / "lists.parquet"
    frame.assign(N=[[1e8], [2e8]]).to_parquet(path)
    with pytest.raises(RunTableError, match=r"lists.parquet: column 'N': N values that are not"):
        read_runs(path)
    frame.assign(run=[["a"], ["b"]]).to_parquet(path)
    with pytest.raises(RunTableError, match="run ids in 'run' are lists or mappings"):
        read_runs(path)
    frame.assign(note=[[1, 2], []]).to_parquet(path)
    assert len(read_runs(path)) == 2  # a list in a column no role reads is kept as it is


def test_an_implausibly_large_n_is_warned_about_with_its_row():
    frame = pd.DataFrame({"N": [1e8, 3e21], "D": [1e9, 2e9], "loss": [3.0, 2.9]})
    with pytest.warns(ImplausibleValueWarning, match=r"N reaches 3e\+21 parameters at data row 2"):
        runs = from_frame(frame)
    assert len(runs) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_frame(frame.assign(N=[1e8, 1e12]))  # a trillion parameters is plausible


def test_a_table_without_rows_is_refused():
    with pytest.raises(RunTableError, match=r"no data rows \(columns: \['N', 'D', 'loss'\]\)"):
        from_frame(pd.DataFrame(columns=["N", "D", "loss"]))
