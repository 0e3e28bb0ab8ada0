r"""Is a task's emergence accelerated, plain or sub-scaling?

Hu et al. fit the task-level law :math:`F(N) = \log(-\log PU(N)) = \log c - \alpha \log N`.
A *plain* task has F linear in log N; *accelerated* emergence bends F down (concave: PU rises
faster than any one power law predicts, as when a second "circuit" takes over); *sub-scaling*
bends it up (convex).

The test here asks the data, not a model:

1. per model size, draws of the pooled pass rate from its conjugate posterior
   Beta(a + Σr, b + ΣK − Σr) (the quantity the task-level laws model; it equals PU when the
   instances share a pass rate, and is the Σr/ΣK-weighted rate otherwise);
2. per draw, F at each observed size, and a weighted least-squares quadratic
   :math:`F \approx f_0 + s z + \kappa z^2` in standardized log N, z, each size weighted by
   the inverse posterior variance of its F (generalized least squares);
3. the relative curvature :math:`\kappa_{rel} = \kappa / |s|`, whose posterior gives
   P(accelerated) = P(κ_rel < −τ), P(plain) = P(|κ_rel| ≤ τ), P(sub-scaling) = P(κ_rel > τ).

The weights give the test its power. An unweighted fit lets a size with a few passes (or none,
when a budget censors it) move κ_rel as much as a size with a hundred: on straight task laws with
six sizes over two decades and 100 instances it called 3 of 10 seeds "plain" when the smallest
sizes were censored (slope 0.8, cap 1000 attempts) and gave κ_rel a posterior sd of 0.042 when
nothing was censored; the weighted fit calls 10 of 10 "plain" in both and has sd 0.029.

**The equivalence region** |κ_rel| ≤ :data:`TAU` is what "plain" means: across ±1 sd of log N
the slope of F changes by less than ±30 % of itself (dF/dz = s + 2κz). :data:`TAU` = 0.15 was
chosen by simulation (``tests/emergence/test_emergence.py``): on the designs above a linear F
gives weighted-fit medians within ±0.08, and two-circuit tasks whose slope grows seven-fold or
2.7-fold give κ_rel near −0.4 or −0.2; 0.15 leaves margin for both. The region only names the
shape: predictions never depend on it, since
:class:`~workbench.emergence.mixture.TaskLawMixture` weighs the laws by PSIS-LOO stacking.

A verdict needs one class with posterior probability ≥ ``decision_prob`` (0.9), else it is
"undetermined", and the text says how many instances (or sizes) would decide it, from
:func:`required_factor`: the posterior sd of κ_rel shrinks about as 1/sqrt(instances), since
each instance adds one pass per size under first-pass sampling, and about as 1/sqrt(sizes) for
more sizes over the same range.

References
----------
Hu et al. (2023), "Unlock Predictable Scaling from Emergent Abilities", arXiv:2310.03262.
"""

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from workbench.emergence.estimators import JEFFREYS
from workbench.emergence.logs import PassUntilLogs, read_passuntil
from workbench.emergence.mixture import LABELS, TaskLawMixture

TAU = 0.15
DECISION_PROB = 0.9
# Past this many times the current instances, :func:`required_factor` gives up: the curvature
# sits too close to ±τ for any practical design to decide.
MAX_DESIGN_FACTOR = 100.0
# The design advice aims at a verdict in this share of repeated experiments.
DESIGN_POWER = 0.8


@dataclass(frozen=True)
class EmergenceVerdict:
    """The outcome of :func:`emergence_test`.

    Attributes
    ----------
    verdict : {"accelerated", "plain", "subscaling", "undetermined"}
    p_accelerated, p_plain, p_subscaling : float
        Posterior probabilities of κ_rel < −τ, |κ_rel| ≤ τ and κ_rel > τ.
    loo : DataFrame or None
        ``az.compare`` of the three task laws; None when not asked for.
    text : str
        A plain-language sentence citing the numbers; for "undetermined", what design would
        decide.
    curvature : ndarray
        Posterior draws of κ_rel.
    tau : float
    mixture : TaskLawMixture or None
        The stacking mixture of the task laws behind ``loo``, for predictions.
    required_instances, required_sizes : int or None
        For "undetermined": instances per size (at the current sizes), or sizes over the same
        range (at the current instances), that would likely give a verdict
        (:func:`required_factor`); None when decided, or when no practical design would.
    """

    verdict: str
    p_accelerated: float
    p_plain: float
    p_subscaling: float
    loo: pd.DataFrame | None
    text: str
    curvature: np.ndarray
    tau: float
    mixture: TaskLawMixture | None = None
    required_instances: int | None = None
    required_sizes: int | None = None

    @property
    def weights(self) -> pd.Series | None:
        """The mixture's stacking weights by label, or None without the comparison."""
        return None if self.mixture is None else self.mixture.weights_

    def to_dict(self) -> dict:
        """JSON-ready: the verdict, each class's probability, the stacking weights, the design
        that would decide an undetermined verdict and the verdict in words."""
        weights = self.weights
        return {
            "verdict": self.verdict,
            "p_accelerated": self.p_accelerated,
            "p_plain": self.p_plain,
            "p_subscaling": self.p_subscaling,
            "weights": None if weights is None else weights.to_dict(),
            "required_instances": self.required_instances,
            "required_sizes": self.required_sizes,
            "text": self.text,
        }


