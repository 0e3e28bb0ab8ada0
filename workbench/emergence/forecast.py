"""Predicted PassUntil pass rates, pass@1 and pass@k at new model sizes, with intervals."""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.intervals import interval_levels, summary_table
from workbench.runs import parse_quantity


def predict_passuntil(
    fit,
    N_target,
    ci_prob: float | None = None,
    k: Sequence[int] = (1, 10),
    *,
    inner_prob: float | None = None,
) -> pd.DataFrame:
    r"""Posterior PU and pass@k at each target size.

    PU is the mean pass rate over the task's instances, :math:`PU(N) = \frac1n \sum_i p_i(N)`,
    which is also pass@1; pass@k is :math:`\frac1n\sum_i 1 - (1 - p_i(N))^k`. For the task-level
    fits and their mixture (one pass rate for the task) the sums have one term.

    Parameters
    ----------
    fit : PassUntilFit, TaskLawFit, MultipleCircuitsFit, SubScalingFit or TaskLawMixture
        A fitted model (anything with ``pass_rates(N)``); :func:`choose_predictions` picks
        between the hierarchical model and the task-law mixture.
    N_target : float, str or sequence
        Model sizes (``"70B"`` style quantities are read).
    ci_prob : float, optional
        Central interval probability; the project's credible level by default.
    inner_prob : float, optional
        Probability of a second, inner interval (the plots' inner band).
    k : sequence of int
        The k of pass@k.

    Returns
    -------
    DataFrame
        One row per target N and ``quantity`` (``"PU"``, ``"pass@1"``, ``"pass@10"``, ...), with
        ``median`` and ``ci_low_<p>`` / ``ci_high_<p>`` columns.
    """
    sizes = np.atleast_1d(np.asarray([parse_quantity(n) for n in np.ravel(N_target)], dtype=float))
    if not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(f"target sizes must be positive and finite, got {sizes}")
    p = fit.pass_rates(sizes)  # draws × units × sizes
    quantities = {"PU": p.mean(axis=1)}
    for attempts in k:
        quantities[f"pass@{attempts}"] = (1 - (1 - p) ** int(attempts)).mean(axis=1)
    return summary_table({"N": sizes}, "quantity", quantities, interval_levels(ci_prob, inner_prob))
