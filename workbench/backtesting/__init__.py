"""Refits on subsets of the runs: backtests on the largest runs, the nested leave-future-out
evidence that calibrates extrapolation, and ``law="auto"``, which stacks laws by it. It sits above
:mod:`workbench.fitting` and :mod:`workbench.predict`."""

from workbench.backtesting.auto import AUTO, LawEnsemble, candidate_laws, load_fit
from workbench.backtesting.backtest import Backtest, backtest
from workbench.backtesting.holdout import Holdout, holdout_runs
from workbench.backtesting.nested import calibrate, lfo_evidence

__all__ = [
    "AUTO",
    "Backtest",
    "Holdout",
    "LawEnsemble",
    "backtest",
    "calibrate",
    "candidate_laws",
    "holdout_runs",
    "lfo_evidence",
    "load_fit",
]
