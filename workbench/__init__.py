"""Scaling Workbench: Bayesian scaling laws with honest uncertainty.

.. code-block:: python

    import workbench as wb

    runs = wb.read_runs("runs.csv")  # or wb.demo()
    fit = wb.fit(runs, law="chinchilla")  # law="auto" stacks every family the columns allow
    fit.predict(N=70e9, D=1.4e12)  # calibrated intervals past the data

The names below load on first use, so ``import workbench`` stays light: the Jupyter server imports
:mod:`workbench.jupyter_proxy` at start-up.
"""

import importlib
import os
from importlib.metadata import version as _version

# NumPy asks Linux for transparent huge pages for every array of 4 MB or more; where memory is
# fragmented the kernel then compacts it at each first touch, which made the pointwise groups of
# a 100,000-row fit 2.5x slower (benchmarks/README.md). NumPy reads this once, when first
# imported; a user's own setting wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

__version__ = _version("scaling-workbench")

PUBLIC_API = {
    "fit": "workbench.api",
    "RunTable": "workbench.runs",
    "read_runs": "workbench.runs",
    "from_frame": "workbench.runs",
    "clean": "workbench.runs",
    "demo": "workbench.runs",
    "load_dataset": "workbench.runs.datasets",
    "LAWS": "workbench.laws",
    "get_law": "workbench.laws",
    "Prior": "workbench.laws",
    "ScalingLawFit": "workbench.fitting",
    "IsoFlopFit": "workbench.hyperparameters",
    "LawEnsemble": "workbench.backtesting",
    "load_fit": "workbench.backtesting",
    "calibrate": "workbench.backtesting",
    "backtest": "workbench.backtesting",
    "compare": "workbench.predict",
    "plan_next_runs": "workbench.predict",
    "scaling_law_card": "workbench.app.card",
    "save_card": "workbench.app.card",
    "Ledger": "workbench.ledger",
}
"""Each public name and the module that defines it. Predictions are methods of a fit
(``fit.predict``, ``fit.compute_optimal``): ``workbench.predict`` is also a subpackage's name."""

__all__ = ["__version__", *PUBLIC_API]


def __getattr__(name: str):
    if name not in PUBLIC_API:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(PUBLIC_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *PUBLIC_API})
