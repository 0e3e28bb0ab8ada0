"""Laws implicit in the loss (M4, Kaplan's batch law): finite everywhere, exact roots, gradients."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from workbench.laws import get_law
from workbench.laws.base import centred_logs

IMPLICIT = ("m4", "kaplan_batch")


def prior_draws(law, n_draws, rng):
    """Draws of the sampler parameters from the default priors, widened to 1.5 prior sds."""
    draws = {}
    for name, prior in law.default_priors().items():
        spec = prior.parameters
        normal = rng.normal(spec.get("mu", 0.0), 1.5 * spec["sigma"], n_draws)
        draws[name] = np.exp(normal) if prior.distribution == "LogNormal" else normal
    return draws


@pytest.fixture
def covariates():
    rng = np.random.default_rng(1)
    return {name: 10 ** rng.uniform(low, high, 40) for name, (low, high) in {
        "D": (4, 14), "N": (6, 11), "S": (2, 6), "B": (4, 8)
    }.items()}  # fmt: skip


@pytest.mark.parametrize("name", IMPLICIT)
def test_log_mean_is_finite_for_every_prior_draw(name, covariates):
    law = get_law(name)
    centres = {key: float(np.mean(np.log(covariates[key]))) for key in law.covariates}
    centres["y"] = np.log(3.0)
    theta = {k: v[:, None] for k, v in prior_draws(law, 20_000, np.random.default_rng(0)).items()}
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        log_mean = law.log_mean(centred_logs(law, covariates, centres), theta, centres)
    assert log_mean.shape == (20_000, 40) and np.all(np.isfinite(log_mean))


def test_m4_curve_solves_its_equation(covariates):
    law = get_law("m4")
    params = dict(L_inf=1.8, L_0=6.0, alpha=2.5, beta=3.0e3, c=-0.4)
    loss = law.curve(covariates, params)
    lhs = (loss - params["L_inf"]) / (params["L_0"] - loss) ** params["alpha"]
    np.testing.assert_allclose(lhs, params["beta"] * covariates["D"] ** params["c"], rtol=1e-10)


def test_kaplan_batch_curve_solves_its_equation(covariates):
    law = get_law("kaplan_batch")
    p = dict(N_c=8.8e13, alpha_N=0.076, S_c=2.1e3, alpha_S=0.76, B_star=2.0e8, alpha_B=0.21)
    loss = law.curve(covariates, p)
    critical = law.critical_batch_size(p, loss)
    min_steps = covariates["S"] / (1 + critical / covariates["B"])
    rhs = (p["N_c"] / covariates["N"]) ** p["alpha_N"] + (p["S_c"] / min_steps) ** p["alpha_S"]
    np.testing.assert_allclose(loss, rhs, rtol=1e-12)
    # Kaplan et al.: the critical batch size doubles for every 13 % decrease in loss.
    assert law.derived(p)["loss_drop_per_batch_doubling"] == pytest.approx(0.135, abs=1e-3)


@pytest.mark.parametrize("name", IMPLICIT)
def test_gradient_is_the_implicit_function_derivative(name, covariates):
    law = get_law(name)
    draw = {k: float(v[0]) for k, v in prior_draws(law, 1, np.random.default_rng(3)).items()}
    centres = {key: float(np.mean(np.log(covariates[key]))) for key in law.covariates}
    centres["y"] = np.log(3.0)
    x_centred = centred_logs(law, covariates, centres)
    symbols = {k: pt.dscalar(k) for k in draw}
    total = law.log_mean({k: pt.constant(v) for k, v in x_centred.items()}, symbols, centres).sum()
    gradient = pytensor.function(
        list(symbols.values()), pytensor.grad(total, list(symbols.values()))
    )
    for (key, value), derivative in zip(draw.items(), gradient(*draw.values()), strict=True):
        step = 1e-6 * max(1.0, abs(value))
        up, down = dict(draw, **{key: value + step}), dict(draw, **{key: value - step})
        numeric = (
            law.log_mean(x_centred, up, centres).sum()
            - law.log_mean(x_centred, down, centres).sum()
        ) / (2 * step)
        assert derivative == pytest.approx(numeric, rel=1e-5, abs=1e-6), key
