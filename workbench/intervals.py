"""Credible intervals: the project's one credible level, the medians and central intervals every
table reports, and their column names.

Every interval column follows one scheme, ``[<quantity>_]ci_{low,high}_<percent>``: ``ci_low_90``
in a table of one quantity, ``learning_rate_ci_low_90`` where a table holds several. The level
is the project's :data:`CI_PROB` unless a call passes its own ``ci_prob``; plots add an inner
band at ``inner_prob`` (:data:`INNER_PROB` by default).
"""

from collections.abc import Mapping, Sequence

import arviz_base
import numpy as np
import pandas as pd

CI_PROB: float | None = 0.9
"""The credible level of every table, plot, JSON report and dashboard view. Set it once, e.g.
``workbench.intervals.CI_PROB = 0.8``; ``None`` defers to ArviZ's ``rcParams["stats.ci_prob"]``.
The workbench's extrapolation calibration is judged at 90 %, hence its own default."""
INNER_PROB = 0.5
"""The inner band that plots draw inside the credible interval (and backtests also score)."""


def resolve_ci_prob(ci_prob: float | None = None) -> float:
    """``ci_prob`` if given, else the project's level (:data:`CI_PROB`, else ArviZ's)."""
    if ci_prob is None:
        ci_prob = CI_PROB if CI_PROB is not None else arviz_base.rcParams["stats.ci_prob"]
    if isinstance(ci_prob, bool) or not isinstance(ci_prob, int | float | np.floating):
        raise TypeError(
            f"ci_prob is one credible level such as 0.9, not {ci_prob!r}; plots take their "
            "inner band as inner_prob"
        )
    if not 0 < ci_prob < 1:
        raise ValueError(f"ci_prob must lie strictly between 0 and 1, not {ci_prob}")
    return float(ci_prob)


def interval_levels(ci_prob: float | None = None, inner_prob: float | None = None) -> tuple:
    """The levels a table reports: the credible level, after the inner one when there is one."""
    outer = resolve_ci_prob(ci_prob)
    if inner_prob is None:
        return (outer,)
    inner = resolve_ci_prob(inner_prob)
    if inner >= outer:
        raise ValueError(f"inner_prob ({inner}) must be below ci_prob ({outer})")
    return (inner, outer)


def percent(ci_prob: float) -> str:
    """``0.9`` as ``"90"``: the level as column names and labels write it."""
    return f"{100 * ci_prob:g}"


def interval_names(ci_prob: float | None = None, quantity: str = "") -> tuple[str, str]:
    """The low and high column names of one interval, e.g. ``("ci_low_90", "ci_high_90")``."""
    level = percent(resolve_ci_prob(ci_prob))
    prefix = f"{quantity}_" if quantity else ""
    return f"{prefix}ci_low_{level}", f"{prefix}ci_high_{level}"


def interval_columns(levels: Sequence[float], quantity: str = "") -> list[str]:
    return [name for level in levels for name in interval_names(level, quantity)]


def summarize_draws(draws: np.ndarray, levels: Sequence[float]) -> dict[str, np.ndarray]:
    """Median and central intervals at ``levels`` over the first axis of ``draws``."""
    columns = {"median": np.median(draws, axis=0)}
    for level in levels:
        low, high = interval_names(level)
        tail = (1 - level) / 2
        columns[low] = np.quantile(draws, tail, axis=0)
        columns[high] = np.quantile(draws, 1 - tail, axis=0)
    return columns


def summary_table(
    keys: Mapping[str, np.ndarray],
    label: str,
    groups: Mapping[str, np.ndarray],
    levels: Sequence[float],
) -> pd.DataFrame:
    """A long table: per entry of ``groups``, the ``keys`` columns, ``label`` = the entry's name,
    then the median and central intervals of its draws (draws on the first axis)."""
    frames = [
        pd.DataFrame(keys).assign(**{label: name}, **summarize_draws(draws, levels))
        for name, draws in groups.items()
    ]
    return pd.concat(frames, ignore_index=True)
