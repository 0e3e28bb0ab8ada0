"""IsoFLOP analysis on simulated runs with a known frontier: budgets, recovery, D_opt, files."""

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

from workbench.fitting import NotFittedError
from workbench.hyperparameters import (
    HOFFMANN_TRUTH,
    IsoFlopFit,
    SweepError,
    simulate_isoflop_runs,
)
from workbench.hyperparameters.isoflop import group_budgets
from workbench.plots.isoflop import plot_exponents, plot_isoflop_curves, plot_isoflop_frontier

hv.extension("bokeh")

BUDGETS = np.geomspace(1e18, 1e21, 6)
# Chinchilla's law puts N_opt ∝ C^(β/(α+β)): 0.28/0.62 with Hoffmann et al.'s exponents.
TRUE_EXPONENT = HOFFMANN_TRUTH["beta"] / (HOFFMANN_TRUTH["alpha"] + HOFFMANN_TRUTH["beta"])


@pytest.fixture(scope="module")
def runs():
    return simulate_isoflop_runs(BUDGETS, random_seed=3)


@pytest.fixture(scope="module")
def fit(runs):
    return IsoFlopFit().fit(runs.drop(columns="N_opt"), random_seed=3)


def test_runs_within_the_tolerance_share_a_budget():
    compute = np.array([1e18, 1.03e18, 2e18, 1.98e18, 4e18])
    budgets = group_budgets(compute, tolerance=0.05)
    assert budgets[0] == budgets[1] == pytest.approx(np.sqrt(1e18 * 1.03e18))
    assert budgets[2] == budgets[3] == pytest.approx(np.sqrt(2e18 * 1.98e18))
    assert budgets[4] == 4e18
    assert len(np.unique(group_budgets(compute, tolerance=0.01))) == 5


def test_bad_flops_and_too_few_budgets_are_refused(runs):
    with pytest.raises(SweepError, match="positive and finite"):
        group_budgets(np.array([1e18, -1.0]))
    two_budgets = runs[runs["C"] <= BUDGETS[1]].drop(columns="N_opt")
    with pytest.raises(SweepError, match="at least three FLOP budgets"):
        IsoFlopFit().fit(two_budgets, random_seed=0)
    with pytest.raises(SweepError, match="'flops' column"):
        IsoFlopFit(compute="flops").fit(runs.drop(columns="N_opt"), random_seed=0)
    with pytest.raises(NotFittedError, match=r"fit\(runs"):
        IsoFlopFit().exponents()


def test_recovers_the_frontier_exponent_and_each_budgets_optimum(fit, runs):
    exponents = fit.exponents(ci_prob=0.9)
    assert exponents.loc["a", "ci_low_90"] < TRUE_EXPONENT < exponents.loc["a", "ci_high_90"]
    assert exponents.loc["a", "median"] == pytest.approx(TRUE_EXPONENT, abs=0.03)
    assert exponents.loc["b", "median"] == pytest.approx(1 - exponents.loc["a", "median"])
    optima = fit.budget_optima(ci_prob=0.9)
    truth = runs.groupby("C")["N_opt"].first().to_numpy()
    np.testing.assert_allclose(optima["C"], BUDGETS)
    inside = (optima["N_opt_ci_low_90"] < truth) & (truth < optima["N_opt_ci_high_90"])
    assert inside.sum() >= 5
    assert np.all(np.abs(np.log(optima["N_opt"] / truth)) < 0.15)
    diagnostics = fit.diagnostics()
    assert diagnostics.rhat_max < 1.02
    assert diagnostics.divergences == 0


def test_d_opt_spends_the_budget_that_n_opt_leaves(fit):
    budgets = np.array([1e22, 1e23])
    table = fit.predict(C=budgets, ci_prob=0.9, inner_prob=0.5)
    n_opt = table.query("quantity == 'N_opt'").set_index(["kind", "C"])
    d_opt = table.query("quantity == 'D_opt'").set_index(["kind", "C"])
    spent = 6 * n_opt["median"] * d_opt["median"]
    np.testing.assert_allclose(spent.to_numpy(), n_opt.index.get_level_values("C"), rtol=1e-6)
    # A larger N_opt bound is a smaller D_opt bound.
    np.testing.assert_allclose(
        6 * n_opt["ci_high_90"] * d_opt["ci_low_90"], spent.to_numpy(), rtol=1e-6
    )
    assert (d_opt["ci_low_50"] > d_opt["ci_low_90"]).all()
    assert fit.idata.attrs["flops_per_parameter_token"] == pytest.approx(6.0)


def test_saves_loads_and_reports_the_same_numbers(fit, tmp_path):
    path = fit.save(tmp_path / "isoflop.nc")
    loaded = IsoFlopFit.load(path)
    pd.testing.assert_frame_equal(loaded.exponents(), fit.exponents())
    pd.testing.assert_frame_equal(loaded.budget_optima(), fit.budget_optima())
    report = loaded.report(targets={"C": [1e22]})
    assert report["exponents"]["a"]["median"] == pytest.approx(fit.exponents().loc["a", "median"])
    assert len(report["budgets"]) == len(BUDGETS)
    assert {row["quantity"] for row in report["predictions"]} == {"N_opt", "D_opt"}


def test_plots_show_every_budget_its_curve_and_the_frontier(fit):
    curves = plot_isoflop_curves(fit, ci_prob=0.8)
    labels = {element.label for element in curves if element.label.startswith("C = ")}
    assert labels == {f"C = {budget:.2g}" for budget in BUDGETS}
    frontier = plot_isoflop_frontier(fit)
    assert "a = " in frontier.opts.get().kwargs["title"]
    areas = [element for element in frontier if type(element).__name__ == "Area"]
    assert [area.label for area in areas] == ["law 90 %", "law 50 %"]
    # The band reaches ten times the largest budget.
    assert areas[0].dimension_values("C").max() == pytest.approx(BUDGETS[-1] * 10)


def test_exponent_plot_puts_each_setting_beside_its_published_value():
    table = pd.DataFrame(
        {
            "label": ["Kaplan", "Hoffmann"],
            "median": [0.86, 0.50],
            "ci_low_90": [0.84, 0.49],
            "ci_high_90": [0.88, 0.51],
            "published": [0.835, 0.497],
            "published_low": [0.824, 0.491],
            "published_high": [0.846, 0.505],
        }
    )
    plot = plot_exponents(table)
    rows = list(plot.ErrorBars.I.dimension_values("row"))
    kinds = ("ours", "published")
    assert rows == [f"{name} ({kind})" for name in ("Kaplan", "Hoffmann") for kind in kinds]
    np.testing.assert_allclose(plot.ErrorBars.I.dimension_values("a"), [0.86, 0.835, 0.50, 0.497])
