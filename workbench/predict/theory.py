"""Where a fitted exponent falls relative to two theories of why scaling laws exist.

* Bahri et al. (2021): in the **variance-limited** regime the loss falls as 1/N or 1/D
  (exponent 1); in the **resolution-limited** regime as X^(−4/d), d the intrinsic dimension of
  the data manifold, so an exponent α implies d = 4/α.
* Liu, Liu and Gore (2025): under **strong superposition** the loss falls as 1/width. With the
  depth fixed, N grows as width², so that is N^(−1/2); the width exponent of a fitted α_N is 2·α_N.

A read-out, not a fit: the numbers are the fitted exponents' posterior, transformed.
"""

import numpy as np
import pandas as pd

from workbench.intervals import interval_names, percent, resolve_ci_prob, summarize_draws

VARIANCE_LIMITED = 1.0
"""Bahri et al.'s exponent of the variance-limited regime."""
SUPERPOSITION_WIDTH = 1.0
"""Liu et al.'s exponent of the loss in the model's width under strong superposition."""
WIDTH_POWER = 2.0
"""N ∝ width^2 at a fixed depth: a width exponent is this times the N exponent."""
REFERENCES = {
    "bahri": "Bahri et al. (2021), Explaining Neural Scaling Laws, arXiv:2102.06701",
    "liu": "Liu, Liu and Gore (2025), Superposition Yields Robust Neural Scaling, arXiv:2505.10465",
}


def theory_readout(fit, ci_prob: float | None = None) -> pd.DataFrame:
    """One row per covariate the fitted law has a loss exponent for.

    Columns: ``covariate``; ``exponent``, ``implied_dimension`` (4/α) and, for N, ``width_exponent``
    (2·α), each as the median and ``<name>_ci_low_90``/``<name>_ci_high_90`` (at ``ci_prob``);
    ``sentence``, what it says in words. Empty for a law without loss exponents.
    """
    ci_prob = resolve_ci_prob(ci_prob)
    law = fit.law
    exponents = law.loss_exponents(fit.draws(list(law.parameters)))
    rows = []
    for covariate, exponent in exponents.items():
        exponent = np.asarray(exponent, dtype=float)
        row = {"covariate": covariate}
        quantities = {"exponent": exponent, "implied_dimension": 4 / exponent}
        if covariate == "N":
            quantities["width_exponent"] = WIDTH_POWER * exponent
        for name, values in quantities.items():
            row |= summarize(name, values, ci_prob)
        row["sentence"] = describe(row, ci_prob)
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(name: str, values: np.ndarray, ci_prob: float) -> dict[str, float]:
    """:func:`workbench.intervals.summarize_draws` of one quantity, its columns named after it.

    A grouped law's draws (one column per group) are pooled, so the read-out is of the whole table.
    """
    columns = summarize_draws(np.ravel(values), [ci_prob])
    return {
        (name if column == "median" else f"{name}_{column}"): float(value)
        for column, value in columns.items()
    }


def relation(low: float, high: float, reference: float) -> str:
    """Whether an interval lies below, above or around a reference value."""
    if high < reference:
        return "below"
    if low > reference:
        return "above"
    return "consistent with"


def describe(row: dict, ci_prob: float) -> str:
    """The row in two or three sentences."""
    covariate, level = row["covariate"], f"{percent(ci_prob)} %"

    def interval(name: str, digits: int) -> str:
        low, high = interval_names(ci_prob, name)
        return f"{row[name]:.{digits}f} [{row[low]:.{digits}f}, {row[high]:.{digits}f}]"

    low, high = interval_names(ci_prob, "exponent")
    variance = relation(row[low], row[high], VARIANCE_LIMITED)
    text = (
        f"The loss falls as {covariate}^−{interval('exponent', 3)} ({level} interval). "
        f"The exponent is {variance} 1, that of Bahri et al.'s variance-limited regime"
    )
    if variance != "consistent with":
        text += (
            f"; read as their resolution-limited regime (α = 4/d), the data manifold's intrinsic "
            f"dimension is d ≈ {interval('implied_dimension', 1)}."
        )
    else:
        text += "."
    if covariate == "N":
        low, high = interval_names(ci_prob, "width_exponent")
        superposition = relation(row[low], row[high], SUPERPOSITION_WIDTH)
        text += (
            f" With the depth fixed (N ∝ width²) the loss falls as width^−"
            f"{interval('width_exponent', 2)}: {superposition} the 1/width of strong "
            "superposition (Liu et al.)."
        )
    return text
