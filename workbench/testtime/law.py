r"""Accuracy against model size, generated tokens and samples, and its best allocation at a cost.

One trial solves a problem with probability

.. math::

    p_1 = \sigma\big(a + b_N \log(P / 10^9) + b_L \log(L_\text{out} / 10^3)\big),

logit-linear in log parameters and log generated tokens, as accuracy rises roughly linearly in
log thinking tokens under long chains of thought (Muennighoff et al. 2025, figure 1) and in log
model size. Best-of-n with a verifier that recognises a right answer solves it when any trial
does, the pass@k coverage 1 − (1 − p_1)^n of repeated sampling (Brown et al. 2024):

.. math::

    \mathrm{acc}(P, L_\text{out}, n) = 1 - (1 - p_1)^n.

References
----------
Muennighoff et al. (2025), "s1: Simple test-time scaling", arXiv:2501.19393.
Brown et al. (2024), "Large Language Monkeys: Scaling Inference Compute with Repeated
Sampling", arXiv:2407.21787.
Sadhukhan et al. (2025), "Kinetics: Rethinking Test-Time Scaling Laws", arXiv:2506.05333.
"""

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.special import expit

from workbench.testtime.cost import (
    B200_INTENSITY,
    DEFAULT_PROMPT_TOKENS,
    QWEN3,
    Architecture,
    cost,
)

PARAMETER_SCALE = 1e9
TOKEN_SCALE = 1e3
LAW_PARAMETERS = ("intercept", "size_slope", "token_slope")
ILLUSTRATIVE_LAW = {"intercept": -6.0, "size_slope": 0.7, "token_slope": 1.0}
"""The law the simulated accuracies come from; illustrative, not fitted to real generations."""
TOKEN_CHOICES = tuple(2**power for power in range(9, 16))  # 512 ... 32768 generated tokens
SAMPLE_CHOICES = (1, 2, 4, 8, 16, 32, 64)


def accuracy(parameters, tokens, samples, intercept, size_slope, token_slope):
    """acc = 1 − (1 − p_1)^n with logit p_1 linear in log P and log L_out (module docstring)."""
    logit = (
        intercept
        + size_slope * np.log(np.asarray(parameters, dtype=float) / PARAMETER_SCALE)
        + token_slope * np.log(np.asarray(tokens, dtype=float) / TOKEN_SCALE)
    )
    return 1.0 - (1.0 - expit(logit)) ** np.asarray(samples, dtype=float)


def allocate(
    budget: float,
    law: Mapping[str, float] = ILLUSTRATIVE_LAW,
    *,
    cost_model: str = "kinetics",
    **options,
) -> dict | None:
    """The most accurate (model, generated tokens, samples) that costs at most ``budget``.

    Every combination of :func:`allocation_table` (``options`` are its choices) is costed under
    ``cost_model`` (``"flops"`` or ``"kinetics"``); ``None`` when none fits the budget.
    """
    if not budget > 0:
        raise ValueError(f"budget must be positive, got {budget}")
    table = allocation_table(law, cost_model=cost_model, **options)
    affordable = [row for row in table if row["cost"] <= budget]
    if not affordable:
        return None
    # Ties (accuracy rounding to 1) go to the cheaper choice.
    best = max(affordable, key=lambda row: (row["accuracy"], -row["cost"]))
    return best | {"cost_model": cost_model, "budget": float(budget)}


def allocation_table(
    law: Mapping[str, float] = ILLUSTRATIVE_LAW,
    *,
    cost_model: str = "kinetics",
    architectures: Sequence[Architecture] = tuple(QWEN3.values()),
    token_choices: Sequence[int] = TOKEN_CHOICES,
    sample_choices: Sequence[int] = SAMPLE_CHOICES,
    prompt_tokens: float = DEFAULT_PROMPT_TOKENS,
    intensity: float = B200_INTENSITY,
) -> list[dict]:
    """Cost and accuracy of every (model, tokens, samples) combination, one dict each."""
    memory = {"prompt_tokens": prompt_tokens, "intensity": intensity}
    options = memory if cost_model == "kinetics" else {}
    tokens, samples = np.meshgrid(token_choices, sample_choices, indexing="ij")
    tokens, samples = tokens.ravel(), samples.ravel()
    rows = []
    for arch in architectures:
        costs = cost(arch, tokens, samples, model=cost_model, **options)
        accuracies = accuracy(arch.parameters, tokens, samples, **law_values(law))
        rows += [
            {
                "model": arch.name,
                "parameters": float(arch.parameters),
                "tokens": int(token),
                "samples": int(sample),
                "cost": float(price),
                "accuracy": float(value),
            }
            for token, sample, price, value in zip(tokens, samples, costs, accuracies, strict=True)
        ]
    return rows


def law_values(law: Mapping[str, float]) -> dict[str, float]:
    """The law's three parameters, checked to be all there."""
    missing = [name for name in LAW_PARAMETERS if name not in law]
    if missing:
        raise ValueError(f"the accuracy law needs {', '.join(missing)}")
    return {name: float(law[name]) for name in LAW_PARAMETERS}


def compare_allocations(budget: float, law: Mapping[str, float] = ILLUSTRATIVE_LAW, **options):
    """The best allocation at ``budget`` under FLOPs only and under the Kinetics cost, each
    with what the other cost model says it costs."""
    result = {}
    architectures = {
        arch.name: arch for arch in options.get("architectures", tuple(QWEN3.values()))
    }
    kinetics_options = {
        name: options[name] for name in ("prompt_tokens", "intensity") if name in options
    }
    for model in ("flops", "kinetics"):
        best = allocate(budget, law, cost_model=model, **options)
        if best is not None:
            arch = architectures[best["model"]]
            choice = (arch, best["tokens"], best["samples"])
            best["flops_cost"] = float(cost(*choice, model="flops"))
            best["kinetics_cost"] = float(cost(*choice, **kinetics_options))
        result[model] = best
    return result


def frontier(table: Sequence[Mapping]) -> dict[str, list[tuple[float, float]]]:
    """Per model, the (cost, accuracy) points no cheaper choice of tokens and samples beats."""
    by_model: dict[str, list[tuple[float, float]]] = {}
    for row in sorted(table, key=lambda row: row["cost"]):
        points = by_model.setdefault(row["model"], [])
        if not points or row["accuracy"] > points[-1][1]:
            points.append((row["cost"], row["accuracy"]))
    return by_model
