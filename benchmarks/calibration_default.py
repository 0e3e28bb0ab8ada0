"""Recompute the default extrapolation-error prior from the public curves in ``shared/data``.

The training corpus is every run table of ``benchmarks/calibration_data.py``: the final losses
of Epoch's Chinchilla runs, Gadre et al.'s 104 runs, Li et al.'s runs, Step Law's best settings,
Porian et al.'s 15 IsoFLOP settings and Muennighoff et al.'s data-constrained runs, and the
one-covariate learning curves (loss against tokens) of Li et al.'s 11 model sizes. On each table
``law="auto"`` is fitted to every run and the selection-free nested leave-future-out evidence of
its stacked mixture is kept (``LawEnsemble.calibration_``: the error of what the product predicts
with, not of the law that happened to do best on those same runs); a data set pools its tables'
evidence. ``population_prior`` then
turns the data sets' maximum-likelihood (f, s) into the log-normal prior that
``workbench.predict.calibration.DEFAULT_PRIOR`` holds.

Usage:

    .venv/bin/python -m benchmarks.calibration_default
"""

import argparse
import warnings

import pandas as pd

from benchmarks.calibration_data import SHARED_DATA, learning_curve_tables, loss_tables
from workbench.backtesting import LawEnsemble
from workbench.predict.calibration import (
    DEFAULT_PRIOR,
    Prior,
    maximum_likelihood,
    population_prior,
)

SEED = 0
UNINFORMED = Prior(floor=0.01, slope=0.01, max_distance=1.0, log_sd=3.0)
"""A nearly flat prior for the corpus's own calibrations, so that the stacking weights behind the
evidence do not depend on the default it is about to learn."""


def corpus_evidence(tables) -> dict[str, pd.DataFrame]:
    """Selection-free nested-LFO evidence of each data set's stacked mixtures (its tables
    pooled)."""
    evidence: dict[str, list[pd.DataFrame]] = {}
    for name, runs in tables.items():
        with warnings.catch_warnings():
            # Sampling warnings of single laws do not change which evidence is kept.
            warnings.simplefilter("ignore")
            ensemble = LawEnsemble(prior=UNINFORMED).fit(runs, random_seed=SEED)
        rows = ensemble.calibration_.evidence.assign(table=name, law=ensemble.label)
        evidence.setdefault(name.split("/")[0], []).append(rows)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in evidence.items()}


def corpus(shared_data=SHARED_DATA) -> dict:
    return loss_tables(shared_data) | learning_curve_tables(shared_data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evidence", help="write the pooled evidence to this CSV file")
    arguments = parser.parse_args()
    evidence = corpus_evidence(corpus())
    for name, rows in evidence.items():
        laws = rows.groupby("table")["law"].first().value_counts().to_dict()
        floor, slope = maximum_likelihood(rows)
        print(
            f"{name:20s} {len(rows):4d} held-out predictions, maximum likelihood f {floor:.4f}, "
            f"s {slope:.4f}; mixtures {laws}"
        )
    if arguments.evidence:
        pooled = pd.concat(evidence, names=["data_set", None]).reset_index(level=0)
        pooled.to_csv(arguments.evidence, index=False)
    prior = population_prior(evidence)
    print(f"\nlearned: {prior}\nin code: {DEFAULT_PRIOR}")


if __name__ == "__main__":
    main()
