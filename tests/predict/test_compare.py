"""Law comparison by PSIS-LOO, Pareto-k naming and model-averaged predictions, with real NUTS."""

import dataclasses

import arviz as az
import numpy as np
import pandas as pd
import pytest

from workbench.fitting import ScalingLawFit
from workbench.laws import get_law
from workbench.predict import (
    Comparison,
    DifferentDataError,
    ParetoKWarning,
    compare,
    model_averaged_prediction,
    predict,
)
from workbench.predict.compare import (
    bagged_stacking_weights,
    mixture_counts,
    stacking_weights,
)
from workbench.runs import demo, read_runs

pytestmark = pytest.mark.filterwarnings("ignore::workbench.fitting.FitWarning")

SAMPLER = {"draws": 500, "tune": 500}
# Chinchilla and a power law in C disagree here (far more tokens per parameter than the demo runs).
TARGET = {"N": [1e9], "D": [1e12]}
OUTLIER = 17


def fit_laws(runs, likelihood=None) -> dict[str, ScalingLawFit]:
    laws = {"chinchilla": get_law("chinchilla"), "power_law": get_law("power_law", covariate="C")}
    return {
        name: ScalingLawFit(law, likelihood=likelihood, sampler=SAMPLER).fit(runs, random_seed=1)
        for name, law in laws.items()
    }


@pytest.fixture(scope="module")
def demo_runs():
    return demo(seed=0).final_checkpoints()


@pytest.fixture(scope="module")
def comparison(demo_runs) -> Comparison:
    return compare(fit_laws(demo_runs))


def with_weights(comparison: Comparison, **weights) -> Comparison:
    table = comparison.table.assign(weight=pd.Series(weights))
    return dataclasses.replace(comparison, table=table)


def observation(table: pd.DataFrame) -> pd.Series:
    return table.query("kind == 'observation'").iloc[0]


def test_loo_table_and_stacking_weights(comparison):
    table = comparison.table
    assert set(table.index) == {"chinchilla", "power_law"}
    assert {"elpd", "se", "p", "elpd_diff", "weight"} <= set(table.columns)
    assert np.isfinite(table[["elpd", "se", "p"]].to_numpy()).all()
    weights = comparison.weights
    assert list(weights.index) == ["chinchilla", "power_law"]
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert ((weights >= 0) & (weights <= 1)).all()
    # The demo runs were simulated from a Chinchilla law.
    assert table.index[0] == "chinchilla"
    assert set(comparison.loo) == {"chinchilla", "power_law"}


def test_stacking_weights_are_arviz_stacking_where_it_is_stable(comparison):
    """Our stacking maximizes the same objective as ArviZ's; on a loss table, whose pointwise
    elpd lies near zero, the two agree."""
    arviz = az.compare(comparison.loo, method="stacking", round_to="none")["weight"]
    np.testing.assert_allclose(
        comparison.weights, arviz.reindex(comparison.weights.index), atol=1e-3
    )


def test_stacking_weights_survive_pointwise_elpd_far_below_zero():
    """A point with many binomial trials has an elpd of hundreds of nats below zero, where
    exponentiating it unshifted (ArviZ's stacking) gives zero for every law."""
    rng = np.random.default_rng(0)
    better = -800.0 + rng.normal(0, 1, 40)
    log_density = np.column_stack([better, better - 3.0])
    assert np.all(np.exp(log_density) == 0.0)
    weights = stacking_weights(log_density, np.ones(40))
    assert np.isfinite(weights).all() and weights[0] > 0.99


def test_replicate_row_weights_are_solved_at_once():
    rng = np.random.default_rng(1)
    log_density = rng.normal(0, 1, (12, 3))
    row_weight = rng.dirichlet(np.ones(12), size=4)
    together = stacking_weights(log_density, row_weight)
    one_by_one = [stacking_weights(log_density, weights) for weights in row_weight]
    np.testing.assert_allclose(together, one_by_one, atol=1e-8)


def test_bagged_stacking_hedges_a_choice_made_on_three_runs():
    """Law B predicts one of three held-out runs better: plain stacking gives it nothing, the
    Bayesian bootstrap (which sometimes weights that run most) a share."""
    log_density = np.array([[0.0, -0.5], [0.0, -0.5], [0.0, 0.2]])
    plain = stacking_weights(log_density, np.ones(3))
    bagged = bagged_stacking_weights(log_density, np.ones(3))
    assert plain[1] < 1e-6
    assert 0.05 < bagged[1] < 0.5
    assert bagged.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(bagged, bagged_stacking_weights(log_density, np.ones(3)))


def test_bagged_stacking_keeps_a_clear_winner():
    rng = np.random.default_rng(0)
    better = rng.normal(0, 0.1, 30)
    bagged = bagged_stacking_weights(np.column_stack([better, better - 2.0]), np.ones(30))
    assert bagged[0] > 0.99


