"""Credible intervals of posterior draws: the medians and central intervals every table reports,
and their column names (``ci_low_90``, ``ci_high_90``)."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def interval_columns(ci_prob: Sequence[float]) -> list[str]:
    return [f"ci_{side}_{100 * prob:g}" for prob in ci_prob for side in ("low", "high")]


def summarize_draws(draws: np.ndarray, ci_prob: Sequence[float]) -> dict[str, np.ndarray]:
    """Median and central intervals over the first axis of ``draws``."""
    columns = {"median": np.median(draws, axis=0)}
    for prob in ci_prob:
        if not 0 < prob < 1:
            raise ValueError(f"ci_prob values must lie strictly between 0 and 1, not {prob}")
        tail = (1 - prob) / 2
        columns[f"ci_low_{100 * prob:g}"] = np.quantile(draws, tail, axis=0)
        columns[f"ci_high_{100 * prob:g}"] = np.quantile(draws, 1 - tail, axis=0)
    return columns


def summary_table(
    keys: Mapping[str, np.ndarray], label: str, groups: Mapping[str, np.ndarray], ci_prob
) -> pd.DataFrame:
    """A long table: per entry of ``groups``, the ``keys`` columns, ``label`` = the entry's name,
    then the median and central intervals of its draws (draws on the first axis)."""
    frames = [
        pd.DataFrame(keys).assign(**{label: name}, **summarize_draws(draws, ci_prob))
        for name, draws in groups.items()
    ]
    return pd.concat(frames, ignore_index=True)
