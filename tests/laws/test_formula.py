"""Laws users write themselves: the grammar, its errors, the roles of parameters and the math."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from workbench.laws import get_law
from workbench.laws.base import centred_logs
from workbench.laws.formula import (
    EXPONENT_PRIOR,
    MAX_DEPTH,
    FormulaError,
    FormulaLaw,
    parse,
    to_text,
)

CHINCHILLA = "E + A*N**-alpha + B*D**-beta"
TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
X = {"N": np.array([4e7, 1e9, 7e10]), "D": np.array([8e8, 2e10, 1.4e12])}


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("E+A*N**-alpha+B*D**-beta", CHINCHILLA),
        ("E + A*N^-alpha + B*D^-beta", CHINCHILLA),
        ("E + A / N^alpha", "E + A/N**alpha"),
        ("-N**2 + a", "-N**2 + a"),
        ("(-a)**N", "(-a)**N"),
        ("a**b**N", "a**b**N"),
        ("a - (b - N)", "a - (b - N)"),
        ("(a + b)*N", "(a + b)*N"),
        ("E × A·N ÷ 2 − k", "E*A*N/2 - k"),
        ("exp(-k*log(N)) + sqrt(C) + min(a, N, b) + max(N, 1e-3)", None),
        ("2.50*N**0.5", "2.5*N**0.5"),
    ],
)
def test_the_grammar_reads_formulas_and_prints_them_back(text, canonical):
    tree = parse(text)
    assert parse(to_text(tree)) == tree
    if canonical is not None:
        assert to_text(tree) == canonical


def test_the_curve_is_the_chinchilla_law():
    law = get_law(f"formula:{CHINCHILLA}")
    assert law.covariates == ("N", "D")
    assert law.parameters == ("E", "A", "alpha", "B", "beta")
    np.testing.assert_allclose(
        law.curve(X, TRUTH), get_law("chinchilla").curve(X, TRUTH), rtol=1e-14
    )


def test_functions_evaluate_as_written():
    law = FormulaLaw("a + exp(-k*log(N)) + sqrt(D)/min(N, D) + max(N, 2)")
    params = {"a": 0.5, "k": 0.3}
    expected = 0.5 + X["N"] ** -0.3 + np.sqrt(X["D"]) / np.minimum(X["N"], X["D"])
    np.testing.assert_allclose(law.curve(X, params), expected + np.maximum(X["N"], 2))


def test_sampler_scale_round_trips_and_builds_the_same_curve_in_pytensor():
    law = get_law(f"formula:{CHINCHILLA}")
    y = law.curve(X, TRUTH)
    centres = law.centres(X, y)
    theta = law.from_paper(TRUTH, centres)
    assert set(theta) == set(law.default_priors())
    for name, value in law.to_paper(theta, centres).items():
        np.testing.assert_allclose(value, TRUTH[name], rtol=1e-12)
    x_centred = centred_logs(law, X, centres)
    np.testing.assert_allclose(np.exp(law.log_mean(x_centred, theta, centres)), y, rtol=1e-12)
    symbolic = {name: pt.dscalar(name) for name in theta}
    inputs = {name: pt.dvector(f"x_{name}") for name in law.covariates}
    graph = law.log_mean(inputs, symbolic, {**centres, "y": pt.as_tensor(centres["y"])})
    function = pytensor.function([*inputs.values(), *symbolic.values()], graph)
    values = function(*x_centred.values(), *theta.values())
    np.testing.assert_allclose(np.exp(values), y, rtol=1e-12)


def test_default_priors_follow_each_parameters_role():
    law = get_law(f"formula:{CHINCHILLA}")
    assert law.roles.floors == ("E",)
    assert set(law.roles.amplitudes) == {"A", "B"}
    assert law.roles.exponents == ("alpha", "beta")
    priors = law.default_priors()
    assert list(priors) == ["E_logit", "A_share", "alpha", "B_share", "beta"]
    assert priors["alpha"] == EXPONENT_PRIOR
    # A term that is subtracted makes E no floor; a repeated amplitude is sampled as written.
    other = FormulaLaw("E - A*N**alpha + A*D**-alpha")
    assert other.roles.floors == () and other.roles.amplitudes == {}
    assert set(other.default_priors()) == {"E", "A", "alpha"}
    # Exponents written as a fraction or negated twice are exponents still.
    assert FormulaLaw("A*N**(-alpha/2)").roles.exponents == ("alpha",)


def test_floors_stay_below_the_smallest_target():
    law = get_law(f"formula:{CHINCHILLA}")
    y = law.curve(X, TRUTH)
    centres = law.centres(X, y)
    theta = law.from_paper(TRUTH, centres) | {"E_logit": np.array([-30.0, 0.0, 30.0])}
    assert np.all(law.to_paper(theta, centres)["E"] <= y.min())


def test_declared_covariates_are_read_from_the_run_table():
    law = FormulaLaw("E + A*N**-alpha*(1 + k*log(P))**-1", covariates=("P",))
    assert law.covariates == ("N", "P")
    assert law.parameters == ("E", "A", "alpha", "k")
    assert law.label == "formula:E + A*N**-alpha*(1 + k*log(P))**-1 (covariates N, P)"
    assert get_law("formula", **law.options) == law
    assert get_law("formula:E+A*N**-alpha*(1+k*log(P))^-1", covariates=["P"]) == law
    # Without the declaration P is a parameter.
    assert "P" in FormulaLaw("E + A*N**-alpha*P").parameters


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("E + A*N**", 'formula "E + A*N**": expected a number, a name or "(" at character 10, '),
        ("E + A*N**-alpha)", "expected an operator (+ - * / ** ^) or the end at character 16"),
        ("2N", "at character 2 ('N')"),
        ("A*N**-alpha # E", "unexpected character at character 13 ('#')"),
        ("(E + A*N", 'expected ")" to close the "(" of character 1 at character 9, the end'),
        ("E + exp*N", "exp is a function: write exp(...) at character 5"),
        ("log(N, D) + E", "log takes 1 argument, not 2 at character 1"),
        ("max(N) + E", "max takes at least 2 arguments, not 1"),
        ("   ", "the formula is empty"),
        ("1e999*N + E", "the number is too large at character 1"),
        ("E + sigma*N", "the name 'sigma' is used by the model itself"),
        ("E + A*alpha", "it reads no covariate"),
        ("N**-0.5", "it has no parameter to fit"),
        ("E + A_share + A*N**-alpha", "the name 'A_share' is the sampler's own"),
        ("__import__('os').system('true')", "unexpected character"),
        (
            "E + A*N**-alpha\n+ #",
            'formula "E + A*N**-alpha + #": unexpected character at character 19',
        ),
    ],
)
def test_bad_formulas_get_one_sentence_that_points_at_the_character(text, message):
    with pytest.raises(FormulaError) as raised:
        get_law(f"formula:{text}")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_declared_covariate_must_appear():
    with pytest.raises(FormulaError, match="declared covariate 'P' does not appear"):
        FormulaLaw("E + A*N**-alpha", covariates=("P",))


def test_deep_nesting_is_refused_without_recursion_error():
    nested = "(" * (MAX_DEPTH + 1) + "N" + ")" * (MAX_DEPTH + 1) + "*A"
    with pytest.raises(FormulaError, match=f"nests deeper than {MAX_DEPTH} levels"):
        parse(nested)
    with pytest.raises(FormulaError, match="longer than 1000 characters"):
        parse("(" * 10_000 + "N" + ")" * 10_000)
    with pytest.raises(FormulaError, match="nests deeper"):
        parse("-" * 500 + "N")
    assert parse("(" * MAX_DEPTH + "N" + ")" * MAX_DEPTH) == parse("N")


def test_the_formula_renders_in_latex():
    assert get_law(f"formula:{CHINCHILLA}").formula == (
        r"L = E + A\,{N}^{-\alpha} + B\,{D}^{-\beta}"
    )
