"""Every fit class saves, loads and reports through one base: a loaded fit reports and predicts
exactly as the fit it was saved from, its file says what made it, and a file of another kind of
fit is refused by name."""

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.emergence import InstanceLaw, simulate_passuntil
from workbench.emergence.downstream import SigmoidScoreFit
from workbench.emergence.loss_to_error import ErrorFromLossFit
from workbench.emergence.model import PassUntilFit
from workbench.fitting import BayesianFit, FitFileError, NotFittedError, ScalingLawFit
from workbench.hyperparameters import LearningRateBatchRule, StepLawFit, simulate_sweeps
from workbench.laws import Prior
from workbench.runs import demo

SHORT = {"draws": 200, "tune": 200}
PASSUNTIL_LAW = InstanceLaw(
    mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9
)


def sigmoid_scores() -> pd.DataFrame:
    sizes = np.geomspace(7e7, 7e9, 6)
    accuracy = 0.25 + 0.6 / (1 + np.exp(-1.5 * (np.log(sizes) - np.log(8e8))))
    return pd.DataFrame({"model": [f"m{i}" for i in range(6)], "N": sizes, "score": accuracy})


def error_pairs() -> tuple[np.ndarray, np.ndarray]:
    loss = np.linspace(2.6, 4.0, 12)
    error = 0.86 - 2.2 * np.exp(-0.71 * loss)
    return loss, error * np.exp(np.random.default_rng(0).normal(0, 0.01, loss.size))


CASES = {
    "ScalingLawFit": (
        lambda: ScalingLawFit("chinchilla", priors={"sigma": Prior("HalfNormal", sigma=0.1)}),
        lambda fit: fit.fit(demo(seed=0).final_checkpoints(), random_seed=0),
        lambda fit: fit.predict(N=[7e10], D=[1.4e12], interval="law"),
    ),
    "StepLawFit": (
        lambda: StepLawFit(sampler=SHORT),
        lambda fit: fit.fit(
            simulate_sweeps([(N, 40 * N) for N in (1e8, 3e8, 1e9)], random_seed=1), random_seed=1
        ),
        lambda fit: fit.predict(N=7e9, D=1.4e12),
    ),
    "LearningRateBatchRule": (
        lambda: LearningRateBatchRule(sampler=SHORT),
        lambda fit: fit.fit(
            simulate_sweeps([(5e8, 3e10)], batch_factors=(0.25, 0.5, 1, 2, 4), random_seed=3),
            random_seed=0,
        ),
        lambda fit: fit.predict(B=[1e6, 4e6]),
    ),
    "PassUntilFit": (
        lambda: PassUntilFit(sampler=SHORT),
        lambda fit: fit.fit(
            simulate_passuntil(PASSUNTIL_LAW, np.geomspace(1e8, 1e10, 5), 20, 2000, 0),
            random_seed=0,
        ),
        lambda fit: pd.DataFrame(fit.pass_rates([1e10])[:, 0, :]),
    ),
    "SigmoidScoreFit": (
        lambda: SigmoidScoreFit(chance=0.25, sampler=SHORT),
        lambda fit: fit.fit(sigmoid_scores(), random_seed=0),
        lambda fit: fit.predict([2e10]),
    ),
    "ErrorFromLossFit": (
        lambda: ErrorFromLossFit(sampler=SHORT),
        lambda fit: fit.fit(*error_pairs(), random_seed=0),
        lambda fit: fit.predict([2.2]),
    ),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def saved(request, tmp_path_factory):
    """A fitted instance of each class, and the fit loaded back from its file."""
    make, fit, results = CASES[request.param]
    with warnings.catch_warnings():
        # Short chains: their convergence warnings are not under test here.
        warnings.simplefilter("ignore")
        fitted = fit(make())
    path = fitted.save(tmp_path_factory.mktemp("fits") / f"{request.param}.nc")
    return fitted, type(fitted).load(path), results, path


def test_every_fit_class_derives_from_the_base():
    for make, _, _ in CASES.values():
        assert isinstance(make(), BayesianFit)


@pytest.mark.parametrize("name", sorted(CASES))
def test_before_fitting_every_class_says_how_to_fit(name):
    with pytest.raises(NotFittedError, match=r"has no posterior yet: call \.fit"):
        CASES[name][0]().idata  # noqa: B018 - the property raises


def test_a_loaded_fit_reports_and_predicts_as_the_saved_one(saved):
    fitted, loaded, results, _ = saved
    xr.testing.assert_identical(
        loaded.idata["posterior"].to_dataset(), fitted.idata["posterior"].to_dataset()
    )
    pd.testing.assert_frame_equal(loaded.summary(), fitted.summary())
    assert loaded.diagnostics() == fitted.diagnostics()
    pd.testing.assert_frame_equal(results(loaded), results(fitted))
    assert loaded.config() == fitted.config()


def test_the_file_records_class_configuration_and_hash(saved):
    fitted, _, _, path = saved
    attrs = BayesianFit.read_tree(path).attrs
    assert attrs["fit_class"] == type(fitted).__name__
    assert attrs["workbench_version"] and attrs["saved"]
    assert len(attrs["config_hash"]) == 16
    same = type(fitted).from_config(fitted.config())
    assert same.provenance()["config_hash"] == attrs["config_hash"]


def test_a_file_of_another_fit_is_refused_by_name(saved):
    fitted, _, _, path = saved
    other = StepLawFit if not isinstance(fitted, StepLawFit) else SigmoidScoreFit
    with pytest.raises(
        FitFileError, match=f"holds a {type(fitted).__name__}, not a {other.__name__}"
    ):
        other.load(path)


def test_summary_is_arviz_median_interval_ess_and_rhat(saved):
    fitted, _, _, _ = saved
    summary = fitted.summary(ci_prob=0.8)
    columns = ["median", "ci_low_80", "ci_high_80", "ess_bulk", "ess_tail", "r_hat"]
    assert list(summary.columns) == columns
    name = summary.index[0]
    values = fitted.draws([name])[name]
    np.testing.assert_allclose(
        summary.loc[name, ["ci_low_80", "median", "ci_high_80"]].to_numpy(dtype=float),
        np.quantile(values, [0.1, 0.5, 0.9]),
        rtol=1e-12,
    )
