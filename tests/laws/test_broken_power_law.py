"""The broken power law with two breaks, and one break as saved one-break fits record it."""

import numpy as np
import pytensor.tensor as pt
import pytest

from workbench.laws import get_law
from workbench.laws.base import centred_logs

TWO_BREAKS = dict(E=1.2, A=25.0, c0=0.15, c1=0.25, d1=1e8, f1=0.3, c2=-0.2, d2=3e10, f2=0.3)


def two_break_reference(D, E, A, c0, c1, d1, f1, c2, d2, f2):
    # Caballero et al. (2023), eq. 1 with n = 2.
    bends = (1 + (D / d1) ** (1 / f1)) ** (-c1 * f1) * (1 + (D / d2) ** (1 / f2)) ** (-c2 * f2)
    return E + A * D ** (-c0) * bends


@pytest.fixture
def tokens():
    return 10 ** np.random.default_rng(0).uniform(6, 13, 50)


def test_one_break_keeps_its_options_label_and_parameters():
    law = get_law("broken_power_law", covariate="D")
    assert law == get_law("broken_power_law", covariate="D", breaks=1)
    assert law.options == {"covariate": "D"}
    assert law.label == "broken_power_law(covariate=D)"
    assert law.parameters == ("E", "A", "c0", "c1", "d1", "f1")
    assert tuple(law.default_priors()) == ("e", "a", "c0", "c1", "delta", "f1")


def test_two_breaks_are_an_option_with_their_own_label():
    law = get_law("broken_power_law", covariate="D", breaks=2)
    assert law.options == {"covariate": "D", "breaks": 2}
    assert law.label == "broken_power_law(covariate=D, breaks=2)"
    assert law.parameters[-3:] == ("c2", "d2", "f2")
    assert "d_2" in law.formula
    with pytest.raises(ValueError, match="1 or 2 breaks"):
        get_law("broken_power_law", breaks=3)


def test_two_break_curve_matches_the_reference_in_numpy_and_pytensor(tokens):
    law = get_law("broken_power_law", covariate="D", breaks=2)
    expected = two_break_reference(tokens, **TWO_BREAKS)
    np.testing.assert_allclose(law.curve({"D": tokens}, TWO_BREAKS), expected, rtol=1e-12)
    symbol = pt.vector("D")
    value = law.curve({"D": symbol}, TWO_BREAKS).eval({symbol: tokens})
    np.testing.assert_allclose(value, expected, rtol=1e-9)


def test_two_break_sampler_parameterization_round_trips(tokens):
    law = get_law("broken_power_law", covariate="D", breaks=2)
    x = {"D": tokens}
    y = law.curve(x, TWO_BREAKS)
    centres = law.centres(x, y)
    theta = law.from_paper(TWO_BREAKS, centres)
    assert theta["spacing2"] == pytest.approx(np.log(300))
    np.testing.assert_allclose(
        law.log_mean(centred_logs(law, x, centres), theta, centres), np.log(y)
    )
    for name, value in law.to_paper(theta, centres).items():
        assert value == pytest.approx(TWO_BREAKS[name], rel=1e-10)
