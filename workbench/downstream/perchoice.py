r"""Per-choice probability laws of multiple-choice tasks, and accuracy simulated from them: the
pure math (NumPy), apart from the PyMC model in :mod:`workbench.downstream.perchoice_fit`.

Schaeffer et al. trace the unpredictability of downstream accuracy to its being a comparison:
accuracy is the chance that the correct choice's log-likelihood beats every incorrect one's, so it
depends on how the probability mass on the *incorrect* choices moves with compute, not only on
the mass on the correct one. Here every item ``i`` gets straight lines in
:math:`x = \log_{10} C` (centred on the fitted models), for the log-odds of its correct choice
against everything outside the choices and for its margins, the correct choice's log-likelihood
minus each incorrect choice's:

.. math::

    \log \frac{p_{\text{correct},i}}{p_{\text{rest},i}}(C) &= a_i + b_i x, \\
    \ell_{\text{correct},i} - \ell_{ij} &= o_{ij} + s_{ij} x \quad (j \text{ incorrect}),

with :math:`p_\text{rest} = 1 - \sum_k p_k`. Together they fix every choice's probability, one
softmax that moves coherently with compute: the mass on the correct choice and on the incorrect
ones follow from them, and the margins alone decide accuracy. Offsets and slopes are partially
pooled across items (a bivariate normal per law), and each model scatters around its lines with
noise :math:`\sigma`; the margins of an item share the correct choice's scatter, so they
correlate by one half. Accuracy at a compute :math:`C` is then simulated, not fitted:

.. math::

    \mathrm{acc}(C) = \frac{1}{I}\sum_i \mathbb{1}\big[\min_j (o_{ij} + s_{ij}x
    + \varepsilon_{ij}) > 0\big],

once per posterior draw of the items' lines and a fresh model's scatter.

No public per-choice log-likelihoods by model size were found, so
:func:`simulate_choice_loglikelihoods` generates them from a softmax over the choices (and the
rest of the vocabulary) whose logits move with compute; for a subset of items one distractor
gains faster than the correct answer, the situation Schaeffer et al. describe.

References
----------
Schaeffer et al. (2024), "Why has predicting downstream capabilities from frontier AI models
with scale remained elusive?", arXiv:2406.04391.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

LAWS = ("correct", "margin")
"""The laws: the correct choice's log-odds against the rest of the vocabulary, and the margins."""
SIMULATED_COMPUTE = tuple(float(c) for c in np.geomspace(1e19, 1e23, 13))
SIMULATED_CENTRE = 21.0
"""log10 of the compute at which the simulated items' logits take their offsets."""


@dataclass(frozen=True)
class SimulatedTask:
    """How the simulated items' logits (against the rest of the vocabulary) move with compute:
    ``correct_slope`` and ``incorrect_slope`` per decade for the correct choice and ordinary
    distractors; on a ``trap_share`` of the items one distractor gains ``trap_slope`` per decade
    instead, starting ``trap_offset`` behind the other distractors. The rest of the vocabulary
    loses ``focus_slope`` per decade against every choice, as larger models put more of their
    mass on the answer options. ``noise`` is each model's scatter of every logit."""

    items: int = 300
    choices: int = 4
    correct_lead: float = 1.2
    correct_slope: float = 0.9
    incorrect_slope: float = 0.3
    trap_share: float = 0.5
    trap_slope: float = 3.0
    trap_offset: float = -2.0
    focus_slope: float = 0.5
    offset_sd: float = 1.0
    noise: float = 0.25


DEFAULT_TASK = SimulatedTask()


