"""The prediction ledger: record a prediction before the big run, score it when the run lands,
and see how good the predictions have been.

``Ledger`` is the store (one SQLite file, safe for several processes), ``predictions_of`` turns a
fit's predictions into records, and :mod:`workbench.ledger.scoring` holds the scores: error,
coverage, interval score and PIT. The CLI is ``workbench ledger``; the dashboard's Ledger tab
shows the same report.
"""

from workbench.ledger.record import predictions_of
from workbench.ledger.scoring import LEVELS, REPORTED_LEVELS, quantile_probabilities
from workbench.ledger.store import (
    Ledger,
    LedgerError,
    default_path,
    describe_targets,
    plural,
    recorded_interval,
)

__all__ = [
    "LEVELS",
    "REPORTED_LEVELS",
    "Ledger",
    "LedgerError",
    "default_path",
    "describe_targets",
    "plural",
    "predictions_of",
    "quantile_probabilities",
    "recorded_interval",
]
