"""Real-data oracle: Muennighoff et al. (2023)'s decay constants of repeated data and excess size.

Published: R*_D = 15.387756 and R*_N = 5.309743, with a Huber loss (δ = 1e-3 on log loss) of
0.0158259 over the 182 runs (``../shared/data/muennighoff2023_data_constrained/README.md``: the
repository's README "Parametric Fit" and the output of cell 29 of ``utils/parametric_fit.ipynb``
at commit 13701315, arXiv:2305.16264). Only R*_D and R*_N are fitted to these runs: A, B, E and
α = β come from the authors' fit to Chinchilla's C4 IsoFLOP points, and stay fixed.

``ScalingLawFit`` has no way to fix a parameter, so the fit holds e, a, b, α and β with priors
of width 1e-4 at the published values (the sampler's e, a, b are the published E, A, B in the
sampler's centred parameterization, see :meth:`DataConstrained.from_paper`).

The likelihood is Student-t with ν = 1 (Cauchy), ν held like the fixed parameters. Why: with the
law's residuals here about 0.08 in log loss, a Huber loss of δ = 1e-3 is an absolute-error fit,
which lets the runs the fixed law misses most (the smallest models) pull little. The default
Student-t learns ν ≈ 22, close to least squares, and lands elsewhere on the ridge along which
R*_D and R*_N trade off (correlation of their logs about −0.9): R*_D 41.8 (19.0–111.5), R*_N 1.73
(1.15–2.77), which miss both published values. The published point is a local minimum of the
Huber objective, but not its lowest value: along the ridge the objective falls again, 0.1 %
lower at R*_D = 60, R*_N = 2.1, near where least squares goes. Which of the two an optimizer
reports from the notebook's grid of starts depends on its tolerances (SciPy's L-BFGS-B reaches
R*_D ≈ 47, R*_N ≈ 2.3 with tight ones). ``test_the_published_point_is_a_local_minimum_on_a_ridge``
checks both.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from workbench.fitting import ScalingLawFit
from workbench.laws import Prior, get_law
from workbench.runs.datasets import muennighoff2023

# Source: the module docstring (README "Parametric Fit", notebook cells 7 and 29).
PUBLISHED = {"R_D_star": 15.387756, "R_N_star": 5.309743}
PUBLISHED_HUBER_LOSS = 0.0158259
# a, b, e = log A, log B, log E; α = β. From the C4 fit the notebook's cell 29 uses.
C4_LOG_A, C4_LOG_B, C4_LOG_E, C4_EXPONENT = 6.255414, 7.3049974, 0.6254804, 0.3526596
FIXED_WIDTH = 1e-4
HUBER_DELTA = 1e-3
LAW = get_law("data_constrained")


def c4_parameters() -> dict:
    return {
        "A": np.exp(C4_LOG_A),
        "B": np.exp(C4_LOG_B),
        "E": np.exp(C4_LOG_E),
        "alpha": C4_EXPONENT,
        "beta": C4_EXPONENT,
    }


def fixed_c4_priors(runs) -> dict[str, Prior]:
    """Priors that hold e, a, b, α and β at the published C4 values, and ν at 1."""
    x = {name: runs.column(name) for name in LAW.covariates}
    unfitted = dict.fromkeys(PUBLISHED, 1.0)  # from_paper needs them; they are not fixed
    theta = LAW.from_paper(c4_parameters() | unfitted, LAW.centres(x, runs.y))
    priors = {name: Prior("Normal", mu=float(theta[name]), sigma=FIXED_WIDTH) for name in "eab"}
    for name in ("alpha", "beta"):
        priors[name] = Prior("LogNormal", mu=float(np.log(theta[name])), sigma=FIXED_WIDTH)
    return priors | {"nu": Prior("LogNormal", mu=0.0, sigma=FIXED_WIDTH)}


def huber_objective(runs, decay: dict) -> float:
    """The notebook's objective: Huber (δ = 1e-3) between log prediction and log loss, summed."""
    x = {name: runs.column(name) for name in LAW.covariates}
    residual = np.abs(np.log(LAW.curve(x, c4_parameters() | decay)) - np.log(runs.y))
    quadratic = residual < HUBER_DELTA
    return float(
        np.where(quadratic, residual**2 / 2, HUBER_DELTA * (residual - HUBER_DELTA / 2)).sum()
    )


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    folder = shared_data / "muennighoff2023_data_constrained"
    return muennighoff2023(
        url=folder / "raw" / "parametric_fit.ipynb", cache_dir=tmp_path_factory.mktemp("cache")
    )