def test_weight_one_reproduces_the_law_prediction(comparison):
    for name in ("chinchilla", "power_law"):
        weights = {other: float(other == name) for other in comparison.fits}
        averaged = model_averaged_prediction(with_weights(comparison, **weights), TARGET)
        own = predict(comparison.fits[name], TARGET)
        pd.testing.assert_frame_equal(averaged, own, rtol=1e-12)


def test_mixed_weights_put_the_median_between_the_laws(comparison):
    medians = {
        name: observation(predict(fit, TARGET))["median"] for name, fit in comparison.fits.items()
    }
    low, high = sorted(medians.values())
    assert high - low > 0.05  # the laws disagree at this target
    half = model_averaged_prediction(
        with_weights(comparison, chinchilla=0.5, power_law=0.5), TARGET, random_seed=0
    )
    row = observation(half)
    assert low < row["median"] < high
    # The mixture's 90 % interval spans both laws' medians.
    assert row["ci_low_90"] < low and high < row["ci_high_90"]
    mostly_chinchilla = observation(
        model_averaged_prediction(
            with_weights(comparison, chinchilla=0.9, power_law=0.1), TARGET, random_seed=0
        )
    )
    assert abs(mostly_chinchilla["median"] - medians["chinchilla"]) < abs(
        row["median"] - medians["chinchilla"]
    )


def test_averaged_table_has_the_shape_of_predict(comparison):
    averaged = comparison.model_averaged_prediction(TARGET, ci_prob=0.9, random_seed=3)
    own = predict(comparison.fits["chinchilla"], TARGET)
    assert list(averaged.columns) == list(own.columns)
    assert list(averaged["kind"]) == ["mean", "observation"]
    assert (averaged["ci_low_90"] < averaged["median"]).all()
    assert (averaged["median"] < averaged["ci_high_90"]).all()
    again = model_averaged_prediction(comparison, TARGET, random_seed=3)
    pd.testing.assert_frame_equal(averaged, again)


def test_averaging_fits_compares_them_first(comparison):
    from_fits = model_averaged_prediction(comparison.fits, TARGET, random_seed=3)
    from_comparison = model_averaged_prediction(comparison, TARGET, random_seed=3)
    pd.testing.assert_frame_equal(from_fits, from_comparison)


def test_mixture_counts_follow_the_weights():
    weights = pd.Series({"a": 0.6, "b": 0.3, "c": 0.1})
    assert mixture_counts(weights, 1000).to_dict() == {"a": 600, "b": 300, "c": 100}
    counts = mixture_counts(pd.Series({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}), 1000)
    assert counts.sum() == 1000 and set(counts) <= {333, 334}


def test_fits_on_different_data_are_refused(comparison, demo_runs):
    other = ScalingLawFit("chinchilla", sampler=SAMPLER).fit(demo(seed=1).final_checkpoints(), 1)
    fits = {"chinchilla": comparison.fits["chinchilla"], "other": other}
    with pytest.raises(DifferentDataError, match="different run tables"):
        compare(fits)
    with pytest.raises(ValueError, match="different run tables"):
        model_averaged_prediction(fits, TARGET)


def test_compare_needs_two_fits(comparison):
    with pytest.raises(ValueError, match="at least two"):
        compare({"chinchilla": comparison.fits["chinchilla"]})


def test_an_outlier_is_named_in_a_pareto_k_warning(demo_runs):
    data = demo_runs.data.copy()
    data.loc[OUTLIER, "loss"] *= 1.3
    fits = fit_laws(read_runs(data), likelihood="normal")
    with pytest.warns(ParetoKWarning, match=f"observation {OUTLIER} ") as caught:
        comparison = compare(fits)
    points = {(point.law, point.index) for point in comparison.pareto_k}
    assert points == {("chinchilla", OUTLIER), ("power_law", OUTLIER)}
    chinchilla = next(point for point in comparison.pareto_k if point.law == "chinchilla")
    assert chinchilla.k > 0.7
    assert chinchilla.covariates == {
        "N": pytest.approx(data.loc[OUTLIER, "N"]),
        "D": pytest.approx(data.loc[OUTLIER, "D"]),
    }
    assert chinchilla.observed == pytest.approx(data.loc[OUTLIER, "loss"])
    (message,) = [str(w.message) for w in caught if w.category is ParetoKWarning]
    assert "chinchilla: observation 17" in message and "power_law: observation 17" in message
    assert f"N={data.loc[OUTLIER, 'N']:.3g}" in message


def test_clean_data_raise_no_pareto_k_warning(comparison):
    assert comparison.pareto_k == []
