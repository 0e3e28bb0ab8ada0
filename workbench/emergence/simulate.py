r"""Simulated PassUntil logs from known laws, for tests, benchmarks and planning.

Each instance i of a task has a pass rate that grows with model size N as

.. math::

    p_i(N) = \exp(-c_i N^{-\alpha_i}),

and is sampled until its first pass (or ``passes`` passes), stopping at a budget cap; an instance
that reaches the cap without a pass is logged with r = 0 and K = cap (censored).
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from workbench.emergence.logs import PassUntilLogs


@dataclass(frozen=True)
class InstanceLaw:
    """Population of per-instance laws: log c_i ~ Normal(mu_log_c, sd_log_c), α_i ~ Normal(...).

    ``reference_N`` is where ``log c`` is measured: log(−log p_i(N)) = log c_i − α_i·log(N/N_ref).
    With the default 1 this is the paper's c_i; a reference inside the data's range keeps the
    population's spread in log c and α from being dominated by α's spread times log N.
    """

    mu_log_c: float
    sd_log_c: float
    mu_alpha: float
    sd_alpha: float
    reference_N: float = 1.0


def pass_rate(log_c, alpha, N, reference_N: float = 1.0) -> np.ndarray:
    """exp(−c·(N/N_ref)^−α), broadcast; computed as exp(−exp(log c − α·log(N/N_ref)))."""
    return np.exp(-np.exp(np.asarray(log_c) - np.asarray(alpha) * np.log(N / reference_N)))


def sample_until_pass(p, budget: int | None, rng: np.random.Generator, passes: int = 1):
    """Attempts K and passes r when sampling until ``passes`` passes or ``budget`` attempts."""
    p = np.asarray(p, dtype=float)
    cap = np.iinfo(np.int64).max // 4 if budget is None else int(budget)
    # Below 1e-12 NumPy cannot draw; such rates never pass within any practical budget.
    possible = p > 1e-12
    safe = np.where(possible, np.clip(p, 1e-12, 1.0), 0.5)
    failures = rng.negative_binomial(passes, safe)
    needed = np.where(possible, failures + passes, cap + 1)
    done = needed <= cap
    attempts = np.where(done, needed, cap).astype(np.int64)
    observed = np.full(p.shape, passes, dtype=np.int64)
    if not done.all():
        # Stopped at the cap: passes in `cap` attempts, given fewer than the target.
        weights = stats.binom.pmf(np.arange(passes)[:, None], cap, safe[~done][None, :])
        weights = np.where(weights.sum(0) > 0, weights, np.eye(passes)[:, :1])
        cumulative = np.cumsum(weights / weights.sum(0), axis=0)
        draws = rng.random(cumulative.shape[1])
        observed[~done] = (draws[None, :] > cumulative).sum(0)
    return attempts, observed


def simulate_passuntil(
    law: "InstanceLaw | Mapping[str, float]",
    sizes: Sequence[float],
    n_instances: int,
    budget: int | None,
    rng: "np.random.Generator | int | None" = None,
    *,
    passes: int = 1,
) -> PassUntilLogs:
    """Logs of ``n_instances`` instances at each size, drawn from a population of laws.

    Parameters
    ----------
    law : InstanceLaw or mapping
        ``mu_log_c``, ``sd_log_c``, ``mu_alpha``, ``sd_alpha`` (and optionally ``reference_N``).
    sizes : sequence of float
        Model sizes N.
    n_instances : int
    budget : int or None
        Attempt cap per instance and size; ``None`` for no cap.
    rng : Generator or seed
    passes : int
        Target passes per instance (1 = stop at the first pass).

    Returns
    -------
    PassUntilLogs
        With ``truth`` holding ``log_c``, ``alpha`` per instance and the ``law``.
    """
    rng = np.random.default_rng(rng)
    law = law if isinstance(law, InstanceLaw) else InstanceLaw(**law)
    log_c = rng.normal(law.mu_log_c, law.sd_log_c, n_instances)
    alpha = rng.normal(law.mu_alpha, law.sd_alpha, n_instances)
    sizes = np.asarray(sizes, dtype=float)
    p = pass_rate(log_c[:, None], alpha[:, None], sizes[None, :], law.reference_N)
    truth = {"log_c": log_c, "alpha": alpha, "reference_N": law.reference_N, "law": asdict(law)}
    return _logs(p, sizes, budget, rng, passes, truth)


def simulate_task(
    terms: Sequence[tuple[float, float]],
    sizes: Sequence[float],
    n_instances: int,
    budget: int | None,
    rng: "np.random.Generator | int | None" = None,
    *,
    reference_N: float = 1.0,
    passes: int = 1,
) -> PassUntilLogs:
    r"""Identical instances following a task-level law with one or more circuits.

    .. math::

        PU(N) = \max_k \exp(-c_k (N/N_{ref})^{-\alpha_k})

    One term ``[(log_c, alpha)]`` gives a *plain* task (F = log(−log PU) linear in log N); two
    terms give F = min of two lines, a *concave* F (accelerated emergence).
    """
    rng = np.random.default_rng(rng)
    sizes = np.asarray(sizes, dtype=float)
    curve = task_pass_rate(terms, sizes, reference_N)
    p = np.broadcast_to(curve, (n_instances, sizes.size))
    truth = {"terms": [tuple(map(float, term)) for term in terms], "reference_N": reference_N}
    return _logs(p, sizes, budget, rng, passes, truth)


def task_pass_rate(terms, N, reference_N: float = 1.0) -> np.ndarray:
    """max_k exp(−c_k (N/N_ref)^−α_k) at each N."""
    N = np.asarray(N, dtype=float)
    return np.max([pass_rate(log_c, alpha, N, reference_N) for log_c, alpha in terms], axis=0)


def true_pu(logs: PassUntilLogs, N) -> np.ndarray:
    """The true PU (mean of the instances' pass rates) at sizes N, for simulated logs."""
    truth = logs.truth
    if truth is None:
        raise ValueError("these logs carry no truth: only simulated logs do")
    N = np.atleast_1d(np.asarray(N, dtype=float))
    if "terms" in truth:
        return task_pass_rate(truth["terms"], N, truth["reference_N"])
    p = pass_rate(
        truth["log_c"][:, None], truth["alpha"][:, None], N[None, :], truth["reference_N"]
    )
    return p.mean(axis=0)


def _logs(p, sizes, budget, rng, passes, truth) -> PassUntilLogs:
    n_instances = p.shape[0]
    attempts, observed = sample_until_pass(p, budget, rng, passes)
    frame = pd.DataFrame(
        {
            "model": np.repeat([f"N={size:.3g}" for size in sizes], n_instances),
            "N": np.repeat(sizes, n_instances),
            "instance": np.tile([f"i{index:04d}" for index in range(n_instances)], sizes.size),
            "attempts": attempts.T.reshape(-1),
            "passes": observed.T.reshape(-1),
            "max_attempts": np.nan if budget is None else float(budget),
        }
    )
    return PassUntilLogs(frame, MappingProxyType(truth))
