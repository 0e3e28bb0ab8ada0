"""Real data: Pythia's zero-shot LAMBADA and MMLU accuracies at the final checkpoint."""

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.emergence import ErrorFromLossFit, SigmoidScoreFit, emergence_within_range

STANDARD = [
    "pythia-70m",
    "pythia-160m",
    "pythia-410m",
    "pythia-1b-bf16",
    "pythia-1.4b",
    "pythia-2.8b",
    "pythia-6.9b",
    "pythia-12b",
]
SAMPLER = {"draws": 1000, "tune": 1000}


@pytest.fixture(scope="module")
def final_scores(shared_data):
    folder = shared_data / "pythia_evals"
    evals = pd.read_csv(folder / "pythia_v1_evals.csv")
    sizes = pd.read_csv(folder / "pythia_v1_models.csv").set_index("model_dir")["params_total"]
    final = evals[
        (evals["step"] == 143000) & (evals["num_fewshot"] == 0) & evals["model_dir"].isin(STANDARD)
    ]

    def scores(rows):
        table = rows.groupby("model_dir", as_index=False)["acc"].mean()
        table = table.rename(columns={"model_dir": "model", "acc": "score"})
        return table.assign(N=sizes.loc[table["model"]].to_numpy()).sort_values("N")

    mmlu = final[final["task"].str.startswith("hendrycksTest-")]
    assert mmlu["task"].nunique() == 57
    return scores(final[final["task"] == "lambada_openai"]), scores(mmlu)


def fit(scores, chance):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SigmoidScoreFit(chance=chance, sampler=SAMPLER).fit(scores, random_seed=1)


def test_lambada_from_small_models_predicts_large_ones(final_scores):
    lambada, _ = final_scores
    small = lambada[lambada["N"] <= 1.5e9]
    assert len(small) == 5
    table = fit(small, chance=0.0).predict([6857302016, 11846072320], ci_prob=0.9)
    observed = table[table["kind"] == "observation"].reset_index()
    for row, accuracy in zip(observed.itertuples(), (0.6728, 0.7046), strict=True):
        assert row.ci_low_90 <= accuracy <= row.ci_high_90
    assert emergence_within_range(fit(lambada, 0.0)).emerged


def test_mmlu_has_not_emerged(final_scores):
    _, mmlu = final_scores
    check = emergence_within_range(fit(mmlu, chance=0.25))
    assert not check.emerged
    assert check.text.startswith("not emerged within range")


@pytest.mark.parametrize(
    ("task", "small_only"), [("LAMBADA", True), ("LAMBADA", False), ("MMLU", False)]
)
def test_sigmoid_fits_of_notebook_04_converge_at_the_defaults(final_scores, task, small_only):
    lambada, mmlu = final_scores
    scores = lambada if task == "LAMBADA" else mmlu
    if small_only:
        scores = scores[scores["N"] <= 1.5e9]
    chance = 0.0 if task == "LAMBADA" else 0.25
    diagnostics = SigmoidScoreFit(chance=chance).fit(scores, random_seed=1).diagnostics()
    assert diagnostics.rhat_max <= 1.01 and diagnostics.ess_bulk_min >= 400
    assert diagnostics.divergences == 0


def test_lambada_error_from_loss_predicts_large_models(shared_data):
    """Gadre et al.'s Err(L) with L = log LAMBADA perplexity, fitted on sizes up to 1.4B."""
    evals = pd.read_csv(shared_data / "pythia_evals" / "pythia_v1_evals.csv")
    rows = (
        evals[
            (evals["step"] == 143000)
            & (evals["num_fewshot"] == 0)
            & (evals["task"] == "lambada_openai")
            & evals["model_dir"].isin(STANDARD)
        ]
        .set_index("model_dir")
        .loc[STANDARD]
    )
    loss, error = np.log(rows["ppl"].to_numpy()), 1 - rows["acc"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ErrorFromLossFit(sampler=SAMPLER).fit(loss[:5], error[:5], random_seed=2)
    table = fit.predict(loss[6:], ci_prob=0.9).query("kind == 'observation'")
    for row, observed in zip(table.itertuples(), error[6:], strict=True):
        assert row.ci_low_90 <= observed <= row.ci_high_90
        assert abs(row.median - observed) < 0.05
