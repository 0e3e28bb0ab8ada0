import json

import numpy as np
import pandas as pd
import pytest

from workbench.runs import RunTable, RunTableError, read_runs


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["a", "a", "b"],
            "Model Size": [1e8, 1e8, 3e8],
            "tokens": [1e9, 2e9, 6e9],
            "step": [1000, 2000, 3000],
            "val_loss": [3.5, 3.25, 3.0],
            "note": ["x", "y", "z"],
        }
    )


def assert_expected(runs: RunTable) -> None:
    assert list(runs.data.columns) == ["run", "N", "D", "C", "loss", "step", "note"]
    assert runs.data["run"].tolist() == ["a", "a", "b"]
    np.testing.assert_array_equal(runs.column("N"), [1e8, 1e8, 3e8])
    np.testing.assert_array_equal(runs.column("D"), [1e9, 2e9, 6e9])
    np.testing.assert_allclose(runs.column("C"), [6e17, 1.2e18, 1.08e19])
    np.testing.assert_array_equal(runs.y, [3.5, 3.25, 3.0])
    assert runs.data["step"].tolist() == [1000, 2000, 3000]
    assert runs.data["note"].tolist() == ["x", "y", "z"]
    assert runs.source_columns["N"] == "Model Size"


def test_reads_csv(tmp_path, frame):
    path = tmp_path / "runs.csv"
    frame.to_csv(path, index=False)
    assert_expected(read_runs(path))
    assert_expected(read_runs(str(path)))


def test_reads_parquet(tmp_path, frame):
    path = tmp_path / "runs.parquet"
    frame.to_parquet(path, index=False)
    assert_expected(read_runs(path))


def test_reads_json_records_and_lines(tmp_path, frame):
    records = tmp_path / "runs.json"
    records.write_text(json.dumps(frame.to_dict(orient="records")))
    assert_expected(read_runs(records))
    lines = tmp_path / "runs.jsonl"
    frame.to_json(lines, orient="records", lines=True)
    assert_expected(read_runs(lines))


def test_format_overrides_the_suffix(tmp_path, frame):
    path = tmp_path / "runs.txt"
    frame.to_csv(path, index=False)
    assert_expected(read_runs(path, format="csv"))
    with pytest.raises(RunTableError, match="cannot tell the format"):
        read_runs(path)


def test_reads_dataframes_and_returns_run_tables_as_they_are(frame):
    runs = read_runs(frame)
    assert_expected(runs)
    assert read_runs(runs) is runs


def test_mapping_and_target_reach_the_validation(tmp_path, frame):
    path = tmp_path / "runs.csv"
    frame.assign(accuracy=[0.1, 0.2, 0.3]).to_csv(path, index=False)
    runs = read_runs(path, mapping={"accuracy": "accuracy"}, target="accuracy")
    assert runs.target == "accuracy"
    np.testing.assert_array_equal(runs.y, [0.1, 0.2, 0.3])
    assert runs.data["val_loss"].tolist() == [3.5, 3.25, 3.0]


def test_quantity_strings_survive_a_csv_round_trip(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("model,params,tokens,loss\nsmall,350M,7B,3.1\nlarge,7B,1.4T,2.2\n")
    runs = read_runs(path)
    np.testing.assert_array_equal(runs.column("N"), [3.5e8, 7e9])
    np.testing.assert_array_equal(runs.column("D"), [7e9, 1.4e12])
    assert runs.data["run"].tolist() == ["small", "large"]
