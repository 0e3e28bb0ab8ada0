"""ScalingLawFit on the demo runs: DataTree contents, diagnostics, priors, save and load."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.fitting import FitFileError, NotFittedError, ScalingLawFit
from workbench.fitting.diagnostics import Diagnostics
from workbench.fitting.fit import FIT_GROUPS, SAVED_GROUPS
from workbench.fitting.model import build_model, default_priors, is_compiled, model_data
from workbench.laws import Prior, get_law
from workbench.runs import DEMO_TRUTH, demo

FAST = {"draws": 1000, "tune": 1000}


@pytest.fixture(scope="module")
def demo_runs():
    return demo(seed=0).final_checkpoints()


@pytest.fixture(scope="module")
def demo_fit(demo_runs):
    return ScalingLawFit("chinchilla", sampler=FAST).fit(demo_runs, random_seed=1)


def test_model_structure_matches_the_law():
    law = get_law("chinchilla")
    x = {"N": np.array([1e8, 1e9, 1e10]), "D": np.array([1e9, 1e10, 1e11])}
    y = np.array([3.0, 2.6, 2.3])
    priors = default_priors(law, "student_t")
    model = build_model(law, priors, "student_t", model_data(law, x, y, law.centres(x, y)))
    assert {rv.name for rv in model.free_RVs} == {"e", "a", "b", "alpha", "beta", "sigma", "nu"}
    assert [rv.name for rv in model.observed_RVs] == ["log_target"]
    assert {d.name for d in model.data_vars} == {"log_y", "x_N", "x_D", "centre_y"}


def test_datatree_has_every_group(demo_fit, demo_runs):
    tree = demo_fit.idata
    assert set(tree.children) == set(FIT_GROUPS)
    posterior = tree["posterior"]
    assert posterior.sizes["chain"] == 2 and posterior.sizes["draw"] == 1000
    for name in ("E", "A", "B", "alpha", "beta", "a_opt", "G", "sigma", "nu"):
        assert name in posterior
    assert tree["posterior_predictive"]["loss"].shape == (2, 1000, len(demo_runs))
    assert tree["log_likelihood"]["loss"].shape == (2, 1000, len(demo_runs))
    np.testing.assert_array_equal(tree["observed_data"]["loss"].values, demo_runs.y)
    assert tree.attrs["data_hash"] == demo_runs.content_hash()
    assert json.loads(tree.attrs["law_options"]) == {}


def test_demo_truth_is_recovered(demo_fit):
    summary = demo_fit.summary(ci_prob=0.9)
    for parameter in ("E", "alpha", "beta"):
        assert (
            summary.loc[parameter, "ci_low_90"]
            < DEMO_TRUTH[parameter]
            < summary.loc[parameter, "ci_high_90"]
        )
    assert summary.loc["E", "median"] == pytest.approx(DEMO_TRUTH["E"], rel=0.05)


def test_posterior_predictive_brackets_the_data(demo_fit):
    tree = demo_fit.idata
    draws = tree["posterior_predictive"]["loss"].values.reshape(
        -1, tree["observed_data"].sizes["obs"]
    )
    low, high = np.quantile(draws, [0.05, 0.95], axis=0)
    inside = (low <= tree["observed_data"]["loss"].values) & (
        tree["observed_data"]["loss"].values <= high
    )
    assert 0.8 <= inside.mean() <= 1.0


def test_log_likelihood_matches_student_t_density(demo_fit):
    from scipy import stats

    tree = demo_fit.idata
    post = tree["posterior"]
    draw = dict(chain=0, draw=5)
    theta = {name: float(post[name].isel(**draw)) for name in demo_fit.law.sampler_parameters}
    centres = demo_fit.centres_
    x_centred = {k: np.log(tree["constant_data"][k].values) - centres[k] for k in ("N", "D")}
    mu = demo_fit.law.log_mean(x_centred, theta, centres)
    log_y = np.log(tree["observed_data"]["loss"].values)
    expected = (
        stats.t.logpdf(log_y, float(post["nu"].isel(**draw)), mu, float(post["sigma"].isel(**draw)))
        - log_y
    )
    np.testing.assert_allclose(
        tree["log_likelihood"]["loss"].isel(**draw).values, expected, rtol=1e-8
    )


def test_diagnostics_are_reported(demo_fit):
    diagnostics = demo_fit.diagnostics()
    assert diagnostics.rhat_max < 1.05
    assert diagnostics.ess_bulk_min > 100
    assert diagnostics.divergences == int(demo_fit.idata["sample_stats"]["diverging"].sum())
    assert set(diagnostics.to_dict()) == {"rhat_max", "ess_bulk_min", "ess_tail_min", "divergences"}


@pytest.mark.parametrize(
    ("rhat", "ess", "divergences", "expected"),
    [
        (1.005, 400.0, 0, {"rhat": "good", "ess": "good", "divergences": "good"}),
        (1.03, 150.0, 20, {"rhat": "warn", "ess": "warn", "divergences": "warn"}),
        (1.2, 90.0, 21, {"rhat": "bad", "ess": "bad", "divergences": "bad"}),
    ],
)
def test_diagnostics_grade_each_check(rhat, ess, divergences, expected):
    """2 chains x 1000 draws: 200 effective draws are needed, 1 % of 2000 may diverge."""
    diagnostics = Diagnostics(rhat, ess, ess + 50, divergences, chains=2, draws=1000)
    assert diagnostics.levels() == expected


def test_compiled_model_is_reused_for_new_data(demo_fit, demo_runs):
    law = demo_fit.law
    assert is_compiled(law, demo_fit.effective_priors, "student_t")
    fewer = demo_runs.filter(np.arange(len(demo_runs)) % 2 == 0)
    refit = ScalingLawFit("chinchilla", sampler=FAST).fit(fewer, random_seed=2)
    assert refit.idata["observed_data"].sizes["obs"] == len(fewer)
    assert refit.idata["posterior_predictive"]["loss"].shape[-1] == len(fewer)


def test_fixed_seed_reproduces_the_posterior(demo_runs, demo_fit):
    again = ScalingLawFit("chinchilla", sampler=FAST).fit(demo_runs, random_seed=1)
    np.testing.assert_array_equal(
        again.idata["posterior"]["E"].values, demo_fit.idata["posterior"]["E"].values
    )


def test_a_saved_fit_recomputes_its_pointwise_groups_exactly(demo_runs, demo_fit, tmp_path):
    lean = ScalingLawFit("chinchilla", sampler=FAST).fit(demo_runs, random_seed=1, pointwise=False)
    assert set(lean.idata.children) == set(SAVED_GROUPS)
    np.testing.assert_array_equal(
        lean.idata["posterior"]["E"].values, demo_fit.idata["posterior"]["E"].values
    )
    path = lean.save(tmp_path / "lean.nc")
    assert set(ScalingLawFit.read_tree(path).children) == set(SAVED_GROUPS)
    loaded = ScalingLawFit.load(path)
    # The fit made with its pointwise groups, from the same seed, drew these very values.
    for group in ("posterior_predictive", "log_likelihood"):
        xr.testing.assert_identical(
            loaded.idata[group].to_dataset(), demo_fit.idata[group].to_dataset()
        )
    assert loaded.fitted_runs().data.equals(demo_fit.fitted_runs().data)
    posterior_only = ScalingLawFit.load(path, pointwise=False)
    assert set(posterior_only.idata.children) == set(SAVED_GROUPS)
    target = {"N": [7e10], "D": [1.4e12]}
    pd.testing.assert_frame_equal(posterior_only.predict(target), demo_fit.predict(target))


def test_low_budget_fit_warns(demo_runs):
    from workbench.fitting import FitWarning

    with pytest.warns(FitWarning, match="effective sample size"):
        ScalingLawFit("chinchilla", sampler={"draws": 20, "tune": 50}).fit(demo_runs, random_seed=0)


def test_prior_override_and_unknown_name(demo_runs):
    fit = ScalingLawFit(
        "chinchilla", priors={"alpha": {"distribution": "Gamma", "alpha": 3, "beta": 8}}
    )
    assert fit.effective_priors["alpha"] == Prior("Gamma", alpha=3, beta=8)
    with pytest.raises(ValueError, match="priors can be set for"):
        _ = ScalingLawFit("chinchilla", priors={"gamma": Prior("Normal")}).effective_priors


def test_using_results_before_fit_says_what_to_call():
    with pytest.raises(NotFittedError, match=r"call \.fit\(runs\)"):
        ScalingLawFit("chinchilla").predict(N=1e9, D=1e10)


def test_unknown_sampler_option():
    with pytest.raises(ValueError, match="unknown sampler options"):
        _ = ScalingLawFit("chinchilla", sampler={"draw": 10}).sampler_options


def test_save_load_predict_identical(demo_fit, tmp_path):
    path = demo_fit.save(tmp_path / "fit.nc")
    loaded = ScalingLawFit.load(path)
    assert loaded.law == demo_fit.law
    assert loaded.effective_priors == demo_fit.effective_priors
    targets = {"N": [1e9, 1e10], "D": [2e10, 2e11]}
    before, after = demo_fit.predict(targets), loaded.predict(targets)
    np.testing.assert_array_equal(
        before.drop(columns="kind").values, after.drop(columns="kind").values
    )
    assert loaded.summary().equals(demo_fit.summary())
    assert loaded.idata.attrs["data_hash"] == demo_fit.idata.attrs["data_hash"]
    assert loaded.idata.attrs["workbench_version"]


def test_loading_into_the_wrong_law_raises(demo_fit, tmp_path):
    path = demo_fit.save(tmp_path / "fit.nc")
    with pytest.raises(FitFileError, match="holds a fit of chinchilla, not of kaplan_joint"):
        ScalingLawFit.load(path, law="kaplan_joint")
    assert ScalingLawFit.load(path, law="chinchilla").law.name == "chinchilla"


def test_loading_a_foreign_file_raises(tmp_path):
    bogus = tmp_path / "not_a_fit.nc"
    bogus.write_text("hello")
    with pytest.raises(FitFileError, match="cannot read a fit"):
        ScalingLawFit.load(bogus)


def test_progress_is_reported_and_reaches_one(demo_runs):
    fractions = []
    ScalingLawFit("chinchilla").fit(demo_runs, random_seed=4, progress=fractions.append)
    assert fractions and fractions[-1] == pytest.approx(1.0)
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)


def test_cancel_stops_sampling(demo_runs):
    import threading

    from workbench.fitting import FitCancelled

    cancel = threading.Event()
    long_run = ScalingLawFit("chinchilla", sampler={"draws": 200_000, "tune": 1000})

    def cancel_after_first_progress(fraction):
        if fraction > 0:
            cancel.set()

    with pytest.raises(FitCancelled):
        long_run.fit(demo_runs, random_seed=5, progress=cancel_after_first_progress, cancel=cancel)
    assert not hasattr(long_run, "idata_")


def test_a_law_of_the_loss_refuses_the_loss_as_target():
    from workbench.runs import RunTableError

    with pytest.raises(RunTableError, match="cannot also be the target"):
        ScalingLawFit("downstream_error").fit(demo(seed=0), random_seed=0)
