"""Runs that contradict a law's shape are named in plain words before any sampling."""

import warnings

import pytest

from workbench.cli import main
from workbench.fitting import ScalingLawFit
from workbench.fitting.data_checks import DataShapeWarning, shape_problems
from workbench.laws import get_law
from workbench.runs import demo, from_frame


@pytest.fixture(scope="module")
def frame():
    return demo(seed=0).final_checkpoints().data[["run", "N", "D", "loss"]]


def test_runs_that_follow_the_law_raise_nothing(frame):
    for law in ("chinchilla", "kaplan_joint", "power_law", "optimal_hyperparameters"):
        assert shape_problems(get_law(law), from_frame(frame)) == []


def test_loss_rising_with_compute_is_named(frame):
    rising = frame.assign(loss=6.0 - frame["loss"])
    (problem,) = shape_problems(get_law("chinchilla"), from_frame(rising))
    assert problem.startswith("loss rises with compute (Spearman ρ = +")
    assert "rather than an accuracy" in problem


def test_an_optimum_may_rise_with_scale(frame):
    rising = frame.assign(loss=frame["D"] ** 0.3)
    assert shape_problems(get_law("optimal_hyperparameters"), from_frame(rising)) == []


def test_one_value_of_a_covariate_is_named(frame):
    one_d = from_frame(frame.assign(D=2e10).drop_duplicates("N"))
    (problem,) = shape_problems(get_law("chinchilla"), one_d)
    assert problem.startswith("every row has D = 2e+10, so chinchilla cannot tell the D term")


def test_constant_loss_is_named(frame):
    (problem,) = shape_problems(get_law("power_law"), from_frame(frame.assign(loss=2.5)))
    assert problem.startswith("every row has the same loss (2.5)")


def test_fit_warns_before_sampling(frame):
    rising = from_frame(frame.assign(loss=6.0 - frame["loss"]))
    fit = ScalingLawFit("power_law", sampler={"draws": 50, "tune": 50})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit.fit(rising, random_seed=0)
    shape = [w for w in caught if w.category is DataShapeWarning]
    assert len(shape) == 1 and "rises with compute" in str(shape[0].message)
    assert caught[0].category is DataShapeWarning  # before any convergence warning


def test_cli_prints_the_data_warning_first(frame, tmp_path, capsys):
    path = tmp_path / "rising.csv"
    frame.assign(loss=6.0 - frame["loss"]).to_csv(path, index=False)
    code = main(
        [
            "fit",
            str(path),
            "--law",
            "power_law",
            "--draws",
            "50",
            "--tune",
            "50",
            "--no-calibrate",
        ]
    )
    assert code == 0
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("warning: power_law") and "rises with compute" in first
