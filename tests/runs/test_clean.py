import numpy as np
import pandas as pd
import pytest

from workbench.runs import RunTableError, clean, from_frame


@pytest.fixture
def messy() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "run": [f"r{row // 2}" for row in range(20)],
            "step": [1, 2] * 10,
            "params": np.repeat(np.geomspace(1e7, 1e9, 10), 2),
            "tokens": np.tile([1e9, 2e9], 10),
            "loss": np.linspace(4.0, 2.5, 20),
        }
    )
    frame.loc[4, "loss"] = np.nan
    frame.loc[9, "loss"] = np.inf
    frame.loc[17, ["run", "step"]] = ["r1", 2]  # repeats row 3
    frame.loc[12, "params"] = -5.0
    return frame


def test_clean_removes_exactly_the_bad_rows_and_says_why(messy):
    runs, report = clean(messy)
    assert report.n_removed == 4
    assert list(report.removed.index) == [4, 9, 12, 17]
    assert report.removed.index.name == "row"
    assert report.removed["reason"].tolist() == [
        "non-finite loss",
        "non-finite loss",
        "non-positive params",
        "duplicate (run, step)",
    ]
    pd.testing.assert_frame_equal(
        report.removed.drop(columns="reason"), messy.iloc[[4, 9, 12, 17]].rename_axis("row")
    )
    assert len(runs) == 16
    kept = messy.drop(index=[4, 9, 12, 17])
    np.testing.assert_array_equal(runs.y, kept["loss"].to_numpy())


def test_report_summary_groups_reasons_with_rows(messy):
    _, report = clean(messy)
    assert str(report) == (
        "removed 4 of 20 rows: 2 non-finite loss (data rows 5, 10), 1 non-positive params "
        "(data row 13), 1 duplicate (run, step) (data row 18)"
    )


def test_clean_agrees_with_from_frame_on_the_kept_rows(messy):
    runs, _ = clean(messy)
    expected = from_frame(messy.drop(index=[4, 9, 12, 17]).reset_index(drop=True))
    pd.testing.assert_frame_equal(runs.data, expected.data)
    assert runs.derived == expected.derived == frozenset({"C"})


def test_clean_reports_unreadable_values_once_per_row():
    frame = pd.DataFrame({"params": ["1B", "lots", "3B", "2B"], "loss": [3.0, np.nan, 2.0, 2.5]})
    runs, report = clean(frame)
    assert report.removed["reason"].to_dict() == {1: "non-numeric params"}
    assert runs.data["run"].tolist() == ["run-0", "run-2", "run-3"]


def test_clean_nothing_to_remove():
    frame = pd.DataFrame({"N": [1e8, 2e8], "loss": [3.0, 2.9]})
    runs, report = clean(frame)
    assert report.n_removed == 0
    assert str(report) == "removed 0 of 2 rows"
    assert len(runs) == 2


def test_clean_still_raises_for_a_missing_target():
    with pytest.raises(RunTableError, match="no target column 'loss'"):
        clean(pd.DataFrame({"N": [1e8], "ppl": [3.0]}))


def test_clean_reads_files(tmp_path, messy):
    path = tmp_path / "messy.csv"
    messy.to_csv(path, index=False)
    runs, report = clean(path)
    assert list(report.removed.index) == [4, 9, 12, 17]
    assert len(runs) == 16


def test_clean_returns_a_run_table_as_it_is():
    runs = from_frame(pd.DataFrame({"N": [1e8, 2e8], "loss": [3.0, 2.9]}))
    cleaned, report = clean(runs)
    assert cleaned is runs
    assert report.n_removed == 0
    assert "reason" in report.removed.columns
