import numpy as np
import pandas as pd
import pytest

from workbench.runs import RunTable, RunTableError, demo, from_frame


@pytest.fixture
def checkpoints() -> RunTable:
    frame = pd.DataFrame(
        {
            "run": ["a", "a", "a", "b", "b"],
            "step": [300, 100, 200, 10, 20],
            "N": [1e8, 1e8, 1e8, 2e8, 2e8],
            "D": [3e9, 1e9, 2e9, 1e8, 2e8],
            "loss": [3.0, 3.4, 3.2, 4.0, 3.8],
        }
    )
    return from_frame(frame)


def test_column_and_y_are_float64(checkpoints):
    assert checkpoints.column("N").dtype == np.float64
    np.testing.assert_array_equal(checkpoints.y, [3.0, 3.4, 3.2, 4.0, 3.8])
    assert len(checkpoints) == 5


def test_column_names_a_missing_role(checkpoints):
    with pytest.raises(RunTableError, match="no 'seed' column") as caught:
        checkpoints.column("seed")
    assert caught.value.column == "seed"


def test_final_checkpoints_keep_the_largest_step_of_each_run(checkpoints):
    final = checkpoints.final_checkpoints()
    assert final.data["run"].tolist() == ["a", "b"]
    assert final.data["step"].tolist() == [300, 20]
    np.testing.assert_array_equal(final.y, [3.0, 3.8])
    assert final.derived == checkpoints.derived


def test_final_checkpoints_without_steps_is_the_table_itself():
    runs = from_frame(pd.DataFrame({"N": [1e8, 2e8], "loss": [3.0, 2.9]}))
    assert runs.final_checkpoints() is runs


def test_filter_keeps_metadata(checkpoints):
    small = checkpoints.filter(checkpoints.column("N") < 1.5e8)
    assert len(small) == 3
    assert small.derived == frozenset({"C"})
    assert small.source_columns == checkpoints.source_columns
    assert list(small.data.index) == [0, 1, 2]


def test_filter_refuses_a_mask_that_is_not_boolean(checkpoints):
    with pytest.raises(RunTableError, match="boolean mask"):
        checkpoints.filter([0, 1, 0, 1, 0])


def test_require_names_a_missing_covariate_and_how_to_map_it():
    runs = from_frame(pd.DataFrame({"params": [1e8, 2e8, 4e8], "loss": [3.0, 2.9, 2.8]}))
    with pytest.raises(RunTableError) as caught:
        runs.require(["N", "D"], n_params=5)
    message = str(caught.value)
    assert caught.value.column == "D"
    assert "mapping={'D': '<column>'}" in message
    assert "--D" in message
    assert "N from 'params'" in message


def test_require_says_to_name_an_extra_covariate_column():
    frame = pd.DataFrame({"N": [1e8, 2e8], "D": [2e9, 4e9], "unique": [1e9, 2e9], "loss": [3, 2]})
    with pytest.raises(RunTableError) as caught:
        from_frame(frame).require(["N", "D", "U"], n_params=2)
    # U is no role that mapping= accepts: the law reads a column of that name.
    assert "frame.rename(columns={'unique': 'U'})" in str(caught.value)
    assert "mapping=" not in str(caught.value)


def test_require_names_rows_with_a_non_positive_target():
    frame = pd.DataFrame({"N": [1e8, 2e8, 4e8, 8e8], "loss": [3.0, 0.0, 2.8, -1.0]})
    runs = from_frame(frame)
    with pytest.raises(RunTableError) as caught:
        runs.require(["N"], n_params=3)
    assert (caught.value.column, caught.value.rows) == ("loss", [1, 3])
    runs.require(["N"], n_params=3, log_target=False)


def test_require_counts_distinct_covariate_points(checkpoints):
    checkpoints.require(["N", "D"], n_params=5)
    with pytest.raises(RunTableError, match=r"only 2 distinct \(N\) points for a law with 3"):
        checkpoints.require(["N"], n_params=3)


def test_content_hash_is_stable_and_sensitive():
    first, second = demo(seed=0), demo(seed=0)
    assert first.content_hash() == second.content_hash()
    assert len(first.content_hash()) == 64
    changed = first.data.copy()
    changed.loc[7, "loss"] = np.nextafter(changed.loc[7, "loss"], np.inf)
    assert from_frame(changed).content_hash() != first.content_hash()
    assert demo(seed=1).content_hash() != first.content_hash()


def test_content_hash_is_a_known_value():
    runs = from_frame(pd.DataFrame({"N": [1.0, 2.0], "loss": [3.0, 4.0]}))
    # Pinned so that a change to the hashing (which orphans saved fits) is deliberate.
    assert runs.content_hash() == (
        "841eb4428e2a12e5f0222611b0c01b47b9dc6f9011cae38938247099754d9bfc"
    )