def curvature_draws(
    logs: PassUntilLogs,
    *,
    prior: tuple[float, float] = JEFFREYS,
    n_draws: int = 4000,
    random_seed: int | None = 0,
) -> np.ndarray:
    """Posterior draws of κ_rel: the quadratic over the linear coefficient of F in z = std log N,
    fitted by least squares weighted with each size's inverse posterior variance of F."""
    pooled = read_passuntil(logs).pooled()
    if len(pooled) < 3:
        raise ValueError("the emergence test needs at least three model sizes")
    rng = np.random.default_rng(random_seed)
    a, b = prior
    passes, attempts = pooled["passes"].to_numpy(), pooled["attempts"].to_numpy()
    rates = rng.beta(a + passes, b + attempts - passes, size=(n_draws, passes.size))
    rates = np.clip(rates, 1e-300, 1 - 1e-16)
    curve = np.log(-np.log(rates))  # draws × sizes
    root_weight = 1.0 / curve.std(axis=0)
    log_n = np.log(pooled["N"].to_numpy(dtype=float))
    z = (log_n - log_n.mean()) / log_n.std()
    design = np.column_stack([np.ones_like(z), z, z**2])
    coefficients, *_ = np.linalg.lstsq(
        design * root_weight[:, None], (curve * root_weight).T, rcond=None
    )
    return coefficients[2] / np.abs(coefficients[1])


def class_probabilities(kappa: np.ndarray, tau: float) -> dict[str, float]:
    """P(accelerated), P(plain), P(sub-scaling) from draws of κ_rel."""
    return {
        "accelerated": float(np.mean(kappa < -tau)),
        "plain": float(np.mean(np.abs(kappa) <= tau)),
        "subscaling": float(np.mean(kappa > tau)),
    }


def required_factor(kappa: np.ndarray, tau: float, decision_prob: float) -> float | None:
    """How many times the current instances (or sizes) would give a verdict with probability
    :data:`DESIGN_POWER`, if the curvature is what it looks like now.

    With f times the instances the posterior of κ_rel narrows about its median by 1/sqrt(f),
    and a new experiment's median lands within about ±sd/sqrt(f) of it. So the draws are
    shrunk by 1/sqrt(f) and moved towards the nearer edge of the median's class by
    Φ⁻¹(power)·sd/sqrt(f); f is the smallest for which that class still reaches
    ``decision_prob``. None when no f up to :data:`MAX_DESIGN_FACTOR` does: the median sits
    (nearly) on ±τ.
    """
    median, spread = float(np.median(kappa)), float(np.std(kappa))
    target = "accelerated" if median < -tau else "subscaling" if median > tau else "plain"
    edges = {"accelerated": -tau, "subscaling": tau, "plain": tau if median >= 0 else -tau}
    towards_edge = np.sign(edges[target] - median)
    for factor in np.geomspace(1.0, MAX_DESIGN_FACTOR, 400):
        scale = 1.0 / math.sqrt(factor)
        shift = towards_edge * stats.norm.ppf(DESIGN_POWER) * spread * scale
        shrunk = median + shift + (kappa - median) * scale
        if class_probabilities(shrunk, tau)[target] >= decision_prob:
            return float(factor)
    return None


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
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> EmergenceVerdict:
    """Classify a task's F(N) = log(−log PU) as accelerated, plain or sub-scaling.

    Parameters
    ----------
    data : PassUntilLogs, a fitted model with ``logs_``, or a source for ``read_passuntil``
    tau : float
        Half-width of the equivalence region of |κ_rel| that counts as plain (module
        docstring, :data:`TAU`).
    decision_prob : float
        Posterior probability a class needs to be the verdict.
    compare : bool
        Also fit the plain, accelerated and sub-scaling task laws, compare them by PSIS-LOO and
        keep their stacking mixture (:class:`~workbench.emergence.mixture.TaskLawMixture`).
    sampler : dict, optional
        nutpie options for those fits.
    progress, cancel : optional
        The fits' progress (the finished fraction of the three) and cancellation, as for
        :meth:`TaskLawMixture.fit`.
    """
    logs = data.logs_ if hasattr(data, "logs_") else read_passuntil(data)
    kappa = curvature_draws(logs, prior=prior, n_draws=n_draws, random_seed=random_seed)
    probabilities = class_probabilities(kappa, tau)
    best = max(probabilities, key=probabilities.get)
    verdict = best if probabilities[best] >= decision_prob else "undetermined"
    factor = required_factor(kappa, tau, decision_prob) if verdict == "undetermined" else None
    design = None
    if factor is not None:
        design = (math.ceil(len(logs.instances) * factor), math.ceil(logs.sizes.size * factor))
    mixture = (
        TaskLawMixture(sampler=sampler).fit(
            logs, random_seed=random_seed, progress=progress, cancel=cancel
        )
        if compare
        else None
    )
    text = _describe(verdict, probabilities, kappa, tau, logs, factor, design, mixture)
    return EmergenceVerdict(
        verdict,
        probabilities["accelerated"],
        probabilities["plain"],
        probabilities["subscaling"],
        None if mixture is None else mixture.loo_,
        text,
        kappa,
        tau,
        mixture,
        *(design or (None, None)),
    )


