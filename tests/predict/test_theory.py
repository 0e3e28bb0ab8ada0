"""Theory read-outs: a fitted exponent beside Bahri et al.'s regimes and strong superposition."""

import holoviews as hv
import numpy as np
import pytest

from workbench.laws import get_law
from workbench.plots.theory import plot_theory
from workbench.predict import theory_readout

hv.extension("bokeh")


class DrawsOf:
    """The two things a read-out asks of a fit: its law and posterior draws by name."""

    def __init__(self, law, **draws):
        self.law = get_law(law)
        self._draws = {name: np.asarray(value, dtype=float) for name, value in draws.items()}

    def draws(self, names):
        return {name: self._draws[name] for name in names if name in self._draws}


def normal_draws(median, sd, size=4000, seed=0):
    return np.random.default_rng(seed).normal(median, sd, size)


def test_exponents_become_an_intrinsic_dimension_and_a_width_exponent():
    alpha, beta = normal_draws(0.34, 0.01), normal_draws(0.28, 0.01, seed=1)
    fit = DrawsOf("chinchilla", E=np.ones(4000), A=np.ones(4000), B=np.ones(4000))
    fit._draws |= {"alpha": alpha, "beta": beta}
    table = theory_readout(fit, ci_prob=0.9).set_index("covariate")
    assert list(table.index) == ["N", "D"]
    assert table.loc["N", "exponent"] == pytest.approx(np.median(alpha))
    assert table.loc["N", "exponent_ci_low_90"] == pytest.approx(np.quantile(alpha, 0.05))
    # d = 4/α is decreasing, so its interval's ends come from the exponent's other ends.
    assert table.loc["N", "implied_dimension"] == pytest.approx(4 / np.median(alpha))
    assert table.loc["N", "implied_dimension_ci_low_90"] == pytest.approx(
        4 / np.quantile(alpha, 0.95)
    )
    assert table.loc["N", "width_exponent"] == pytest.approx(2 * np.median(alpha))
    assert np.isnan(table.loc["D", "width_exponent"])  # only N has a width
    sentence = table.loc["N", "sentence"]
    assert f"N^−{np.median(alpha):.3f}" in sentence
    assert "below 1, that of Bahri et al.'s variance-limited regime" in sentence
    assert f"d ≈ {4 / np.median(alpha):.1f}" in sentence
    assert "width^−0.68" in sentence and "below the 1/width of strong superposition" in sentence
    assert "width" not in table.loc["D", "sentence"]


def test_an_exponent_near_one_is_variance_limited_and_half_is_superposition():
    fit = DrawsOf("power_law", E=np.ones(4000), A=np.ones(4000), alpha=normal_draws(1.0, 0.05))
    fit.law = get_law("power_law", covariate="D")
    (row,) = theory_readout(fit).to_dict(orient="records")
    assert row["covariate"] == "D"
    assert "consistent with 1, that of Bahri et al.'s variance-limited regime." in row["sentence"]
    assert "intrinsic dimension" not in row["sentence"]
    fit.law = get_law("power_law", covariate="N")
    fit._draws["alpha"] = normal_draws(0.5, 0.02)
    (row,) = theory_readout(fit).to_dict(orient="records")
    assert "consistent with the 1/width of strong superposition" in row["sentence"]


def test_over_training_law_exponents_are_twice_eta_and_laws_without_one_read_nothing():
    eta = normal_draws(0.15, 0.005)
    fit = DrawsOf("overtraining", E=eta, a=eta, b=eta, eta=eta)
    table = theory_readout(fit).set_index("covariate")
    assert table.loc["N", "exponent"] == pytest.approx(2 * np.median(eta))
    assert table.loc["D", "exponent"] == pytest.approx(2 * np.median(eta))
    errors = DrawsOf("downstream_error", epsilon=eta, k=eta, gamma=eta)
    assert theory_readout(errors).empty


def test_plot_shows_each_exponent_with_both_theories_in_range():
    fit = DrawsOf("chinchilla", E=np.ones(4000), A=np.ones(4000), B=np.ones(4000))
    fit._draws |= {"alpha": normal_draws(0.34, 0.01), "beta": normal_draws(0.28, 0.01)}
    plot = plot_theory(theory_readout(fit, ci_prob=0.8), ci_prob=0.8)
    lines = sorted(line.data for line in plot if isinstance(line, hv.HLine))
    assert lines == [0.5, 1.0]
    assert list(plot.Scatter.I.dimension_values("covariate")) == ["N", "D"]
    low, high = plot.opts.get().kwargs["ylim"]
    assert low == 0 and high > 1
    assert "80 % intervals" in plot.opts.get().kwargs["title"]


def test_a_grouped_laws_draws_are_pooled_across_groups():
    # A grouped fit's draws carry one column per group.
    alpha = np.column_stack([normal_draws(0.3, 0.01), normal_draws(0.4, 0.01, seed=1)])
    fit = DrawsOf("power_law", E=np.ones((4000, 2)), A=np.ones((4000, 2)), alpha=alpha)
    (row,) = theory_readout(fit, ci_prob=0.9).to_dict(orient="records")
    assert row["exponent"] == pytest.approx(np.median(alpha))
    assert row["exponent_ci_high_90"] == pytest.approx(np.quantile(alpha, 0.95))
