"""Calibrated extrapolation on small one-covariate tables: Li et al.'s curves thinned to n points.

The independent evaluation's tables may hold only ``tokens,loss`` with 3 to 200 rows. For each of
Li et al.'s 11 learning curves (``benchmarks/calibration_data.py``), the checkpoints past 80 % of
the curve's log-token range are held out; n checkpoints evenly spaced in rank over the rest are
the training table; ``law="auto"`` is fitted to it with the extrapolation-error prior learned
without Li et al.'s study (leave one study out, from ``--corpus-evidence``) and predicts every
held-out checkpoint. Printed per n: the calibrated and law-only 90 % coverage, their mean width
relative to the truth, the ARE of the median, and how many fits had nested backtests (with fewer
runs the weights come from PSIS-LOO and the error is the prior's). Usage:

    .venv/bin/python -m benchmarks.small_tables --corpus-evidence benchmarks/calibration_corpus.csv
"""

import argparse
import warnings

import numpy as np
import pandas as pd

from benchmarks.calibration_backtest import held_out_priors
from benchmarks.calibration_data import SHARED_DATA, learning_curve_tables
from workbench.backtesting import LawEnsemble
from workbench.intervals import interval_names
from workbench.predict.scores import absolute_relative_error
from workbench.runs import from_frame

SIZES = (5, 8, 12)
CI_PROB = 0.9
HELD_OUT_LOG_FRACTION = 0.2
"""The last fifth of each curve's log-token range is held out."""


def split(curve: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training table of n checkpoints, held-out checkpoints) of one curve."""
    curve = curve.sort_values("D")
    log_tokens = np.log10(curve["D"].to_numpy())
    edge = log_tokens.max() - HELD_OUT_LOG_FRACTION * (log_tokens.max() - log_tokens.min())
    below, above = curve[log_tokens <= edge], curve[log_tokens > edge]
    rows = np.unique(np.round(np.linspace(0, len(below) - 1, n)).astype(int))
    return below.iloc[rows], above


def score(name: str, curve: pd.DataFrame, n: int, prior) -> dict:
    train, test = split(curve, n)
    runs = from_frame(
        train.reset_index(drop=True), mapping={"run": "run", "D": "D", "loss": "loss"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sampling warnings of small fits are what is scored
        ensemble = LawEnsemble(prior=prior).fit(runs, random_seed=0)
        tables = {
            interval: ensemble.predict(
                {"D": test["D"].to_numpy()}, ci_prob=CI_PROB, interval=interval, warn=False
            ).query("kind == 'observation'")
            for interval in ("calibrated", "law")
        }
    observed = test["loss"].to_numpy()
    row = {"curve": name, "n": n, "held_out": len(test), "nested": ensemble.weights_from_ == "lfo"}
    for interval, table in tables.items():
        low, high = (table[name].to_numpy() for name in interval_names(CI_PROB))
        row[f"cov90_{interval}"] = float(np.mean((low <= observed) & (observed <= high)))
        row[f"width_{interval}"] = float(np.mean((high - low) / observed))
    row["are"] = float(np.mean(absolute_relative_error(tables["calibrated"]["median"], observed)))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-evidence", required=True, help="CSV of calibration_default")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    arguments = parser.parse_args()
    prior = held_out_priors(pd.read_csv(arguments.corpus_evidence))("misfitting_curves")
    rows = []
    for name, runs in learning_curve_tables(SHARED_DATA).items():
        for n in arguments.sizes:
            rows.append(score(name.split("/")[-1], runs.data, n, prior))
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    summary = frame.groupby("n").agg(
        curves=("curve", "size"),
        with_nested_cuts=("nested", "sum"),
        cov90=("cov90_calibrated", "mean"),
        cov90_law=("cov90_law", "mean"),
        width=("width_calibrated", "mean"),
        width_law=("width_law", "mean"),
        are=("are", "mean"),
    )
    with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
        print(f"\nprior without Li et al.: {prior}\n{summary.to_string()}")


if __name__ == "__main__":
    main()