def _describe(verdict, probabilities, kappa, tau, logs, factor, design, mixture) -> str:
    numbers = (
        f"P(accelerated) = {probabilities['accelerated']:.2f}, "
        f"P(plain) = {probabilities['plain']:.2f}, "
        f"P(sub-scaling) = {probabilities['subscaling']:.2f} "
        f"(relative curvature of log(-log PU) in log N: median {np.median(kappa):+.2f}, "
        f"sd {np.std(kappa):.2f}, plain within ±{tau:g})"
    )
    lead = {
        "accelerated": "Emergence is accelerated: PU rises faster than one power law allows",
        "plain": "Scaling is plain: one task-level power law describes PU",
        "subscaling": "Scaling is sub-scaling: PU rises slower than one power law predicts",
        "undetermined": "The data cannot tell accelerated, plain and sub-scaling apart",
    }[verdict]
    text = f"{lead}; {numbers}."
    if verdict == "undetermined":
        text += " " + _design_text(kappa, tau, logs, factor, design)
    if mixture is not None:
        text += f" PSIS-LOO stacking weights of the task laws: {mixture.weights_text()}."
        text += _disagreement(verdict, mixture)
    return text


def _disagreement(verdict, mixture) -> str:
    """A sentence when the stacking weights favour another law than the verdict names."""
    favoured = mixture.weights_.idxmax()
    if verdict == "undetermined" or favoured == verdict:
        return ""
    named = mixture.loo_.loc[mixture.fits_[verdict].name]
    return (
        f" The weights favour the {LABELS[favoured]} law although the verdict is "
        f"{LABELS[verdict]}: PSIS-LOO puts the {LABELS[verdict]} law "
        f"{-named['elpd_diff']:.1f} ± {named['dse']:.1f} below it in ELPD, and predictions mix "
        "the laws by these weights."
    )


def _design_text(kappa, tau, logs, factor, design) -> str:
    if design is None:
        return (
            f"The design cannot support a verdict: the curvature sits at the edge of the plain "
            f"region (±{tau:g}), where even {MAX_DESIGN_FACTOR:g} times the instances would "
            "likely not settle it."
        )
    instances, sizes = design
    return (
        f"The design cannot support a verdict: the curvature's posterior sd is "
        f"{np.std(kappa):.3f}. About {instances} instances per size (now "
        f"{len(logs.instances)}), or about {sizes} sizes over the same range (now "
        f"{logs.sizes.size}), would shrink it to {np.std(kappa) / math.sqrt(factor):.3f} and "
        f"give a verdict in about {DESIGN_POWER:.0%} of such experiments if the curvature is "
        f"near its median {np.median(kappa):+.2f} (the sd shrinks about as 1/sqrt(instances))."
    )
