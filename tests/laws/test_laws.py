"""Every registered family: curve against a NumPy reference, parameterizations, registry."""

import numpy as np
import pytest
from law_cases import CASES, covariate_grid

from workbench.laws import LAWS, get_law
from workbench.laws.base import centred_logs


@pytest.fixture
def grid():
    return covariate_grid()


def test_every_registered_law_has_a_case():
    assert set(LAWS) == set(CASES)


@pytest.mark.parametrize("name", sorted(LAWS))
def test_curve_matches_numpy_reference(name, grid):
    law = get_law(name)
    expected = CASES[name].reference(**{k: grid[k] for k in law.covariates}, **CASES[name].values)
    np.testing.assert_allclose(law.curve(grid, CASES[name].values), expected, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LAWS))
def test_curve_builds_the_same_values_in_pytensor(name, grid):
    import pytensor.tensor as pt

    law = get_law(name)
    symbols = {k: pt.vector(k) for k in law.covariates}
    graph = law.curve(symbols, CASES[name].values)
    value = graph.eval({symbols[k]: grid[k] for k in law.covariates})
    np.testing.assert_allclose(value, law.curve(grid, CASES[name].values), rtol=1e-9)


@pytest.mark.parametrize("name", sorted(LAWS))
def test_sampler_parameterization_round_trips(name, grid):
    law = get_law(name)
    y = law.curve(grid, CASES[name].values)
    centres = law.centres(grid, y)
    theta = law.from_paper(CASES[name].values, centres)
    assert set(theta) == set(law.sampler_parameters)
    log_mean = law.log_mean(centred_logs(law, grid, centres), theta, centres)
    np.testing.assert_allclose(log_mean, np.log(y), rtol=1e-10)
    back = law.to_paper(theta, centres)
    for parameter, value in CASES[name].values.items():
        assert back[parameter] == pytest.approx(value, rel=1e-10)


@pytest.mark.parametrize("name", sorted(LAWS))
def test_guess_recovers_parameters_from_noiseless_data(name, grid):
    law = get_law(name)
    y = law.curve(grid, CASES[name].values)
    guess = law.guess(grid, y)
    fitted = law.curve(grid, guess)
    np.testing.assert_allclose(fitted, y, rtol=1e-4)


def test_unknown_law_lists_valid_names():
    with pytest.raises(KeyError, match="chinchilla"):
        get_law("chinchila")


def test_power_law_covariate_option():
    law = get_law("power_law", covariate="N")
    assert law.covariates == ("N",)
    assert law.label == "power_law(covariate=N, irreducible=True)"
    pure = get_law("power_law", covariate="D", irreducible=False)
    assert pure.parameters == ("A", "alpha")
    assert pure.curve({"D": np.array([1e10])}, {"A": 2.0, "alpha": 0.5})[0] == pytest.approx(2e-5)
    with pytest.raises(ValueError, match="N, D or C"):
        get_law("power_law", covariate="T")


def test_chinchilla_derived_quantities_match_hoffmann():
    derived = get_law("chinchilla").derived(CASES["chinchilla"].values)
    # Hoffmann et al. Approach 3: a = β/(α+β) = 0.46, b = 0.54.
    assert derived["a_opt"] == pytest.approx(0.28 / 0.62)
    assert derived["b_opt"] == pytest.approx(0.34 / 0.62)
    assert derived["G"] == pytest.approx((0.34 * 406.4 / (0.28 * 410.7)) ** (1 / 0.62))


@pytest.mark.parametrize("budget", [1e20, 5.88e23])
def test_closed_form_allocation_matches_numerical_minimum(budget):
    from workbench.laws.base import _numeric_allocation

    law = get_law("chinchilla")
    params = CASES["chinchilla"].values
    closed = law.optimal_allocation(params, np.array([budget]))
    numeric = _numeric_allocation(law, params, np.array([budget]))
    np.testing.assert_allclose(closed, numeric, rtol=1e-5)
    n_opt, d_opt = closed
    assert 6 * n_opt * d_opt == pytest.approx(budget)
    # Hoffmann's rounded Approach-3 fit puts the optimum at Chinchilla's budget near 33B
    # parameters, below the 70B actually trained (Besiroglu et al. 2024 discuss the gap).
    if budget == 5.88e23:
        assert n_opt[0] == pytest.approx(3.25e10, rel=0.01)


def test_kaplan_joint_allocation_is_a_minimum():
    law = get_law("kaplan_joint")
    params = CASES["kaplan_joint"].values
    n_opt, d_opt = law.optimal_allocation(params, np.array([1e21]))
    best = law.curve({"N": n_opt, "D": d_opt}, params)
    for factor in (0.8, 1.25):
        n = n_opt * factor
        assert law.curve({"N": n, "D": 1e21 / (6 * n)}, params) > best


def test_overtraining_is_chinchilla_with_one_exponent(grid):
    params = CASES["overtraining"].values
    scale = 6 ** -params["eta"]
    chinchilla = CASES["chinchilla"].reference(
        grid["N"],
        grid["D"],
        E=params["E"],
        A=params["a"] * scale,
        B=params["b"] * scale,
        alpha=2 * params["eta"],
        beta=2 * params["eta"],
    )
    np.testing.assert_allclose(get_law("overtraining").curve(grid, params), chinchilla, rtol=1e-12)


def test_overtraining_code_coefficients_give_gadre_code_form(grid):
    # Gadre et al.'s scaling/laws.py fits L(N, M) = α·N^b + β·6^(b/2)·(M·N)^b + E.
    law, params = get_law("overtraining"), CASES["overtraining"].values
    derived = law.derived(params)
    assert derived["code_alpha"] == pytest.approx(166.2)
    assert derived["code_beta"] == pytest.approx(366.7)
    assert derived["code_b"] == pytest.approx(-0.2729)
    N, M = grid["N"], grid["D"] / grid["N"]
    b = derived["code_b"]
    code_form = derived["code_alpha"] * N**b + derived["code_beta"] * 6 ** (b / 2) * (M * N) ** b
    np.testing.assert_allclose(law.curve(grid, params), code_form + params["E"], rtol=1e-12)


@pytest.mark.parametrize("budget", [1e20, 5.7e21])
def test_overtraining_closed_form_allocation_matches_numerical_minimum(budget):
    from workbench.laws.base import _numeric_allocation

    law, params = get_law("overtraining"), CASES["overtraining"].values
    closed = law.optimal_allocation(params, np.array([budget]))
    np.testing.assert_allclose(closed, _numeric_allocation(law, params, np.array([budget])), 1e-5)
    n_opt, d_opt = closed
    assert 6 * n_opt * d_opt == pytest.approx(budget)
    # The best tokens per parameter is the same at every budget: M_opt = (b/a)^(1/(2η)).
    assert d_opt / n_opt == pytest.approx(law.derived(params)["M_opt"])


def test_downstream_error_needs_errors_as_fractions():
    law = get_law("downstream_error")
    loss = np.array([2.5, 3.0, 3.5, 4.0])
    with pytest.raises(ValueError, match=r"fractions in \(0, 1\)"):
        law.centres({"loss": loss}, np.array([55.0, 60.0, 70.0, 75.0]))
