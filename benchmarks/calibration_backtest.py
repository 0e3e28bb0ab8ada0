"""Leave-future-out acceptance of calibrated extrapolation on every public loss data set.

For each run table of ``benchmarks/calibration_data.py`` and each cut (the top 10 %, 20 % and
30 % of runs by compute held out), ``law="auto"`` is fitted to the runs below the cut — every
candidate law calibrated by nested backtests on those runs only — and predicts the held-out runs.
Printed per data set and pooled: 50 % and 90 % coverage and the mean interval score (Gneiting and
Raftery, relative to the truth) of the calibrated intervals beside the law-only intervals of the
same mixture, the ARE of the median, and the best single law's ARE (its law-only median).

The shipped default prior was learned from these same tables, so for an honest score each table
gets the prior learned from the other studies' corpus evidence (``--corpus-evidence``, written by
``benchmarks/calibration_default.py --evidence``). Usage:

    .venv/bin/python -m benchmarks.calibration_default --evidence corpus.csv
    .venv/bin/python -m benchmarks.calibration_backtest --corpus-evidence corpus.csv [--json OUT]
"""

import argparse
import json
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from benchmarks.calibration_data import SHARED_DATA, learning_curve_tables, loss_tables
from workbench.backtesting import LawEnsemble, holdout_runs
from workbench.predict.calibration import DEFAULT_PRIOR, Prior, population_prior
from workbench.predict.scores import absolute_relative_error

CUTS = (0.1, 0.2, 0.3)
CI_PROB = (0.5, 0.9)


def interval_score(low, high, observed, prob):
    """Gneiting and Raftery's interval score of the central ``prob`` interval, relative to the
    truth: width plus 2/α times the miss (lower is better)."""
    alpha = 1 - prob
    miss = np.maximum(low - observed, 0) + np.maximum(observed - high, 0)
    return (high - low + 2 / alpha * miss) / observed


def source(name: str) -> str:
    """The study a table or corpus data set comes from (Li et al.'s final losses and their
    learning curves are one study)."""
    return name.split("/")[0].split("_")[0]


def held_out_priors(corpus_evidence: pd.DataFrame | None) -> Callable[[str], Prior]:
    """The extrapolation-error prior to use on a table: learned from the corpus without the
    table's own study (leave one study out), or the default when no corpus evidence is given."""
    if corpus_evidence is None:
        return lambda name: DEFAULT_PRIOR
    evidence = dict(tuple(corpus_evidence.groupby("data_set")))
    return lambda name: population_prior(
        {key: rows for key, rows in evidence.items() if source(key) != source(name)}
    )


def fit_below_cut(runs, cut: float, seed: int, prior: Prior):
    """``law="auto"`` fitted to the runs below the cut: (ensemble, held-out runs, their targets).

    Call it with warnings silenced: convergence and extrapolation warnings are part of what the
    benchmarks score, not news.
    """
    holdout = holdout_runs(runs, holdout_top_frac=cut)
    held = runs.data["run"].astype(str).isin(holdout.runs).to_numpy()
    train, test = runs.filter(~held), runs.filter(held)
    ensemble = LawEnsemble(prior=prior).fit(train, random_seed=seed)
    targets = {role: test.column(role) for role in ensemble.covariates if role != "C"}
    return ensemble, test, targets or {"C": test.column("C")}


