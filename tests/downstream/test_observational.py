"""Observational scaling on Ruan et al.'s public table: the held-out protocol's measured numbers,
predictions for unseen families, the baseline on exact lines, the plots and the CLI.

No fitted numbers are published with the data (``../shared/data/obsscaling_ruan2024/README.md``),
so the oracle is the held-out protocol itself. Measured with the default sampler (seed 0): above
the cut the Bayesian model's MAE is 8.4 points against the power law's 12.3, with 82 % and 83 %
coverage of 90 % intervals; on the 11 pre-registered models with FLOPs, 13.2 points and 84 %
against 18.9 points and 62 %.
"""

import contextlib
import io
import json
import warnings

import holoviews as hv
import holoviews.plotting.bokeh  # plot options need a loaded backend
import numpy as np
import pandas as pd
import pytest

from workbench.cli import main
from workbench.downstream import (
    ABOVE_CUT,
    BASELINE,
    BAYESIAN,
    PREREGISTERED,
    ObservationalScalingFit,
    holdout_report,
    power_law_baseline,
)
from workbench.downstream.capabilities import benchmark_score, loading_mask, score_logit
from workbench.fitting import FitWarning
from workbench.plots import plot_family_curves, plot_holdout_predictions
from workbench.runs import datasets


@pytest.fixture(scope="module")
def raw(shared_data):
    return shared_data / "obsscaling_ruan2024" / "raw"


@pytest.fixture(scope="module")
def scores(raw, tmp_path_factory):
    return datasets.ruan2024(
        url=raw / "base_llm_benchmark_eval.csv",
        constants_url=raw / "constants.py",
        cache_dir=tmp_path_factory.mktemp("cache"),
    )


@pytest.fixture(scope="module")
def report(scores):
    # The default sampler: a diagnostic warning would fail here (warnings are errors).
    return holdout_report(scores, random_seed=0)


def test_the_loader_reads_every_model_and_the_preregistered_list(scores):
    assert len(scores) == 148 and scores["family"].nunique() == 47
    assert scores["is_preregistered"].sum() == 20
    assert scores["flops"].isna().sum() == 25
    llama = scores.set_index("model").loc["meta-llama/Llama-2-7b-hf"]
    assert llama["parameters"] == 7e9 and llama["tokens"] == 2e12 and llama["flops"] == 8.4e22
    assert scores["HumanEval"].isna().sum() == 21


def test_a_changed_file_is_refused_in_one_line(raw, tmp_path):
    changed = tmp_path / "scores.csv"
    changed.write_bytes(raw.joinpath("base_llm_benchmark_eval.csv").read_bytes() + b"\n")
    with pytest.raises(datasets.DatasetError, match="checksum mismatch") as caught:
        datasets.ruan2024(
            url=changed, constants_url=raw / "constants.py", cache_dir=tmp_path / "cache"
        )
    assert "\n" not in str(caught.value)


def test_holdout_numbers_as_measured(report):
    table = report.table.set_index(["group", "method"])
    assert list(table["models"]) == [38, 38, 11, 11]
    assert list(table["scores"]) == [292, 292, 87, 87]
    assert table.loc[(PREREGISTERED, BAYESIAN), "dropped_without_flops"] == 9
    above, preregistered = table.loc[ABOVE_CUT], table.loc[PREREGISTERED]
    # The power law is deterministic; the model's numbers move a little with the sampler.
    assert above.loc[BASELINE, "mae_points"] == pytest.approx(12.32, abs=0.01)
    assert preregistered.loc[BASELINE, "mae_points"] == pytest.approx(18.91, abs=0.01)
    assert preregistered.loc[BASELINE, "coverage"] == pytest.approx(54 / 87)
    assert 7.8 < above.loc[BAYESIAN, "mae_points"] < 9.0
    assert 12.0 < preregistered.loc[BAYESIAN, "mae_points"] < 14.0
    assert 0.78 < above.loc[BAYESIAN, "coverage"] < 0.88
    assert 0.80 < preregistered.loc[BAYESIAN, "coverage"] < 0.92
    for group in (above, preregistered):
        assert group.loc[BAYESIAN, "mae_points"] < group.loc[BASELINE, "mae_points"] - 3


