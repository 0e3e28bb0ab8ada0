"""Which pool to train on: the effective-utility law's error of every candidate at each budget,
the best one, and the budgets where the best one changes (Goyal et al.'s "data curation cannot
be compute agnostic")."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from workbench.filtering.utility import (
    SAMPLES_NORMALIZER,
    Candidate,
    UtilityParameters,
    default_candidates,
    utility_error,
)

GRID_POINTS = 2000
"""Budgets on the log grid that locates where the best candidate changes, before root-finding."""


def smallest_budget(parameters: UtilityParameters) -> float:
    """Below this many samples a·n/10⁵ < 1, the first epoch's power exceeds one, and the law
    ranks the worst data first: it was fitted on 25.6M–128M samples, not there."""
    return SAMPLES_NORMALIZER / parameters.a


def check_budgets(parameters: UtilityParameters, budgets) -> np.ndarray:
    budgets = np.atleast_1d(np.asarray(budgets, dtype=float))
    floor = smallest_budget(parameters)
    if not np.all(np.isfinite(budgets)) or np.any(budgets <= floor):
        raise ValueError(
            f"budgets must exceed {floor:.3g} samples seen, where the law's a·n/1e5 passes one; "
            f"got {budgets.min():.3g}"
        )
    return budgets


def candidate_errors(
    parameters: UtilityParameters, budgets, candidates: Sequence[Candidate] | None = None
) -> pd.DataFrame:
    """The error of every candidate (rows) at every budget (columns, in samples seen)."""
    budgets = check_budgets(parameters, budgets)
    candidates = default_candidates(parameters) if candidates is None else list(candidates)
    if len(candidates) < 2:
        raise ValueError("planning compares candidates: give at least two pools")
    errors = np.stack([utility_error(budgets, c, parameters.a, parameters.d) for c in candidates])
    return pd.DataFrame(
        errors, index=pd.Index([c.name for c in candidates], name="candidate"), columns=budgets
    )


def best_by_budget(
    parameters: UtilityParameters, budgets, candidates: Sequence[Candidate] | None = None
) -> pd.DataFrame:
    """Per budget: the candidate with the lowest error, its error, the runner-up and by how much
    it loses."""
    errors = candidate_errors(parameters, budgets, candidates)
    order = np.argsort(errors.to_numpy(), axis=0)
    names = errors.index.to_numpy()
    columns = np.arange(errors.shape[1])
    return pd.DataFrame(
        {
            "budget": errors.columns.to_numpy(),
            "best": names[order[0]],
            "error": errors.to_numpy()[order[0], columns],
            "runner_up": names[order[1]],
            "margin": errors.to_numpy()[order[1], columns] - errors.to_numpy()[order[0], columns],
        }
    )


def crossovers(
    parameters: UtilityParameters,
    low: float,
    high: float,
    candidates: Sequence[Candidate] | None = None,
    points: int = GRID_POINTS,
) -> pd.DataFrame:
    """The budgets in [low, high] where the best candidate changes: located on a log grid of
    ``points`` budgets, then root-found between each pair of consecutive winners."""
    candidates = default_candidates(parameters) if candidates is None else list(candidates)
    by_name = {candidate.name: candidate for candidate in candidates}
    grid = np.geomspace(low, high, points)
    winners = best_by_budget(parameters, grid, candidates)["best"].to_numpy()
    rows = []
    for index in np.flatnonzero(winners[1:] != winners[:-1]):
        before, after = by_name[winners[index]], by_name[winners[index + 1]]

        def gap(log_budget, before=before, after=after):
            budget = np.exp(log_budget)
            return float(
                utility_error(budget, before, parameters.a, parameters.d)
                - utility_error(budget, after, parameters.a, parameters.d)
            )

        log_budget = brentq(gap, np.log(grid[index]), np.log(grid[index + 1]), xtol=1e-10)
        budget = float(np.exp(log_budget))
        rows.append(
            {
                "budget": budget,
                "before": before.name,
                "after": after.name,
                "error": float(utility_error(budget, before, parameters.a, parameters.d)),
            }
        )
    return pd.DataFrame(rows, columns=["budget", "before", "after", "error"])


DEFAULT_RANGE = (1e7, 1e10)
"""Budgets (samples seen) searched for crossovers unless told: from above the law's floor for
the published a to 78 epochs of the largest published mixture."""


def plan_report(
    parameters: UtilityParameters,
    budgets: Sequence[float],
    budget_range: tuple[float, float] = DEFAULT_RANGE,
) -> dict:
    """JSON-ready: the best candidate at each budget and the crossovers within ``budget_range``."""
    low, high = check_budgets(parameters, budget_range)
    if not low < high:
        raise ValueError(f"the budget range must run upwards, got {low:.3g} to {high:.3g}")
    return {
        "source": parameters.source,
        "budget_range": [float(low), float(high)],
        "best": best_by_budget(parameters, budgets).to_dict(orient="records"),
        "crossovers": crossovers(parameters, low, high).to_dict(orient="records"),
    }