def score_split(name: str, runs, cut: float, seed: int, prior: Prior) -> pd.DataFrame:
    """Fit auto on the runs below the cut, predict the held-out ones: one row per run."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # see fit_below_cut
        ensemble, test, targets = fit_below_cut(runs, cut, seed, prior)
        tables = {
            interval: ensemble.predict(
                targets, ci_prob=max(CI_PROB), inner_prob=min(CI_PROB), interval=interval
            )
            for interval in ("calibrated", "law")
        }
        single = {
            label: fit.predict(targets, interval="law").query("kind == 'observation'")["median"]
            for label, fit in ensemble.candidates_.items()
        }
    seconds = time.perf_counter() - start
    observed = test.y
    frame = pd.DataFrame({"table": name, "cut": cut, "run": test.data["run"].astype(str)})
    for interval, table in tables.items():
        rows = table[table["kind"] == "observation"]
        frame[f"median_{interval}"] = rows["median"].to_numpy()
        for prob in CI_PROB:
            low = rows[f"ci_low_{100 * prob:g}"].to_numpy()
            high = rows[f"ci_high_{100 * prob:g}"].to_numpy()
            frame[f"covered_{100 * prob:g}_{interval}"] = (low <= observed) & (observed <= high)
            frame[f"interval_score_{100 * prob:g}_{interval}"] = interval_score(
                low, high, observed, prob
            )
    frame["distance"] = tables["calibrated"].query("kind == 'observation'")["distance"].to_numpy()
    frame["are"] = absolute_relative_error(frame["median_calibrated"], observed)
    for label, median in single.items():
        frame[f"are[{label}]"] = absolute_relative_error(median.to_numpy(), observed)
    frame["weights"] = json.dumps({k: round(v, 3) for k, v in ensemble.weights_.items()})
    frame["seconds"] = seconds
    return frame


def data_set(table_name: str) -> str:
    return table_name.split("/")[0]


def summarize(frame: pd.DataFrame) -> pd.Series:
    single = {
        column[4:-1]: frame[column].mean()
        for column in frame.columns
        if column.startswith("are[") and frame[column].notna().all()
    }
    best = min(single, key=single.get)
    return pd.Series(
        {
            "n": len(frame),
            "cov90": frame["covered_90_calibrated"].mean(),
            "cov90_law": frame["covered_90_law"].mean(),
            "cov50": frame["covered_50_calibrated"].mean(),
            "cov50_law": frame["covered_50_law"].mean(),
            "IS90": frame["interval_score_90_calibrated"].mean(),
            "IS90_law": frame["interval_score_90_law"].mean(),
            "ARE": frame["are"].mean(),
            "best_single_ARE": single[best],
            "best_single": best,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", help="names (or prefixes) of tables to run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write every held-out prediction to this JSON file")
    parser.add_argument(
        "--corpus-evidence",
        help="CSV of `calibration_default --evidence`: each table then gets the prior learned "
        "without its own study (the shipped default has seen every table here)",
    )
    parser.add_argument(
        "--curves",
        action="store_true",
        help="also Li et al.'s one-covariate learning curves (loss against tokens)",
    )
    arguments = parser.parse_args()
    prior_for = held_out_priors(
        pd.read_csv(arguments.corpus_evidence) if arguments.corpus_evidence else None
    )
    tables = loss_tables(SHARED_DATA)
    if arguments.curves:
        tables |= learning_curve_tables(SHARED_DATA)
    if arguments.tables:
        tables = {
            name: runs
            for name, runs in tables.items()
            if any(name.startswith(prefix) for prefix in arguments.tables)
        }
    frames = []
    for name, runs in tables.items():
        for cut in CUTS:
            frame = score_split(name, runs, cut, arguments.seed, prior_for(name))
            frames.append(frame)
            print(
                f"{name:38s} cut {cut:.1f}: cov90 {frame['covered_90_calibrated'].mean():.2f} "
                f"(law {frame['covered_90_law'].mean():.2f}) ARE {frame['are'].mean():.4f} "
                f"{frame['weights'].iloc[0]} {frame['seconds'].iloc[0]:.0f} s",
                flush=True,
            )
    scores = pd.concat(frames, ignore_index=True)
    if arguments.json:
        scores.to_json(arguments.json, orient="records", double_precision=8)
    scores["data_set"] = scores["table"].map(data_set)
    per_set = scores.groupby("data_set").apply(summarize, include_groups=False)
    pooled = summarize(scores).rename("pooled (points)")
    by_set_mean = per_set[["cov90", "cov90_law", "cov50", "cov50_law", "IS90", "IS90_law"]].mean()
    print()
    with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
        print(pd.concat([per_set, pooled.to_frame().T]).to_string())
        print("\nmean over data sets:", by_set_mean.round(4).to_dict())


if __name__ == "__main__":
    main()
