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


RUNS_TEXT = "params,tokens,loss\n1e8,2e9,3.1\n2e8,4e9,2.9\n4e8,8e9,2.7\n"
BAD_FILES = {
    "empty": ("runs.csv", b"", "is empty"),
    "latin-1": ("runs.csv", "params,loss,note\n1e8,3.1,café\n".encode("latin-1"), "UTF-8"),
    "repeated column": ("runs.csv", b"params,params,loss\n1,2,3\n", "columns 1 and 2"),
    "unclosed quote": ("runs.csv", b'params,tokens,loss\n"1e8,2e9,3.1\n', "not valid CSV"),
    "truncated json": ("runs.json", b'[{"params": 1e8, "loss"', "invalid JSON at line 1"),
    "bad json line": ("runs.jsonl", b'{"params": 1e8}\n{"params":\n', "invalid JSON at line 2"),
    "json not records": ("runs.json", b'"params"', "not a list of records"),
    "not parquet": ("runs.parquet", b"params,loss\n1,2\n", "not a readable Parquet file"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_file_that_is_no_table_is_refused_by_name(case, tmp_path):
    name, content, expected = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RunTableError, match=expected) as caught:
        read_runs(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_paths_that_are_no_file_are_refused_by_name(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    cases = {"missing.csv": "no such file", "folder.csv": "is a folder", "loop.csv": "cannot read"}
    for name, expected in cases.items():
        with pytest.raises(RunTableError, match=expected):
            read_runs(tmp_path / name)
    with pytest.raises(RunTableError, match="expected a path"):
        read_runs(None)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_a_byte_order_mark_says_how_to_read_the_file(encoding, tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text(RUNS_TEXT, encoding=encoding)
    runs = read_runs(path)
    np.testing.assert_array_equal(runs.y, [3.1, 2.9, 2.7])