def simulate_choice_loglikelihoods(
    compute: Sequence[float] = SIMULATED_COMPUTE,
    task: SimulatedTask = DEFAULT_TASK,
    random_seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated multiple-choice log-likelihoods: ``(targets, loglikelihoods)`` with targets of
    shape (items,) and log-likelihoods of shape (models, items, choices).

    Each choice's probability is a softmax of its logit against the rest of the vocabulary,
    computed in log space without clipping.
    """
    rng = np.random.default_rng(random_seed)
    x = np.log10(np.asarray(compute, dtype=float)) - SIMULATED_CENTRE
    targets = rng.integers(task.choices, size=task.items)
    offsets = rng.normal(-1.0, task.offset_sd, size=(task.items, task.choices))
    slopes = np.full((task.items, task.choices), task.incorrect_slope)
    rows = np.arange(task.items)
    offsets[rows, targets] += task.correct_lead
    slopes[rows, targets] = task.correct_slope
    trapped = rows[rng.random(task.items) < task.trap_share]
    trap = (targets[trapped] + rng.integers(1, task.choices, size=trapped.size)) % task.choices
    offsets[trapped, trap] += task.trap_offset
    slopes[trapped, trap] = task.trap_slope
    logits = offsets + slopes * x[:, None, None]
    logits = logits + task.noise * rng.standard_normal(logits.shape)
    rest = np.broadcast_to(-task.focus_slope * x[:, None, None], (*logits.shape[:2], 1))
    return targets, logits - logsumexp(np.concatenate([logits, rest], axis=-1), axis=-1)[..., None]


def law_series(targets: np.ndarray, loglikelihoods: np.ndarray) -> dict[str, np.ndarray]:
    """What each law sees, item by item: shape (items, series, models).

    ``correct``: the log-odds of the correct choice against the rest of the vocabulary (inf
    where the choices hold all the mass); ``margin``: the correct choice's log-likelihood minus
    each incorrect choice's, the incorrect choices in the order of the log.
    """
    models, items, choices = loglikelihoods.shape
    rows = np.arange(items)
    correct = loglikelihoods[:, rows, targets]
    others = np.ones((items, choices), dtype=bool)
    others[rows, targets] = False
    incorrect = loglikelihoods[:, others].reshape(models, items, choices - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = np.log(-np.expm1(logsumexp(loglikelihoods, axis=-1)))
    series = {"correct": (correct - rest)[..., None], "margin": correct[..., None] - incorrect}
    return {name: np.moveaxis(value, 0, -1) for name, value in series.items()}


def accuracy_of(loglikelihoods: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Each model's accuracy: the share of items whose correct choice has the largest
    log-likelihood (lm-evaluation-harness's ``acc``)."""
    return np.mean(np.argmax(loglikelihoods, axis=-1) == targets, axis=-1)


def design(x: np.ndarray) -> np.ndarray:
    """Rows (1, x): a line's offset and slope."""
    return np.stack([np.ones_like(x), x], axis=-1)


def line_covariance(offset_sd, slope_sd, correlation) -> np.ndarray:
    """The 2 × 2 covariance of an item's (offset, slope), broadcast over leading axes."""
    covariance = offset_sd * slope_sd * correlation
    return np.stack(
        [np.stack([offset_sd**2, covariance], -1), np.stack([covariance, slope_sd**2], -1)], -2
    )


def noise_pattern(law: str, series: int) -> np.ndarray:
    """The correlation of an item's series' scatter: the margins share the correct choice's
    scatter, so any two of an item's margins correlate by one half; the choices' own logits
    scatter independently."""
    return (np.eye(series) + 1.0) / 2.0 if law == "margin" else np.eye(series)


def draw_lines(
    observed: np.ndarray,
    x: np.ndarray,
    hyper: dict[str, np.ndarray],
    pattern: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Posterior draws of every item's lines given the law's hyperparameter draws.

    ``observed`` has shape (items, series, models); ``hyper`` holds draws of ``offset_mean``,
    ``slope_mean``, ``offset_sd``, ``slope_sd``, ``correlation`` and ``noise``; ``pattern`` is
    the correlation of an item's scatter (:func:`noise_pattern`). Lines are normal
    given them (a conjugate linear model), so each item's posterior is exact. Returns (draws,
    items, series, 2): offset and slope.
    """
    items, series, _ = observed.shape
    features = design(x)  # (models, 2)
    results = []
    for draw in range(len(hyper["noise"])):
        prior_mean = np.array([hyper["offset_mean"][draw], hyper["slope_mean"][draw]])
        prior_cov = line_covariance(
            hyper["offset_sd"][draw], hyper["slope_sd"][draw], hyper["correlation"][draw]
        )
        # Per item the unknowns are (series × 2) and the data (series × models); the noise
        # covariance is noise² · pattern ⊗ I, so its inverse is pattern⁻¹ ⊗ I / noise².
        noise_precision = np.linalg.inv(pattern) / hyper["noise"][draw] ** 2
        data_precision = np.kron(noise_precision, features.T @ features)
        prior_precision = np.kron(np.eye(series), np.linalg.inv(prior_cov))
        covariance = np.linalg.inv(data_precision + prior_precision)
        # X'S⁻¹y for every item: (items, series, 2).
        projected = np.einsum("st,itm,mk->isk", noise_precision, observed, features)
        shift = (prior_precision @ np.tile(prior_mean, series))[None, :] + projected.reshape(
            items, -1
        )
        mean = shift @ covariance
        noise = rng.standard_normal((items, 2 * series)) @ np.linalg.cholesky(covariance).T
        results.append((mean + noise).reshape(items, series, 2))
    return np.stack(results)


def choice_masses(
    correct_lines: np.ndarray,
    margin_lines: np.ndarray,
    noise: dict[str, np.ndarray],
    x: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """A fresh model's mean over items of the probability on the correct choice
    (``p_correct``) and on the incorrect ones together (``p_incorrect``), its scatter included
    (the mean of a softmax is not the softmax of the mean): each (draws, len(x)).

    The incorrect choices' log-odds against the rest are the correct one's minus the margins.
    """
    root = np.linalg.cholesky(noise_pattern("margin", margin_lines.shape[2]))
    masses = {"p_correct": [], "p_incorrect": []}
    for point in np.atleast_1d(np.asarray(x, dtype=float)):
        correct = correct_lines[..., 0] + correct_lines[..., 1] * point  # (draws, items, 1)
        correct = correct + noise["correct"][:, None, None] * rng.standard_normal(correct.shape)
        margins = margin_lines[..., 0] + margin_lines[..., 1] * point  # (draws, items, series)
        scatter = rng.standard_normal(margins.shape) @ root.T
        incorrect = correct - margins - noise["margin"][:, None, None] * scatter
        rest = np.zeros_like(correct)
        normaliser = logsumexp(np.concatenate([rest, correct, incorrect], axis=2), axis=2)
        masses["p_correct"].append(np.exp(correct[..., 0] - normaliser).mean(axis=1))
        incorrect_mass = np.exp(logsumexp(incorrect, axis=2) - normaliser)
        masses["p_incorrect"].append(incorrect_mass.mean(axis=1))
    return {name: np.stack(values, axis=-1) for name, values in masses.items()}


def simulate_accuracy(
    margin_lines: np.ndarray, noise: np.ndarray, x: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Accuracy of a fresh model at each x, per posterior draw: the share of items whose every
    margin, its line plus the model's scatter, is positive. Shape (draws, len(x))."""
    root = np.linalg.cholesky(noise_pattern("margin", margin_lines.shape[2]))
    accuracy = []
    for point in np.atleast_1d(np.asarray(x, dtype=float)):
        margins = margin_lines[..., 0] + margin_lines[..., 1] * point  # (draws, items, series)
        scatter = rng.standard_normal(margins.shape) @ root.T
        margins = margins + noise[:, None, None] * scatter
        accuracy.append(np.mean(np.all(margins > 0, axis=2), axis=1))
    return np.stack(accuracy, axis=-1)
