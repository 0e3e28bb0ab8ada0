"""Muennighoff et al.'s data-constrained law against the paper's fit, and its allocation."""

import numpy as np
import pytest
from law_cases import CASES

from workbench.laws import get_law

# The paper's fit (datablations README, "Parametric Fit"), published in log space; the rounded
# E = 1.8691 alone would shift the losses below by 4e-5.
PAPER_FIT = CASES["data_constrained"].values


@pytest.fixture
def law():
    return get_law("data_constrained")


@pytest.mark.parametrize(
    ("N", "D", "expected"),
    [(6.34e9, 242e9, 2.2256441), (8.67e9, 178e9, 2.2269634)],
)
def test_loss_matches_the_paper_fit_with_25B_unique_tokens(law, N, D, expected):
    loss = law.curve({"N": np.array([N]), "D": np.array([D]), "U": np.array([25e9])}, PAPER_FIT)
    assert loss[0] == pytest.approx(expected, abs=1e-6)


def test_effective_data_saturates_at_one_plus_R_D_star_epochs(law):
    unique, size = 1e9, 1e9
    one_epoch = law.curve({"N": size, "D": unique, "U": unique}, PAPER_FIT)
    many_epochs = law.curve({"N": size, "D": 1e6 * unique, "U": unique}, PAPER_FIT)
    # Only the data term changes: from B/U^β to B/(U·(1 + R*_D))^β.
    B, beta, ceiling = PAPER_FIT["B"], PAPER_FIT["beta"], 1 + PAPER_FIT["R_D_star"]
    expected = one_epoch - B / unique**beta + B / (unique * ceiling) ** beta
    assert many_epochs == pytest.approx(expected, rel=1e-12)
    assert law.derived(PAPER_FIT)["effective_data_ceiling"] == pytest.approx(ceiling)


def test_unrepeated_data_is_chinchilla(law):
    chinchilla = get_law("chinchilla")
    shared = {k: PAPER_FIT[k] for k in ("E", "A", "B", "alpha", "beta")}
    # Fewer tokens than are available and no more parameters than optimal for them.
    x = {"N": np.array([1e8, 4e8]), "D": np.array([2e10, 1e11]), "U": np.array([1e12, 1e12])}
    assert np.all(x["N"] <= law.optimal_size(PAPER_FIT, x["D"]))
    np.testing.assert_allclose(law.curve(x, PAPER_FIT), chinchilla.curve(x, shared), rtol=1e-12)


def test_allocation_with_ample_unique_data_is_chinchillas(law):
    chinchilla = get_law("chinchilla")
    shared = {k: PAPER_FIT[k] for k in ("E", "A", "B", "alpha", "beta")}
    budgets = np.array([1e20, 1e22])
    expected = chinchilla.optimal_allocation(shared, budgets)
    np.testing.assert_allclose(law.optimal_allocation(PAPER_FIT, budgets, U=1e15), expected, 1e-4)


def test_scarce_unique_data_moves_the_optimum_to_more_epochs(law):
    # Muennighoff et al.: excess parameters lose value faster than repeated tokens
    # (R*_N < R*_D), so with scarce data compute goes to more epochs rather than a larger model.
    budget = np.array([1e23])
    ample_n, ample_d = law.optimal_allocation(PAPER_FIT, budget, U=1e15)
    scarce_n, scarce_d = law.optimal_allocation(PAPER_FIT, budget, U=2e10)
    assert scarce_n[0] < ample_n[0] and scarce_d[0] > ample_d[0]
    best = law.curve({"N": scarce_n, "D": scarce_d, "U": 2e10}, PAPER_FIT)
    for factor in (0.8, 1.25):
        n = scarce_n * factor
        assert law.curve({"N": n, "D": budget / (6 * n), "U": 2e10}, PAPER_FIT) > best


def test_allocation_says_which_covariate_to_hold_fixed(law):
    with pytest.raises(ValueError, match=r"U=\.\.\. fixed; missing \['U'\]"):
        law.optimal_allocation(PAPER_FIT, np.array([1e21]))
    with pytest.raises(ValueError, match=r"unknown \['P'\]"):
        law.optimal_allocation(PAPER_FIT, np.array([1e21]), U=1e10, P=2)
