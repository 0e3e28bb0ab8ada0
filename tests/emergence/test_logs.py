"""Reading and validating PassUntil logs and task scores."""

import numpy as np
import pandas as pd
import pytest

from workbench.emergence import read_passuntil, read_task_scores
from workbench.runs import RunTableError


def logs_frame(**changes):
    frame = pd.DataFrame(
        {
            "model": ["s", "s", "m", "m"],
            "N": [1e8, 1e8, 1e9, 1e9],
            "instance": ["a", "b", "a", "b"],
            "attempts": [100, 2000, 10, 3],
            "passes": [1, 0, 1, 1],
            "max_attempts": [2000, 2000, 2000, 2000],
        }
    )
    for column, (row, value) in changes.items():
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return frame


def test_canonical_form_and_censoring():
    logs = read_passuntil(logs_frame())
    assert list(logs.frame.columns) == [
        "model",
        "N",
        "instance",
        "attempts",
        "passes",
        "max_attempts",
    ]
    np.testing.assert_array_equal(logs.sizes, [1e8, 1e9])
    np.testing.assert_array_equal(logs.censored, [False, True, False, False])
    assert list(logs.instances) == ["a", "b"]
    pooled = logs.pooled()
    assert pooled["passes"].tolist() == [1, 2] and pooled["censored"].tolist() == [1, 0]


def test_aggregated_counts_have_no_cap():
    frame = pd.DataFrame(
        {"model": ["s"], "N": [1e8], "instance": ["a"], "n_samples": [200], "n_correct": [0]}
    )
    logs = read_passuntil(frame)
    assert logs.attempts.tolist() == [200] and logs.passes.tolist() == [0]
    assert not logs.censored.any()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_files_round_trip(tmp_path, suffix):
    frame = logs_frame()
    path = tmp_path / f"logs{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records")
    assert read_passuntil(path).frame.equals(read_passuntil(frame).frame)


@pytest.mark.parametrize(
    ("frame", "column", "rows", "words"),
    [
        (logs_frame(passes=(2, 5), attempts=(2, 3)), "passes", [2], "r > K"),
        (logs_frame(passes=(0, -1)), "passes", [0], "negative"),
        (logs_frame(attempts=(3, 0), passes=(3, 0)), "attempts", [3], "K = 0"),
        (logs_frame(N=(1, np.nan)), "N", [1], "missing"),
        (logs_frame().drop(columns="N"), "N", [], "need a column"),
        (logs_frame(instance=(1, "a")), "instance", [0, 1], "twice"),
        (logs_frame(attempts=(2, "ten")), "attempts", [2], "non-numeric"),
        (logs_frame(N=(0, "7B")), "N", [0], "non-numeric"),
    ],
)
def test_validation_names_row_and_column(frame, column, rows, words):
    with pytest.raises(RunTableError) as caught:
        read_passuntil(frame)
    assert caught.value.column == column
    assert caught.value.rows == rows
    assert words in str(caught.value)


def test_task_scores():
    scores = read_task_scores(
        pd.DataFrame({"model": ["b", "a"], "N": [1e9, 1e8], "acc": [0.5, 0.2]})
    )
    np.testing.assert_array_equal(scores.N, [1e8, 1e9])
    assert scores.n_items is None
    with pytest.raises(RunTableError, match="fractions") as caught:
        read_task_scores(pd.DataFrame({"N": [1e8, 1e9], "score": [0.2, 42.0]}))
    assert caught.value.rows == [1]
