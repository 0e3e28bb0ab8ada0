"""Data filtering: quality versus quantity (Goyal et al. 2024, "Scaling Laws for Data Filtering").

* :func:`utility_error` is the effective-utility law of a pool or a mixture of pools;
* :data:`GOYAL_TMARS_IMAGENET` holds the authors' fitted parameters (no raw accuracies were
  released);
* :func:`best_by_budget` and :func:`crossovers` plan: which pool gives the lowest error at a
  budget of samples seen, and where the answer changes;
* :class:`UtilityFit` fits each pool's b and τ with intervals, and :func:`simulate_pool_errors`
  makes errors with known parameters to test it on.
"""

from workbench.filtering.fit import UtilityFit
from workbench.filtering.planner import (
    best_by_budget,
    candidate_errors,
    crossovers,
    smallest_budget,
)
from workbench.filtering.utility import (
    GOYAL_TMARS_IMAGENET,
    Candidate,
    Pool,
    UtilityParameters,
    default_candidates,
    simulate_pool_errors,
    utility_error,
)

__all__ = [
    "GOYAL_TMARS_IMAGENET",
    "Candidate",
    "Pool",
    "UtilityFit",
    "UtilityParameters",
    "best_by_budget",
    "candidate_errors",
    "crossovers",
    "default_candidates",
    "simulate_pool_errors",
    "smallest_budget",
    "utility_error",
]
