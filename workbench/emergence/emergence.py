r"""Is a task's emergence accelerated, plain or sub-scaling?

Hu et al. fit the task-level law :math:`F(N) = \log(-\log PU(N)) = \log c - \alpha \log N`.
A *plain* task has F linear in log N; *accelerated* emergence bends F down (concave: PU rises
faster than any one power law predicts, as when a second "circuit" takes over); *sub-scaling*
bends it up (convex).

The test here asks the data, not a model:

1. per model size, draws of the pooled pass rate from its conjugate posterior
   Beta(a + Σr, b + ΣK − Σr) (the quantity the task-level laws model; it equals PU when the
   instances share a pass rate, and is the Σr/ΣK-weighted rate otherwise);
2. per draw, F at each observed size, and a least-squares quadratic
   :math:`F \approx f_0 + s z + \kappa z^2` in standardized log N, z;
3. the relative curvature :math:`\kappa_{rel} = \kappa / |s|`, whose posterior gives
   P(accelerated) = P(κ_rel < −τ), P(plain) = P(|κ_rel| ≤ τ), P(sub-scaling) = P(κ_rel > τ).

:data:`TAU` = 0.15 was chosen by simulation (``tests/emergence/test_emergence.py``): on six sizes
spanning two decades with 100 instances per size, a linear F gives κ_rel with posterior sd about
0.04 and medians within ±0.08 (τ = 0.1 called only 6 of 10 seeds "plain"), and a
two-circuit F whose slope grows about seven-fold gives κ_rel near −0.4; 0.15 leaves margin for
both. A verdict needs one class with posterior probability ≥ ``decision_prob`` (0.9), else it is
"undetermined". Beside it, PSIS-LOO (``az.compare``) weighs :class:`TaskLawFit` (one line)
against :class:`MultipleCircuitsFit` (the minimum of two lines) on the pooled counts per size.

References
----------
Hu et al. (2023), "Unlock Predictable Scaling from Emergent Abilities", arXiv:2310.03262.
"""

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd

from workbench.emergence.estimators import JEFFREYS
from workbench.emergence.logs import PassUntilLogs, read_passuntil
from workbench.emergence.model import MultipleCircuitsFit, TaskLawFit

TAU = 0.15
DECISION_PROB = 0.9
VERDICTS = ("accelerated", "plain", "subscaling", "undetermined")


@dataclass(frozen=True)
class EmergenceVerdict:
    """The outcome of :func:`emergence_test`.

    Attributes
    ----------
    verdict : {"accelerated", "plain", "subscaling", "undetermined"}
    p_accelerated, p_plain, p_subscaling : float
        Posterior probabilities of κ_rel < −τ, |κ_rel| ≤ τ and κ_rel > τ.
    loo : DataFrame or None
        ``az.compare`` of the task law and the two-circuit law; None when not asked for.
    text : str
        A plain-language sentence citing the numbers.
    curvature : ndarray
        Posterior draws of κ_rel.
    tau : float
    """

    verdict: str
    p_accelerated: float
    p_plain: float
    p_subscaling: float
    loo: pd.DataFrame | None
    text: str
    curvature: np.ndarray
    tau: float


def curvature_draws(
    logs: PassUntilLogs,
    *,
    prior: tuple[float, float] = JEFFREYS,
    n_draws: int = 4000,
    random_seed: int | None = 0,
) -> np.ndarray:
    """Posterior draws of κ_rel, the quadratic over the linear coefficient of F in z = std log N."""
    pooled = read_passuntil(logs).pooled()
    if len(pooled) < 3:
        raise ValueError("the emergence test needs at least three model sizes")
    rng = np.random.default_rng(random_seed)
    a, b = prior
    passes, attempts = pooled["passes"].to_numpy(), pooled["attempts"].to_numpy()
    rates = rng.beta(a + passes, b + attempts - passes, size=(n_draws, passes.size))
    rates = np.clip(rates, 1e-300, 1 - 1e-16)
    curve = np.log(-np.log(rates))  # draws × sizes
    log_n = np.log(pooled["N"].to_numpy(dtype=float))
    z = (log_n - log_n.mean()) / log_n.std()
    design = np.column_stack([np.ones_like(z), z, z**2])
    coefficients, *_ = np.linalg.lstsq(design, curve.T, rcond=None)
    return coefficients[2] / np.abs(coefficients[1])


