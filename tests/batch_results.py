"""A small batch results folder written by hand, for tests of ``workbench batch-report`` that
need no fitting."""

from pathlib import Path

import pandas as pd

from workbench.batch.engine import RESULTS_FILE, result_columns

# law, holdout fraction, status, mean ARE, 50 % and 90 % coverage, elpd
JOBS = [
    ("chinchilla", 0.1, "ok", 0.012, 0.50, 0.90, 1.9),
    ("chinchilla", 0.2, "ok", 0.021, 0.45, 0.85, 1.7),
    ("kaplan_joint", 0.1, "untrustworthy", 0.034, 0.30, 0.70, 1.2),
    ("kaplan_joint", 0.2, "ok", 0.046, 0.35, 0.75, 1.1),
    ("power_law", 0.1, "failed", None, None, None, None),
]


def write_results(folder: Path) -> Path:
    """``folder`` holding a ``results.parquet`` of three laws on one data set."""
    rows = [
        {
            "job_id": f"demo-{law}-{fraction}",
            "dataset": "demo",
            "law": law,
            "likelihood": "normal",
            "checkpoints": "final",
            "min_fraction": None,
            "priors": "default",
            "holdout_top_frac": fraction,
            "status": status,
            "error": "could not fit" if status == "failed" else None,
            "seconds": 4.0,
            "are": are,
            "coverage_50": coverage_50,
            "coverage_90": coverage_90,
            "elpd": elpd,
        }
        for law, fraction, status, are, coverage_50, coverage_90, elpd in JOBS
    ]
    columns = result_columns(["coverage_50", "coverage_90"])
    frame = pd.DataFrame(rows).reindex(columns=columns)
    frame["min_fraction"] = frame["min_fraction"].astype(float)
    frame.to_parquet(folder / RESULTS_FILE)
    return folder
