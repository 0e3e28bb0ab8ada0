"""Test-time compute: what generating costs (FLOPs, or the Kinetics cost with KV memory), an
accuracy law in model size, generated tokens and samples, and the best allocation of a budget."""

from workbench.testtime.cost import (
    B200_INTENSITY,
    COST_MODELS,
    QWEN3,
    Architecture,
    cost,
    flops_cost,
    kinetics_cost,
    kinetics_terms,
)
from workbench.testtime.fit import InferenceAccuracyFit, simulate_accuracies
from workbench.testtime.law import (
    ILLUSTRATIVE_LAW,
    accuracy,
    allocate,
    allocation_table,
    compare_allocations,
    frontier,
)

__all__ = [
    "B200_INTENSITY",
    "COST_MODELS",
    "ILLUSTRATIVE_LAW",
    "QWEN3",
    "Architecture",
    "InferenceAccuracyFit",
    "accuracy",
    "allocate",
    "allocation_table",
    "compare_allocations",
    "cost",
    "flops_cost",
    "frontier",
    "kinetics_cost",
    "kinetics_terms",
    "simulate_accuracies",
]