def emergence_test(
    data,
    *,
    tau: float = TAU,
    decision_prob: float = DECISION_PROB,
    compare: bool = True,
    prior: tuple[float, float] = JEFFREYS,
    n_draws: int = 4000,
    sampler: dict | None = None,
    random_seed: int | None = 0,
) -> EmergenceVerdict:
    """Classify a task's F(N) = log(−log PU) as accelerated, plain or sub-scaling.

    Parameters
    ----------
    data : PassUntilLogs, a fitted model with ``logs_``, or a source for ``read_passuntil``
    tau : float
        Threshold on |κ_rel| (module docstring, :data:`TAU`).
    decision_prob : float
        Posterior probability a class needs to be the verdict.
    compare : bool
        Also fit the task law and the two-circuit law and compare them by PSIS-LOO.
    sampler : dict, optional
        nutpie options for those two fits.
    """
    logs = data.logs_ if hasattr(data, "logs_") else read_passuntil(data)
    kappa = curvature_draws(logs, prior=prior, n_draws=n_draws, random_seed=random_seed)
    probabilities = {
        "accelerated": float(np.mean(kappa < -tau)),
        "plain": float(np.mean(np.abs(kappa) <= tau)),
        "subscaling": float(np.mean(kappa > tau)),
    }
    best = max(probabilities, key=probabilities.get)
    verdict = best if probabilities[best] >= decision_prob else "undetermined"
    loo = compare_task_laws(logs, sampler=sampler, random_seed=random_seed) if compare else None
    text = _describe(verdict, probabilities, float(np.median(kappa)), tau, loo)
    return EmergenceVerdict(
        verdict,
        probabilities["accelerated"],
        probabilities["plain"],
        probabilities["subscaling"],
        loo,
        text,
        kappa,
        tau,
    )


def compare_task_laws(logs, *, sampler=None, random_seed=None) -> pd.DataFrame:
    """PSIS-LOO comparison of the one-line and two-circuit task laws (pointwise per size)."""
    fits = {
        "task_law": TaskLawFit(sampler=sampler).fit(logs, random_seed=random_seed),
        "multiple_circuits": MultipleCircuitsFit(sampler=sampler).fit(
            logs, random_seed=random_seed
        ),
    }
    with warnings.catch_warnings():
        # Six sizes make six LOO points: high Pareto k is expected and is shown in the table.
        warnings.simplefilter("ignore", UserWarning)
        return az.compare({name: fit.idata for name, fit in fits.items()})


def _describe(verdict, probabilities, kappa, tau, loo) -> str:
    numbers = (
        f"P(accelerated) = {probabilities['accelerated']:.2f}, "
        f"P(plain) = {probabilities['plain']:.2f}, "
        f"P(sub-scaling) = {probabilities['subscaling']:.2f} "
        f"(relative curvature of log(-log PU) in log N: median {kappa:+.2f}, threshold ±{tau:g})"
    )
    lead = {
        "accelerated": "Emergence is accelerated: PU rises faster than one power law allows",
        "plain": "Scaling is plain: one task-level power law describes PU",
        "subscaling": "Scaling is sub-scaling: PU rises slower than one power law predicts",
        "undetermined": "The data cannot tell accelerated, plain and sub-scaling apart",
    }[verdict]
    text = f"{lead}; {numbers}."
    if loo is not None:
        best = loo.index[0]
        text += f" PSIS-LOO prefers {best} (stacking weight {float(loo['weight'].iloc[0]):.2f})."
    return text
