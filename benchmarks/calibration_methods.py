"""Which extrapolation-error model: the mixture's own error, each law's, or conformal calibration.

Both learn from the same nested leave-future-out evidence (each candidate law refitted without the
largest training runs; its residuals, own spreads and distances). On every public loss table and
outer cut of ``benchmarks/calibration_backtest.py`` (the top 10/20/30 % by compute held out), each
method turns the evidence of every candidate law into a predictive distribution for the held-out
runs, and the candidates are mixed with the shipped LFO stacking weights:

- ``mixture`` (shipped): one error δ ~ N(0, τ(d)²) for the stacked mixture of the laws' own
  predictive distributions, τ learned from the mixture's selection-free nested evidence
  (``workbench.backtesting.auto.selection_free_evidence``), prior learned without the table's
  own study;
- ``gaussian``: each law's own error δ ~ N(0, τ(d)²) with τ(d)² = (f·min(1, d/0.1))² + (s·d)²,
  (f, s) from their grid posterior given the law's nested evidence, each nested cut one
  experiment;
- ``gaussian_per_run``: the same with every nested held-out run counted as independent;
- ``conformal``: split-conformal by distance — the scores are the signed residuals over
  √(σ² + τ₀(d)²), τ₀ the prior's median error curve, each nested held-out run one calibration
  point; the predictive distribution is the scores' empirical distribution (a conformal
  predictive system) with an atom at each of ±∞; laws with no evidence fall back on
  ``gaussian``'s prior;
- ``law``: no extrapolation error;
- two other ways of mixing the laws: ``gaussian_equal_weights`` (every candidate law weighted
  equally) and ``gaussian_regularized_stacking`` (stacking under a symmetric Dirichlet prior worth
  one experiment beside the three nested cuts), and ``law_regularized_stacking``, the latter
  mixture with no extrapolation error, whose spread is the laws' disagreement alone.

Each law's own predictive distribution is summarized, as in the nested evidence, by its log
median and half its central 68 % range. The fits (about 15 minutes) are cached with ``--cache``.
Usage:

    .venv/bin/python -m benchmarks.calibration_methods \
        --corpus-evidence benchmarks/calibration_corpus.csv --cache methods.pkl [--curves]
"""

import argparse
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.calibration_backtest import (
    CUTS,
    data_set,
    fit_below_cut,
    held_out_priors,
    interval_score,
)
from benchmarks.calibration_data import SHARED_DATA, learning_curve_tables, loss_tables
from workbench.backtesting.auto import MIN_WEIGHT, selection_free_evidence, stacking_weights
from workbench.predict.calibration import Calibration, Prior, discrepancy_sd
from workbench.predict.extrapolate import predictive_draws, target_covariates, target_distance

N_DRAWS = 8000
METHODS = (
    "mixture",
    "gaussian",
    "gaussian_per_run",
    "conformal",
    "law",
    "gaussian_equal_weights",
    "gaussian_regularized_stacking",
    "law_regularized_stacking",
)
CI_PROB = (0.5, 0.9)


