r"""How many samples PassUntil needs for a target relative precision of PU.

Sampling instance i until ``r`` passes costs ``r/p_i`` attempts on average, and the unbiased
estimate :math:`\hat p_i = (r-1)/(K_i-1)` has variance at most
:math:`p_i^2 (1-p_i)/(r-2)` for r ≥ 3 (Mikulski & Smith 1976). The mean over n instances,
:math:`\widehat{PU}`, then has relative standard error

.. math::

    \frac{\operatorname{sd}(\widehat{PU})}{PU}
    = \frac{\sqrt{\sum_i p_i^2 (1 - p_i) / (r - 2)}}{\sum_i p_i},

which :func:`plan_sampling` solves for the smallest r.
"""

from dataclasses import dataclass

import numpy as np

from workbench.emergence.estimators import JEFFREYS, instance_posteriors
from workbench.emergence.logs import PassUntilLogs


@dataclass(frozen=True)
class SamplingPlan:
    """Passes to wait for per instance and the attempts that costs.

    Attributes
    ----------
    passes : int
        Sample each instance until this many passes.
    expected_attempts : ndarray
        Mean attempts per instance, ``passes / p_i`` (capped by ``budget`` if given).
    total_attempts : float
        Sum over instances.
    rel_precision : float
        The relative standard error of PU the plan achieves.
    """

    passes: int
    expected_attempts: np.ndarray
    total_attempts: float
    rel_precision: float


def relative_precision(p, passes: int) -> float:
    """Relative standard error of the mean unbiased estimate with ``passes`` per instance."""
    p = np.asarray(p, dtype=float)
    if passes < 3:
        return np.inf
    return float(np.sqrt(np.sum(p**2 * (1 - p)) / (passes - 2)) / np.sum(p))


def plan_sampling(
    p_guess,
    rel_precision: float = 0.1,
    *,
    n_instances: int | None = None,
    budget: int | None = None,
    prior: tuple[float, float] = JEFFREYS,
) -> SamplingPlan:
    """Passes per instance and expected attempts to estimate PU to ``rel_precision``.

    Parameters
    ----------
    p_guess : float, array or PassUntilLogs
        Guessed pass rates per instance (a scalar is repeated ``n_instances`` times), or pilot
        logs of one model size, whose instances' posterior means (Beta ``prior``) are used.
    rel_precision : float
        Target relative standard error of PU, e.g. 0.1 for ±10 %.
    n_instances : int, optional
        Number of instances when ``p_guess`` is a scalar.
    budget : int, optional
        Attempt cap per instance; only bounds the expected cost (capped instances become
        censored and the precision is then not guaranteed).
    """
    p = _guesses(p_guess, n_instances, prior)
    if not 0 < rel_precision < 1:
        raise ValueError(f"rel_precision must lie in (0, 1), got {rel_precision}")
    # relative_precision(p, r) = base / sqrt(r - 2): solve for r.
    base = np.sqrt(np.sum(p**2 * (1 - p))) / np.sum(p)
    passes = max(3, int(np.ceil((base / rel_precision) ** 2 + 2)))
    expected = passes / p
    if budget is not None:
        expected = np.minimum(expected, budget)
    return SamplingPlan(passes, expected, float(expected.sum()), relative_precision(p, passes))


def _guesses(p_guess, n_instances, prior) -> np.ndarray:
    if isinstance(p_guess, PassUntilLogs):
        if p_guess.sizes.size != 1:
            raise ValueError("pilot logs for planning must come from one model size")
        return instance_posteriors(p_guess, prior=prior)["mean"].to_numpy()
    p = np.atleast_1d(np.asarray(p_guess, dtype=float))
    if p.size == 1 and n_instances is not None:
        p = np.full(n_instances, p[0])
    if not np.all((p > 0) & (p < 1)):
        raise ValueError("guessed pass rates must lie strictly between 0 and 1")
    return p
