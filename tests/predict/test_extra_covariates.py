"""Prediction from laws with covariates beyond N, D and C: unique tokens U of data_constrained."""

import json

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main
from workbench.fitting import ScalingLawFit
from workbench.laws import get_law

TRUTH = dict(E=1.87, A=520.8, B=1487.7, alpha=0.353, beta=0.353, R_D_star=15.4, R_N_star=5.3)
FAST = {"draws": 300, "tune": 300}


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory):
    law = get_law("data_constrained")
    rng = np.random.default_rng(0)
    x = {
        "N": 10 ** rng.uniform(7, 9.5, 60),
        "D": 10 ** rng.uniform(8.5, 11.5, 60),
        "U": 10 ** rng.uniform(7.5, 10, 60),
    }
    loss = law.curve(x, TRUTH) * np.exp(rng.normal(0, 0.015, 60))
    fit = ScalingLawFit(law, sampler=FAST).fit(pd.DataFrame({**x, "loss": loss}), random_seed=0)
    return fit.save(tmp_path_factory.mktemp("fits") / "data_constrained.nc")


def test_predict_takes_unique_tokens(saved_fit):
    fit = ScalingLawFit.load(saved_fit)
    targets = {"N": [1e9, 1e9], "D": [1e11, 1e11], "U": [1e9, 1e11]}
    table = fit.predict(**targets, ci_prob=0.9).query("kind == 'mean'")
    np.testing.assert_array_equal(table["U"], [1e9, 1e11])
    truth = get_law("data_constrained").curve({k: np.array(v) for k, v in targets.items()}, TRUTH)
    assert np.all((table["ci_low_90"] < truth) & (truth < table["ci_high_90"]))
    # 100 epochs over 1B unique tokens are worth much less than 100B fresh ones.
    assert table["median"].iloc[0] > table["median"].iloc[1] + 0.1


def test_predict_names_a_missing_extra_covariate(saved_fit):
    fit = ScalingLawFit.load(saved_fit)
    with pytest.raises(ValueError, match=r"missing U$"):
        fit.predict(N=[1e9], D=[1e11])


def test_cli_predict_takes_other_covariates_with_at(saved_fit, capsys):
    argv = ["predict", str(saved_fit), "--N", "1B", "1B", "--D", "100B", "100B"]
    argv += ["--at", "U=1B,100B", "--json"]
    assert main(argv) == 0
    predictions = json.loads(capsys.readouterr().out)["predictions"]
    assert [row["U"] for row in predictions] == [1e9, 1e11]
    api = ScalingLawFit.load(saved_fit).predict(N=[1e9, 1e9], D=[1e11, 1e11], U=[1e9, 1e11])
    observation = api.query("kind == 'observation'")["median"].tolist()
    assert [row["median"] for row in predictions] == observation


def test_cli_predict_rejects_a_malformed_at(saved_fit, capsys):
    assert main(["predict", str(saved_fit), "--N", "1B", "--D", "100B", "--at", "U"]) == 2
    assert "--at takes NAME=VALUES" in capsys.readouterr().err


def test_compute_optimal_holds_unique_tokens_fixed(saved_fit):
    fit = ScalingLawFit.load(saved_fit)
    budgets = [1e20, 1e22]
    scarce = fit.compute_optimal(budgets, ci_prob=0.9, U=1e9).set_index(["quantity", "C"])
    ample = fit.compute_optimal(budgets, ci_prob=0.9, U="10T").set_index(["quantity", "C"])
    # With little unique data the same compute buys a higher loss than with plenty.
    for budget in budgets:
        assert (
            scarce.loc[("loss_opt", budget), "median"] > ample.loc[("loss_opt", budget), "median"]
        )
    draws = fit.draws(fit.law.parameters)
    n_opt, _ = fit.law.optimal_allocation(draws, np.array(budgets), U=1e9)
    np.testing.assert_allclose(scarce.xs("N_opt")["median"], np.median(n_opt, axis=0))
    with pytest.raises(ValueError, match="missing"):
        fit.compute_optimal(budgets)