def test_the_fit_counts_what_it_left_out_and_mixes(report, scores):
    fit = report.fit
    assert fit.idata.attrs["n_models"] == 74
    assert fit.idata.attrs["dropped_without_flops"] == 0
    diagnostics = fit.diagnostics()
    # Converged at the defaults on real data (it was R-hat 1.01-1.04 with 1-4 divergences before
    # the anchors pinned the capabilities' rotation).
    assert diagnostics.divergences == 0 and diagnostics.rhat_max < 1.01
    assert diagnostics.ess_bulk_min > 400
    # Every modelled capability rises with compute in every family (shared positive slopes).
    assert (fit.draws(["slope"])["slope"] > 0).all()
    # A model without FLOPs, of a family the fit has (so the compiled model serves): left out.
    unplaced = scores[scores["model"] == "Qwen/Qwen1.5-110B"]
    training = fit.scores_.drop(columns="is_preregistered", errors="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)  # 100 draws: only the count matters here
        refit = ObservationalScalingFit(sampler={"draws": 100, "tune": 200}).fit(
            pd.concat([training, unplaced]), random_seed=0
        )
    assert refit.idata.attrs["n_models"] == 74
    assert refit.idata.attrs["dropped_without_flops"] == 1


def test_an_unseen_family_gets_wider_intervals(report, scores):
    fit = report.fit
    model = scores[scores["model"] == "EleutherAI/pythia-12b-deduped"]
    seen = fit.predict(model, random_seed=0).set_index("benchmark")
    unseen = fit.predict(model.assign(family="a new family"), random_seed=0).set_index("benchmark")
    assert seen["seen_family"].all() and not unseen["seen_family"].any()
    width = {
        name: frame["score_ci_high_90"] - frame["score_ci_low_90"]
        for name, frame in (("seen", seen), ("unseen", unseen))
    }
    assert (width["unseen"] > width["seen"]).all()
    inside = (seen["score_ci_low_90"] <= seen["observed"]) & (
        seen["observed"] <= seen["score_ci_high_90"]
    )
    assert inside.mean() >= 0.75


def test_the_baseline_recovers_exact_lines_per_family():
    x = np.array([19.0, 20.0, 21.0, 22.0])
    logits = {"A": 0.5 * (x - 21), "B": -1.0 + 0.8 * (x - 21)}
    rows = [
        {"model": f"{family}{i}", "family": family, "flops": 10**value, "GSM8K": score}
        for family, values in logits.items()
        for i, (value, score) in enumerate(zip(x, benchmark_score(values, 0.0), strict=True))
    ]
    training = pd.DataFrame(rows)
    # Exact lines leave no residual: the interval of a known family is the point itself.
    training.loc[len(training)] = ["B9", "B", 10**22.5, benchmark_score(-1.0 + 0.8 * 1.5, 0.0)]
    target = pd.DataFrame(
        {"model": ["A9", "C9"], "family": ["A", "C"], "flops": [1e23, 1e23], "GSM8K": [np.nan] * 2}
    )
    predicted = power_law_baseline(training, target, ["GSM8K"], 0.9, {"GSM8K": 0.0})
    known = predicted.iloc[0]
    assert known["seen_family"] and known["score"] == pytest.approx(benchmark_score(1.0, 0.0))
    assert known["score_ci_high_90"] - known["score_ci_low_90"] == pytest.approx(0, abs=1e-9)
    pooled = predicted.iloc[1]
    assert not pooled["seen_family"] and pooled["score_ci_low_90"] < pooled["score"]


def test_the_link_and_its_anchors():
    assert score_logit(0.625, 0.25, 0.005) == pytest.approx(0.0)
    assert score_logit(0.2, 0.25, 0.005) == pytest.approx(np.log(0.005 / 0.995))
    free, fixed = loading_mask(4, 2)
    assert free.tolist() == [[False, False], [False, False], [True, True], [True, True]]
    assert fixed.tolist() == [[1, 0], [0, 1], [0, 0], [0, 0]]
    with pytest.raises(ValueError, match="components must lie between 1 and 4"):
        loading_mask(4, 5)


def test_plots(report, scores):
    predictions = plot_holdout_predictions(report)
    assert isinstance(predictions, hv.Layout) and len(predictions) == 8
    curves = plot_family_curves(report.fit, scores, benchmark="MMLU", families=["Pythia", "OPT"])
    assert len(curves.Scatter) == 2 and len(curves.Curve) == 2


def test_the_command_line_prints_the_report(raw, report, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    argv = [
        "observational",
        "--data", str(raw / "base_llm_benchmark_eval.csv"),
        "--constants", str(raw / "constants.py"),
        "--draws", "100", "--tune", "200", "--json",
    ]  # fmt: skip
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    printed = json.loads(out.getvalue())
    assert printed["fitted_models"] == 74 and printed["components"] == 3
    assert printed["warnings"], "100 draws on real data: the report says R-hat is too high"
    assert [row["group"] for row in printed["report"]] == [ABOVE_CUT] * 2 + [PREREGISTERED] * 2
