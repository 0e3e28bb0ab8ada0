import numpy as np
import pandas as pd

from workbench.runs import DEMO_TRUTH, demo


def truth_loss(parameters, tokens):
    return (
        DEMO_TRUTH["E"]
        + DEMO_TRUTH["A"] / parameters ** DEMO_TRUTH["alpha"]
        + DEMO_TRUTH["B"] / tokens ** DEMO_TRUTH["beta"]
    )


def test_demo_truth_is_the_documented_law():
    assert DEMO_TRUTH == {"E": 1.8, "A": 480.0, "B": 2000.0, "alpha": 0.35, "beta": 0.37}


def test_demo_is_deterministic_given_the_seed():
    pd.testing.assert_frame_equal(demo(seed=3).data, demo(seed=3).data)
    assert not np.array_equal(demo(seed=3).y, demo(seed=4).y)


def test_demo_shape_and_columns():
    runs = demo()
    assert len(runs) == 320
    assert list(runs.data.columns) == ["run", "N", "D", "C", "loss", "step", "group"]
    assert runs.derived == frozenset({"C"})
    assert set(runs.data["group"]) == {"demo"}
    assert runs.data["run"].nunique() == 40
    assert runs.data.groupby("run")["step"].size().eq(8).all()
    np.testing.assert_allclose(runs.column("N").min(), 2e7)
    np.testing.assert_allclose(runs.column("N").max(), 1e10)
    np.testing.assert_allclose(runs.column("C"), 6 * runs.column("N") * runs.column("D"))


def test_demo_checkpoints_accumulate_tokens():
    data = demo().data
    for _, run in data.groupby("run"):
        assert np.all(np.diff(run["step"].to_numpy()) > 0)
        assert np.all(np.diff(run["D"].to_numpy()) > 0)
        np.testing.assert_allclose(run["D"] / run["step"], run["D"].iloc[-1] / run["step"].iloc[-1])


def test_final_checkpoints_follow_the_true_law_within_noise():
    final = demo().final_checkpoints()
    assert len(final) == 40
    assert final.data["run"].is_unique
    ratios = final.column("D") / final.column("N")
    assert set(np.round(ratios).astype(int)) == {5, 10, 20, 40, 80}
    log_ratio = np.log(final.y / truth_loss(final.column("N"), final.column("D")))
    assert np.median(np.abs(log_ratio)) < 0.03
    assert np.all(np.abs(log_ratio) < 0.06)
