r"""Closed-form PassUntil estimators in NumPy: the paper's PU, an unbiased variant, censoring
bounds and conjugate Beta posteriors per instance.

Under PassUntil each instance is sampled until it passes (or until ``r`` passes, or a budget cap),
so the number of attempts ``K`` is random and ``r`` is fixed by design. That matters:

* the paper's per-instance estimate ``r/K`` is biased *upward* when sampling stops at the first
  pass. With ``K ~ Geometric(p)``,

  .. math::

      \mathbb{E}[1/K] = \frac{p \log(1/p)}{1 - p} > p,

  about 0.047 for p = 0.01, nearly five times too large;
* for ``r >= 2`` passes the estimate ``(r - 1)/(K - 1)`` is unbiased (Haldane 1945);
* an instance that reached the cap with no pass is right-censored: it gives an upper bound on p
  (here the one-sided 95 % bound ``1 - 0.05^(1/K)``), never p = 0 and never p = 1/K.

References
----------
Hu et al. (2023), "Unlock Predictable Scaling from Emergent Abilities", arXiv:2310.03262.
Haldane (1945), "On a method of estimating frequencies", Biometrika 33(3).
"""

import numpy as np
import pandas as pd
from scipy import stats

from workbench.emergence.logs import read_passuntil
from workbench.intervals import interval_names, resolve_ci_prob

UPPER_BOUND_PROB = 0.95
JEFFREYS = (0.5, 0.5)


def censored_upper_bound(attempts, prob: float = UPPER_BOUND_PROB) -> np.ndarray:
    """One-sided upper bound on p after ``attempts`` failures: ``1 - (1 - prob)^(1/K)``."""
    return 1.0 - (1.0 - prob) ** (1.0 / np.asarray(attempts, dtype=float))


def instance_estimates(logs) -> pd.DataFrame:
    """Per-instance estimates with censoring made explicit.

    Columns: the log's columns plus ``censored``, ``pu`` (r/K; NaN when censored),
    ``unbiased`` ((r−1)/(K−1) for r ≥ 2, else NaN) and ``upper_95`` (the 95 % upper bound on p
    of a censored instance; NaN otherwise).
    """
    logs = read_passuntil(logs)
    attempts, passes, censored = (
        logs.attempts.astype(float),
        logs.passes.astype(float),
        logs.censored,
    )
    frame = logs.frame.copy()
    frame["censored"] = censored
    frame["pu"] = np.where(censored, np.nan, passes / attempts)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["unbiased"] = np.where(passes >= 2, (passes - 1) / (attempts - 1), np.nan)
    frame["upper_95"] = np.where(censored, censored_upper_bound(attempts), np.nan)
    return frame


def passuntil_estimate(logs) -> pd.DataFrame:
    """The paper's PU per model size: r/K per instance, averaged over instances.

    Censored instances are not averaged in silently. ``pu`` is NaN at a size with any censored
    instance; ``pu_low`` counts them as p = 0 and ``pu_high`` at their 95 % upper bound, so the
    true PU (up to the 95 % bounds and the r/K bias) lies in ``[pu_low, pu_high]``.

    Returns
    -------
    DataFrame
        One row per N: ``N``, ``instances``, ``censored``, ``pu``, ``pu_low``, ``pu_high``.
    """
    frame = instance_estimates(logs)
    frame["low"] = frame["pu"].fillna(0.0)
    frame["high"] = frame["pu"].fillna(frame["upper_95"])
    table = frame.groupby("N", sort=True).agg(
        instances=("instance", "size"),
        censored=("censored", "sum"),
        pu_low=("low", "mean"),
        pu_high=("high", "mean"),
    )
    table.insert(2, "pu", np.where(table["censored"] == 0, table["pu_low"], np.nan))
    return table.reset_index()


def unbiased_estimate(logs) -> pd.DataFrame:
    r"""Mean over instances of the unbiased (r − 1)/(K − 1) per model size.

    Exact for the sample-until-r-passes design with r ≥ 2 (Haldane 1945); instances with fewer
    than two passes cannot use it and are counted in ``excluded`` (their mean is then over the
    rest, which is no longer PU when they differ). For a fixed number of samples (aggregated
    counts) r/K itself is unbiased; use :func:`passuntil_estimate` there.

    Why not r/K: when sampling stops at the first pass (r = 1), K is geometric and

    .. math::

        \mathbb{E}[r/K] = \mathbb{E}[1/K] = \frac{p \log(1/p)}{1 - p} > p .
    """
    frame = instance_estimates(logs)
    table = frame.groupby("N", sort=True).agg(
        instances=("instance", "size"),
        excluded=("unbiased", lambda column: int(column.isna().sum())),
        pu=("unbiased", "mean"),
    )
    return table.reset_index()


def instance_posteriors(
    logs, prior: tuple[float, float] = JEFFREYS, ci_prob: float | None = None
) -> pd.DataFrame:
    r"""Conjugate Beta posterior of each instance's pass rate, in closed form.

    .. math::

        p \mid r, K \sim \mathrm{Beta}(a + r,\; b + K - r)

    The likelihood of (r, K) is proportional to :math:`p^r (1 - p)^{K - r}` whether K was fixed
    (binomial), sampling stopped at the r-th pass (negative binomial) or at a budget cap: the
    stopping rule only changes a constant factor (the stopping-rule principle), so the same
    posterior holds for all PassUntil designs, censored instances included (r = 0).

    Parameters
    ----------
    logs : PassUntilLogs or source accepted by :func:`read_passuntil`
    prior : (a, b)
        Beta prior; Jeffreys' (0.5, 0.5) by default.
    ci_prob : float, optional
        Central interval probability; the project's credible level by default.

    Returns
    -------
    DataFrame
        The log's columns plus ``censored``, ``alpha_post``, ``beta_post``, ``mean`` and
        ``ci_low_<100·prob>`` / ``ci_high_<100·prob>``.
    """
    logs = read_passuntil(logs)
    a, b = (float(value) for value in prior)
    if a <= 0 or b <= 0:
        raise ValueError(f"Beta prior parameters must be positive, got {prior}")
    frame = logs.frame.copy()
    frame["censored"] = logs.censored
    frame["alpha_post"] = a + logs.passes
    frame["beta_post"] = b + logs.attempts - logs.passes
    frame["mean"] = frame["alpha_post"] / (frame["alpha_post"] + frame["beta_post"])
    ci_prob = resolve_ci_prob(ci_prob)
    tail = (1 - ci_prob) / 2
    for name, q in zip(interval_names(ci_prob), (tail, 1 - tail), strict=True):
        frame[name] = stats.beta.ppf(q, frame["alpha_post"], frame["beta_post"])
    return frame


def geometric_inverse_mean(p) -> np.ndarray:
    """E[1/K] for K ~ Geometric(p) on {1, 2, ...}: ``p·log(1/p)/(1 − p)``, the mean of r/K."""
    p = np.asarray(p, dtype=float)
    return p * np.log(1.0 / p) / (1.0 - p)
