import numpy as np
import pandas as pd
import pytest

from workbench.runs import RunTableError, clean, from_frame


def test_derives_compute_from_parameters_and_tokens():
    runs = from_frame(pd.DataFrame({"N": [1e8, 2e8], "D": [2e9, 4e9], "loss": [3.0, 2.8]}))
    np.testing.assert_allclose(runs.column("C"), [1.2e18, 4.8e18], rtol=1e-15)
    assert runs.derived == frozenset({"C"})
    assert "C" not in runs.source_columns


def test_derives_tokens_from_compute_and_parameters():
    runs = from_frame(pd.DataFrame({"N": [1e8, 5e8], "C": [6e18, 3e19], "loss": [3.0, 2.8]}))
    np.testing.assert_allclose(runs.column("D"), [1e10, 1e10], rtol=1e-15)
    assert runs.derived == frozenset({"D"})


def test_derives_parameters_from_compute_and_tokens():
    runs = from_frame(pd.DataFrame({"D": [1e10], "C": [6e18], "loss": [3.0]}))
    np.testing.assert_allclose(runs.column("N"), [1e8], rtol=1e-15)
    assert runs.derived == frozenset({"N"})


def test_all_three_present_derives_nothing():
    runs = from_frame(pd.DataFrame({"N": [1e8], "D": [1e9], "C": [7e17], "loss": [3.0]}))
    assert runs.derived == frozenset()
    assert runs.column("C")[0] == 7e17


def test_compute_far_from_6ND_is_refused_at_its_row():
    frame = pd.DataFrame({"N": [1e8, 2e8], "D": [1e9, 2e9], "C": [6e17, 2.4e27], "loss": [3, 2]})
    with pytest.raises(RunTableError, match="factor of 10") as caught:
        from_frame(frame)
    assert caught.value.column == "C"
    assert caught.value.rows == [1]
    runs, report = clean(frame)
    assert len(runs) == 1 and "C far from 6·N·D" in str(report)


def test_a_single_covariate_is_allowed_and_nothing_is_derived():
    runs = from_frame(pd.DataFrame({"C": [1e18, 1e19], "loss": [3.0, 2.5]}))
    assert runs.has("C")
    assert not runs.has("N")
    assert not runs.has("D")
    assert runs.derived == frozenset()


def test_no_covariate_at_all_is_refused():
    with pytest.raises(RunTableError, match=r"no N \(parameters\), D \(tokens\) or C"):
        from_frame(pd.DataFrame({"run": ["a"], "loss": [3.0]}))


def test_quantity_strings_are_read_in_covariate_and_step_columns():
    frame = pd.DataFrame(
        {
            "run": ["a", "a"],
            "params": ["7B", "7B"],
            "tokens": ["1.4T", "700B"],
            "step": ["12k", "6k"],
            "loss": [2.0, 2.1],
        }
    )
    runs = from_frame(frame)
    np.testing.assert_array_equal(runs.column("N"), [7e9, 7e9])
    np.testing.assert_array_equal(runs.column("D"), [1.4e12, 7e11])
    assert runs.data["step"].tolist() == [12000, 6000]
    np.testing.assert_allclose(runs.column("C"), [6 * 7e9 * 1.4e12, 6 * 7e9 * 7e11])