def outer_split(name: str, runs, cut: float, seed: int, prior: Prior) -> dict:
    """Fit auto below the cut; keep every kept law's weight, evidence and its law-only
    log median, spread and distance at the held-out runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # see fit_below_cut
        ensemble, test, targets = fit_below_cut(runs, cut, seed, prior)
        laws = {}
        for label, fit in ensemble.candidates_.items():
            covariates = target_covariates(fit.law.covariates, targets)
            covariates = {name: covariates[name] for name in fit.law.covariates}
            log_draws = np.log(predictive_draws(fit, covariates, interval="law")["observation"])
            low, median, high = np.quantile(log_draws, [0.15865, 0.5, 0.84135], axis=0)
            laws[label] = {
                "weight": float(ensemble.weights_.get(label, 0.0)),
                "median": median,
                "spread": (high - low) / 2,
                "distance": target_distance(fit, covariates),
                "evidence": ensemble.calibrations_[label].evidence,
            }
    return {
        "table": name,
        "cut": cut,
        "prior": prior,
        "log_truth": np.log(test.y),
        "laws": laws,
    }


def gaussian_errors(evidence, prior, distance, spread, rng, per_run=False) -> np.ndarray:
    """Draws of the standardized-free error: (draws, targets) of √(σ² + τ²)·z."""
    if per_run and len(evidence):
        evidence = evidence.assign(weight=1.0)
    floor, slope = Calibration(evidence=evidence, prior=prior).parameter_draws(N_DRAWS, rng)
    tau = discrepancy_sd(distance[None, :], floor[:, None], slope[:, None])
    return np.sqrt(spread[None, :] ** 2 + tau**2) * rng.standard_normal(tau.shape)


def conformal_errors(evidence, prior, distance, spread, rng) -> np.ndarray:
    """Draws from the conformal predictive distribution of the error: the nested residuals'
    signed scores, scaled by √(σ² + τ₀(d)²), with an atom at each of ±∞."""
    if not len(evidence):
        return gaussian_errors(evidence, prior, distance, spread, rng)
    scale_of = lambda d, s: np.hypot(s, discrepancy_sd(d, prior.floor, prior.slope))  # noqa: E731
    scores = (evidence["residual"] / scale_of(evidence["distance"], evidence["spread"])).to_numpy()
    # The atoms at ±∞ make each one-sided quantile the conformal ⌈(n+1)(1−α)⌉-th score.
    pool = np.concatenate([scores, [-np.inf, np.inf]])
    picks = rng.choice(pool, size=(N_DRAWS, distance.size))
    return picks * scale_of(distance, spread)[None, :]


def regularized_stacking_weights(split: dict) -> np.ndarray:
    """Stacking weights under a symmetric Dirichlet prior worth one experiment (1/K per law)
    beside the nested cuts, on the rows every law was scored on.

    The prior enters the EM as K pseudo-rows, each certain of one law, of weight 1/K.
    """
    laws = list(split["laws"].values())
    keys = ["cut", "run"]
    common = None
    for law in laws:
        index = pd.MultiIndex.from_frame(law["evidence"][keys])
        common = index if common is None else common.intersection(index)
    if not len(common):
        return np.array([law["weight"] for law in laws])
    rows = [law["evidence"].set_index(keys).loc[common] for law in laws]
    log_density = np.column_stack(
        [
            Calibration(evidence=law["evidence"], prior=split["prior"]).log_density(
                *(row[column].to_numpy(float) for column in ("residual", "spread", "distance"))
            )
            for law, row in zip(laws, rows, strict=True)
        ]
    )
    with np.errstate(divide="ignore"):  # log 0: a pseudo-row's other laws
        pseudo_rows = np.log(np.eye(len(laws)))
    row_weight = np.concatenate(
        [rows[0]["weight"].to_numpy(float), np.full(len(laws), 1 / len(laws))]
    )
    return stacking_weights(np.vstack([log_density, pseudo_rows]), row_weight)


def mixture_draws(split: dict, rng: np.random.Generator) -> np.ndarray:
    """Log-target draws of the shipped ``mixture``: (draws, targets)."""
    laws = split["laws"]
    mixed = method_draws(split, "law", rng)
    calibrations = {
        label: Calibration(evidence=law["evidence"], prior=split["prior"])
        for label, law in laws.items()
    }
    calibration = Calibration(evidence=selection_free_evidence(calibrations), prior=split["prior"])
    distance = np.max(
        [law["distance"] for law in laws.values() if law["weight"] >= MIN_WEIGHT],
        axis=0,
    )
    return mixed + calibration.log_error_draws(distance, N_DRAWS, rng)


def method_draws(split: dict, method: str, rng: np.random.Generator) -> np.ndarray:
    """Log-target draws of the stacked mixture under ``method``: (draws, targets)."""
    if method == "mixture":
        return mixture_draws(split, rng)
    labels = list(split["laws"])
    weights = np.array([split["laws"][label]["weight"] for label in labels])
    if method == "gaussian_equal_weights":
        weights = np.ones(len(labels))
    elif method.endswith("regularized_stacking"):
        weights = regularized_stacking_weights(split)
    component = rng.choice(len(labels), size=N_DRAWS, p=weights / weights.sum())
    mixed = np.empty((N_DRAWS, split["log_truth"].size))
    for index, label in enumerate(labels):
        law = split["laws"][label]
        arguments = (law["evidence"], split["prior"], law["distance"], law["spread"], rng)
        if method == "gaussian_per_run":
            errors = gaussian_errors(*arguments, per_run=True)
        elif method.startswith("gaussian"):
            errors = gaussian_errors(*arguments)
        elif method == "conformal":
            errors = conformal_errors(*arguments)
        else:
            errors = law["spread"][None, :] * rng.standard_normal((N_DRAWS, law["spread"].size))
        chosen = component == index
        mixed[chosen] = law["median"][None, :] + errors[chosen]
    return mixed


def score(split: dict, method: str, seed: int) -> pd.DataFrame:
    draws = method_draws(split, method, np.random.default_rng(seed))
    observed = np.exp(split["log_truth"])
    frame = pd.DataFrame(
        {"table": split["table"], "cut": split["cut"], "method": method},
        index=range(observed.size),
    )
    frame["are"] = np.abs(np.exp(np.median(draws, axis=0)) - observed) / observed
    for prob in CI_PROB:
        quantiles = [0.5 - prob / 2, 0.5 + prob / 2]
        low, high = np.exp(np.quantile(draws, quantiles, axis=0, method="inverted_cdf"))
        frame[f"cov{100 * prob:g}"] = (low <= observed) & (observed <= high)
        frame[f"IS{100 * prob:g}"] = interval_score(low, high, observed, prob)
        frame[f"width{100 * prob:g}"] = np.where(np.isfinite(high), (high - low) / observed, np.inf)
    return frame


def fitted_splits(tables, prior_for, seed: int, cache: Path | None) -> list[dict]:
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    splits = []
    for name, runs in tables.items():
        for cut in CUTS:
            splits.append(outer_split(name, runs, cut, seed, prior_for(name)))
            print(f"fitted {name} cut {cut}", flush=True)
    if cache:
        cache.write_bytes(pickle.dumps(splits))
    return splits


def summarize(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(
        {
            "n": len(frame),
            "cov90": frame["cov90"].mean(),
            "cov50": frame["cov50"].mean(),
            "IS90": frame["IS90"].mean(),
            "median_width90": frame["width90"].median(),
            "infinite_90": (~np.isfinite(frame["width90"])).mean(),
            "ARE": frame["are"].mean(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-evidence", required=True)
    parser.add_argument("--cache", type=Path, help="pickle of the fitted splits, reused if present")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--curves",
        action="store_true",
        help="Li et al.'s one-covariate learning curves instead of the loss tables",
    )
    arguments = parser.parse_args()
    prior_for = held_out_priors(pd.read_csv(arguments.corpus_evidence))
    tables = (learning_curve_tables if arguments.curves else loss_tables)(SHARED_DATA)
    splits = fitted_splits(tables, prior_for, arguments.seed, arguments.cache)
    scores = pd.concat(
        [score(split, method, arguments.seed) for split in splits for method in METHODS],
        ignore_index=True,
    )
    scores["data_set"] = scores["table"].map(data_set)
    per_set = scores.groupby(["method", "data_set"]).apply(summarize, include_groups=False)
    pooled = scores.groupby("method").apply(summarize, include_groups=False)
    averaged = per_set.groupby("method")[["cov90", "cov50", "IS90"]].mean()
    with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
        print(per_set.to_string())
        print("\npooled over held-out runs\n" + pooled.to_string())
        print("\nmean over data sets\n" + averaged.to_string())


if __name__ == "__main__":
    main()
