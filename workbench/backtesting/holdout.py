"""Which runs a backtest holds out: the largest, by compute or another scale."""

import math
from dataclasses import dataclass

import numpy as np

from workbench.runs import RunTable

DEFAULT_HOLDOUT_TOP_FRAC = 0.2
HOLDOUT_COLUMNS = ("C", "N", "D", "step")


@dataclass(frozen=True)
class Holdout:
    """The held-out runs: every run whose final checkpoint has ``by`` at or above ``cut``."""

    by: str
    cut: float
    runs: tuple[str, ...]
    n_runs: int
    """Runs in the table, held out or not."""

    def describe(self) -> str:
        return f"{len(self.runs)} of {self.n_runs} runs with {self.by} >= {self.cut:.4g} held out"


def holdout_runs(
    runs: RunTable,
    *,
    holdout_top_frac: float | None = None,
    by: str | None = None,
    cut: float | None = None,
) -> Holdout:
    """Choose the held-out runs, by their final checkpoint.

    Parameters
    ----------
    runs : RunTable
        Runs, with or without intermediate checkpoints.
    holdout_top_frac : float, optional
        Hold out this fraction of the runs (rounded up), the largest by ``by``. The default when
        no ``cut`` is given: 0.2.
    by : {"C", "N", "D", "step"}, optional
        What "largest" means; compute C by default, else the first of N, D and step the table
        has.
    cut : float, optional
        Hold out every run whose final ``by`` is at least this; train on the runs below it.

    Raises
    ------
    ValueError
        If both or neither selection leaves runs on each side, or ``by`` is not in the table.
    """
    if holdout_top_frac is not None and cut is not None:
        raise ValueError("give holdout_top_frac or cut, not both")
    finals = runs.final_checkpoints()
    by = by or next((name for name in HOLDOUT_COLUMNS if finals.has(name)), "C")
    if by not in HOLDOUT_COLUMNS:
        raise ValueError(f"hold out by one of {', '.join(HOLDOUT_COLUMNS)}, not {by!r}")
    if not finals.has(by):
        raise ValueError(f"cannot hold out by {by}: the run table has no {by!r} column")
    values = finals.column(by)
    if cut is None:
        fraction = DEFAULT_HOLDOUT_TOP_FRAC if holdout_top_frac is None else holdout_top_frac
        if not 0 < fraction < 1:
            raise ValueError(f"holdout_top_frac must lie strictly between 0 and 1, not {fraction}")
        # The small tolerance keeps 0.2 × 40 at 8 despite floating point.
        n_test = max(1, math.ceil(fraction * len(values) - 1e-9))
        cut = float(np.sort(values)[-n_test])
    held = values >= cut
    if not held.any():
        raise ValueError(
            f"no run has {by} >= {cut:.4g} (the largest is {values.max():.4g}): nothing is held "
            "out; lower the cut"
        )
    if held.all():
        raise ValueError(
            f"every run has {by} >= {cut:.4g} (the smallest is {values.min():.4g}): no run is "
            "left to train on; raise the cut or hold out a smaller fraction"
        )
    held_runs = tuple(finals.data.loc[held, "run"].astype(str))
    return Holdout(by=by, cut=float(cut), runs=held_runs, n_runs=len(values))