@pytest.fixture(scope="module")
def fit(runs):
    sampler = {"draws": 1000, "tune": 1000, "chains": 2}
    return ScalingLawFit(LAW, priors=fixed_c4_priors(runs), sampler=sampler).fit(runs, 0)


def test_the_loader_reads_the_runs_of_the_published_csv(runs, shared_data, tmp_path):
    """Every run with a loss, read from the notebook, is the data set's CSV row for row."""
    folder = shared_data / "muennighoff2023_data_constrained"
    expected = pd.read_csv(folder / "data_constrained_runs.csv").dropna(subset=["val_loss"])
    every = muennighoff2023(
        url=(folder / "raw" / "parametric_fit.ipynb").as_uri(),
        cache_dir=tmp_path,
        include_excluded=True,
    )
    assert (len(runs), len(every), len(expected)) == (182, 194, 194)
    assert every.data["run"].tolist() == expected["run"].tolist()
    pairs = [("N", "n_params"), ("D", "tokens"), ("U", "unique_tokens"), ("loss", "val_loss")]
    for ours, theirs in pairs:
        np.testing.assert_allclose(every.data[ours], expected[theirs], rtol=1e-12)
    np.testing.assert_array_equal(every.data["used_in_fit"], expected["used_in_fit"] == 1)
    np.testing.assert_array_equal(every.data["deduplicated"], expected["deduplicated"] == 1)
    assert runs.data["used_in_fit"].all()


def test_the_law_gives_the_published_fit_loss_at_the_published_point(runs):
    """Our curve is the authors' on all 182 runs: it gives their objective's value."""
    assert huber_objective(runs, PUBLISHED) == pytest.approx(PUBLISHED_HUBER_LOSS, rel=1e-5)


def test_the_published_point_is_a_local_minimum_on_a_ridge(runs):
    """L-BFGS-B started at the published point stays there, yet the objective is lower further
    along the ridge."""

    def objective(decay):
        return huber_objective(runs, dict(zip(PUBLISHED, decay, strict=True)))

    local = minimize(
        objective,
        list(PUBLISHED.values()),
        bounds=[(1e-3, 1e4)] * 2,
        options={"gtol": 1e-12, "ftol": 1e-15},
    )
    np.testing.assert_allclose(local.x, list(PUBLISHED.values()), rtol=2e-3)
    assert local.fun == pytest.approx(PUBLISHED_HUBER_LOSS, rel=1e-5)
    assert objective([60.0, 2.1]) < 0.9995 * PUBLISHED_HUBER_LOSS


def test_the_posterior_holds_the_published_decay_constants(fit):
    summary = fit.summary()
    for name, published in PUBLISHED.items():
        low, high = summary.loc[name, ["ci_low_90", "ci_high_90"]]
        # Across seeds the bounds move by about 10 %; the published values sit well inside.
        assert 1.3 * low < published < high / 1.3
    diagnostics = fit.diagnostics()
    assert diagnostics.rhat_max < 1.01
    assert diagnostics.divergences == 0


def test_the_fixed_parameters_stay_at_the_c4_fit(fit):
    medians = fit.summary()["median"]
    for name, value in c4_parameters().items():
        assert medians[name] == pytest.approx(value, rel=1e-3)


def test_the_free_student_t_lands_elsewhere_on_the_ridge(runs):
    """The default likelihood (ν learned) misses both published values, as the docstring says."""
    priors = {name: prior for name, prior in fixed_c4_priors(runs).items() if name != "nu"}
    sampler = {"draws": 500, "tune": 500, "chains": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        free = ScalingLawFit(LAW, priors=priors, sampler=sampler).fit(runs, 0).summary()
    assert free.loc["nu", "median"] > 8
    assert free.loc["R_D_star", "ci_low_90"] > PUBLISHED["R_D_star"]
    assert free.loc["R_N_star", "ci_high_90"] < PUBLISHED["R_N_star"]
