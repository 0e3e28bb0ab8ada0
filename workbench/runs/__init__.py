"""Run tables: one validated row per training run or checkpoint.

Read runs with :func:`read_runs` (CSV, Parquet, JSON or a DataFrame), or remove bad rows with a
report using :func:`clean`. Columns are recognised by common names and reach canonical roles:
``run``, ``N`` (parameters), ``D`` (tokens), ``C`` (FLOPs), the target (``loss`` by default),
``step``, ``group`` and ``seed``. :func:`demo` simulates a small table from a known law, and
:mod:`workbench.runs.datasets` loads public data.
"""

from workbench.runs import datasets
from workbench.runs.cleaning import CleaningReport, clean
from workbench.runs.errors import ImplausibleValueWarning, RunTableError
from workbench.runs.readers import read_runs
from workbench.runs.synthetic import DEMO_TRUTH, demo
from workbench.runs.table import RunTable
from workbench.runs.units import parse_quantity
from workbench.runs.validation import from_frame

__all__ = [
    "DEMO_TRUTH",
    "CleaningReport",
    "ImplausibleValueWarning",
    "RunTable",
    "RunTableError",
    "clean",
    "datasets",
    "demo",
    "from_frame",
    "parse_quantity",
    "read_runs",
]
