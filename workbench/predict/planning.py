r"""Which run to train next: preposterior ranking of candidate runs by variance reduction per FLOP.

For a target quantity :math:`q(\theta)` (the log of the law's mean at one scale, or at the
compute-optimal allocation of a budget) the value of a candidate run :math:`x` is how much it is
expected to shrink the posterior variance of :math:`q`,

.. math::

    \Delta(x) = \operatorname{Var}[q \mid \text{data}]
    - \mathbb{E}_{y \sim p(y \mid x, \text{data})}
      \operatorname{Var}[q \mid \text{data}, (x, y)],

divided by its cost in FLOPs. The expectation is a Monte Carlo average over outcomes simulated
from the posterior predictive. Each conditional posterior is the existing posterior draws
importance-reweighted by the likelihood of the simulated outcome, :math:`w_s \propto p(y \mid
\theta_s)`, with the fit's own noise model, so no refit is needed. Greedy batches chain the same
reweighting: each simulated scenario keeps its weights and the next pick is scored against them.

Reweighting is exact in the limit of many draws but degenerates when one outcome is far more
informative than the posterior is wide; the ``ess`` column reports the mean effective sample size
of the reweighted draws, and a batch step whose ESS falls below ``RELIABLE_ESS`` is marked
unreliable: its expected variance is optimistic (checked against refits: after 44 greedy picks
with an ESS of 1 the estimate was 0.014 where refitting gave 0.12). Plan a few runs, train them,
refit and plan again.

References
----------
Raiffa, H. and Schlaifer, R. (1961). Applied Statistical Decision Theory (preposterior analysis).
Chaloner, K. and Verdinelli, I. (1995). Bayesian Experimental Design: A Review. Statistical
Science 10(3).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammaln

from workbench.intervals import resolve_ci_prob
from workbench.predict.extrapolate import target_covariates
from workbench.runs import parse_quantity

CANDIDATE_CHUNK = 16  # candidates scored at once; bounds memory at chunk × simulations × draws
# Effective draws below which a reweighted variance is too optimistic to report as expected.
RELIABLE_ESS = 30


@dataclass(frozen=True)
class RunPlan:
    """Candidate runs ranked by expected variance reduction at the target, per FLOP.

    Attributes
    ----------
    ranking : DataFrame
        Every candidate, best per FLOP first: ``candidate`` (its label in the candidates table),
        its covariates, ``cost``, ``affordable``, ``expected_variance_reduction``,
        ``expected_variance``, ``expected_ci_width`` (of the target on its own scale),
        ``reduction_per_flop`` and ``ess``.
    batch : DataFrame
        The greedy sequence within the budget: ``step``, the candidate's columns as above,
        ``cumulative_cost`` and ``reliable`` (ESS at least ``RELIABLE_ESS``); the expected
        columns describe the posterior after all steps so far.
    target : dict
        The target: ``{"N": ..., "D": ...}``-style covariates, or ``{"compute_optimal": C}``.
    prior_variance, prior_ci_width : float
        Variance of the log target and width of its ``ci_prob`` interval now.
    ci_prob : float
        Probability of the central intervals whose widths are reported.
    budget : float
        What the batch may spend, in the candidates' cost unit.
    """

    ranking: pd.DataFrame
    batch: pd.DataFrame
    target: dict
    prior_variance: float
    prior_ci_width: float
    ci_prob: float
    budget: float

    def top(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` best affordable candidates per FLOP."""
        return self.ranking[self.ranking["affordable"]].head(n)

    @property
    def reliable_steps(self) -> int:
        """How many leading batch steps have expected widths resting on enough effective draws."""
        unreliable = np.flatnonzero(~self.batch["reliable"].to_numpy(dtype=bool))
        return int(unreliable[0]) if unreliable.size else len(self.batch)


def plan_next_runs(
    fit,
    candidates,
    target,
    budget,
    *,
    compute=None,
    n_simulations: int = 128,
    ci_prob: float | None = None,
    random_seed: int | None = None,
) -> RunPlan:
    """Rank candidate runs by expected reduction of predictive variance at a target, per FLOP.

    Parameters
    ----------
    fit : ScalingLawFit
        A fitted (ungrouped) law.
    candidates : DataFrame or mapping
        One row per candidate run, with the law's covariates (two of N, D and C complete the
        third through C = 6·N·D). A ``cost`` column overrides the cost, which is C otherwise.
    target : mapping or "compute_optimal"
        A scale to predict at, such as ``{"N": 70e9, "D": 1.4e12}``. ``{"C": 1e24}`` for a law of
        N and D, or ``"compute_optimal"`` with ``compute=``, asks for the loss at the
        compute-optimal allocation of that budget, per posterior draw.
    budget : float or str
        FLOPs (or the candidates' cost unit) to spend on new runs; bounds the greedy batch.
    compute : float or str, optional
        The compute budget of a ``"compute_optimal"`` target.
    n_simulations : int
        Simulated outcomes per candidate (and scenarios carried through the greedy batch).
    ci_prob : float, optional
        Probability of the central interval whose expected width is reported; the project's
        credible level by default.
    random_seed : int, optional
        Seed of the simulated outcomes.

    Returns
    -------
    RunPlan
        ``ranking`` of all candidates, ``top()`` picks and the greedy ``batch``.
    """
    if fit.groups_:
        raise ValueError("plan_next_runs needs an ungrouped fit; fit one group's runs alone")
    ci_prob = resolve_ci_prob(ci_prob)
    if n_simulations < 2:
        raise ValueError(f"n_simulations must be at least 2, not {n_simulations}")
    table, covariates, cost = _candidates(fit, candidates)
    budget = _budget(budget, cost)
    target_label, quantity = _target_draws(fit, target, compute)
    log_means = fit.log_mean_draws(covariates)  # (draws, candidates)
    noise = _noise(fit)
    ranking_seed, *batch_seeds = np.random.SeedSequence(random_seed).spawn(3)
    tail = (1 - ci_prob) / 2
    problem = _Preposterior(quantity, log_means, noise, (tail, 1 - tail))

    scenarios = np.zeros((n_simulations, quantity.size))  # log weights, one row per scenario
    prior_variance, prior_width, _ = problem.summaries(scenarios)
    outcomes = problem.simulate(scenarios, np.random.default_rng(ranking_seed))
    first = problem.score(scenarios, np.arange(cost.size), *outcomes)
    ranking = _ranking(table.index, covariates, cost, budget, first, prior_variance)
    # Greedy by reduction per FLOP can fritter the budget on cheap runs, and greedy by reduction
    # alone can waste it on one costly run; the better of the two is within a constant factor of
    # the best batch for diminishing-returns objectives (Leskovec et al. 2007, "CELF").
    batches = [
        _greedy(problem, scenarios, cost, budget, per_flop, np.random.default_rng(seed))
        for per_flop, seed in zip((True, False), batch_seeds, strict=True)
    ]
    steps = min(batches, key=lambda steps: steps[-1]["expected_variance"] if steps else np.inf)
    batch = pd.DataFrame(
        [
            {
                "step": number,
                "candidate": table.index[step["index"]],
                **{name: values[step["index"]] for name, values in covariates.items()},
                "cost": cost[step["index"]],
                "cumulative_cost": step["cumulative_cost"],
                "expected_variance_reduction": prior_variance - step["expected_variance"],
                "expected_variance": step["expected_variance"],
                "expected_ci_width": step["expected_ci_width"],
                "ess": step["ess"],
                "reliable": step["ess"] >= RELIABLE_ESS,
            }
            for number, step in enumerate(steps, start=1)
        ],
        columns=_batch_columns(covariates),
    )
    return RunPlan(ranking, batch, target_label, prior_variance, prior_width, ci_prob, budget)


def _greedy(problem, scenarios, cost, budget, per_flop: bool, rng) -> list[dict]:
    """Add the best affordable candidate, condition every scenario on its simulated outcome, and
    repeat while the budget allows and a candidate still reduces the expected variance.

    Evaluation is lazy (Minoux 1978): a candidate's gain from the last time it was scored bounds
    its gain now, since more runs leave less to learn, so each step rescores candidates in
    descending order of their old gains and stops once no unscored bound can beat the best.
    """
    steps, remaining, chosen = [], budget, np.zeros(cost.size, dtype=bool)
    bounds = np.full(cost.size, np.inf)
    while (options := np.flatnonzero((cost <= remaining) & ~chosen)).size:
        current, _, _ = problem.summaries(scenarios, widths=False)
        outcomes = problem.simulate(scenarios, rng)
        queue = options[np.argsort(-bounds[options], kind="stable")]
        best = None
        for start in range(0, queue.size, CANDIDATE_CHUNK):
            chunk = queue[start : start + CANDIDATE_CHUNK]
            # Only the variance ranks; the chosen run's width and ESS are computed once below.
            reduction = (
                current - problem.score(scenarios, chunk, *outcomes, widths=False)["variance"]
            )
            bounds[chunk] = reduction / cost[chunk] if per_flop else reduction
            top = int(np.argmax(bounds[chunk]))
            if best is None or bounds[chunk[top]] > bounds[best]:
                best = int(chunk[top])
            if (
                start + CANDIDATE_CHUNK >= queue.size
                or bounds[best] >= bounds[queue[start + CANDIDATE_CHUNK]]
            ):
                break
        if bounds[best] <= 0:
            break
        best_scores = {
            k: v[0] for k, v in problem.score(scenarios, np.array([best]), *outcomes).items()
        }
        scenarios = problem.updated(scenarios, [best], *outcomes)[0]
        chosen[best] = True
        remaining -= cost[best]
        steps.append(
            {
                "index": best,
                "cumulative_cost": budget - remaining,
                "expected_variance": best_scores["variance"],
                "expected_ci_width": best_scores["width"],
                "ess": best_scores["ess"],
            }
        )
    return steps


# -- inputs ------------------------------------------------------------------------------------
def _candidates(fit, candidates) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    if isinstance(candidates, Mapping):
        candidates = pd.DataFrame(dict(candidates))
    if not isinstance(candidates, pd.DataFrame):
        raise TypeError(
            f"candidates must be a table or a mapping of columns, not {type(candidates)}"
        )
    if candidates.empty:
        raise ValueError("candidates is empty: give at least one (N, D) run to consider")
    covariate_columns = candidates.drop(columns="cost", errors="ignore")
    covariates = target_covariates(fit.law.covariates, covariate_columns)
    if "cost" in candidates:
        cost = np.asarray([parse_quantity(value) for value in candidates["cost"]], dtype=float)
    elif "C" in covariates:
        cost = covariates["C"]
    else:
        raise ValueError(
            f"candidates need a cost column: {fit.law.label} has no N and D to cost runs by 6·N·D"
        )
    if not np.all(np.isfinite(cost) & (cost > 0)):
        bad = candidates.index[~(np.isfinite(cost) & (cost > 0))].tolist()
        raise ValueError(f"candidate costs must be positive and finite; not so for rows {bad}")
    return candidates, covariates, cost


def _budget(budget, cost: np.ndarray) -> float:
    budget = float(parse_quantity(budget))
    if not np.isfinite(budget) or budget <= 0:
        raise ValueError(f"budget must be positive and finite, not {budget}")
    if budget < cost.min():
        raise ValueError(
            f"budget {budget:.3g} is below the cheapest candidate ({cost.min():.3g}); "
            "raise the budget or add smaller candidates"
        )
    return budget


def _target_draws(fit, target, compute) -> tuple[dict, np.ndarray]:
    """The target's label and, per posterior draw, the log of the law's mean there."""
    law = fit.law
    if isinstance(target, str):
        if target != "compute_optimal":
            raise ValueError(
                f"unknown target {target!r}: give a scale such as {{'N': 7e10, 'D': 1.4e12}}, "
                "{'C': 1e24} or 'compute_optimal' with compute="
            )
        if compute is None:
            raise ValueError("target='compute_optimal' needs compute=, the budget to allocate")
        return _compute_optimal_draws(fit, compute)
    if not isinstance(target, Mapping):
        raise ValueError(
            f"unknown target form {type(target).__name__}: give a mapping such as "
            "{'N': 7e10, 'D': 1.4e12} or {'C': 1e24}, or 'compute_optimal' with compute="
        )
    if compute is not None:
        raise ValueError("compute= only goes with target='compute_optimal'")
    if set(target) == {"C"} and law.has_compute_optimum:
        return _compute_optimal_draws(fit, target["C"])
    values = target_covariates(law.covariates, dict(target))
    if any(array.size != 1 for array in values.values()):
        raise ValueError("the target is one scale: give one value per covariate")
    label = {name: float(array[0]) for name, array in values.items()}
    return label, fit.log_mean_draws(values)[:, 0]


def _compute_optimal_draws(fit, compute) -> tuple[dict, np.ndarray]:
    law = fit.law
    if not law.has_compute_optimum:
        raise ValueError(f"{law.label} has no compute-optimal allocation: it needs both N and D")
    if len(law.covariates) > 2:
        raise ValueError(
            f"{law.label} needs {', '.join(law.covariates)}: give the target as a scale instead"
        )
    compute = float(parse_quantity(np.ravel(compute)[0] if np.ndim(compute) else compute))
    if not np.isfinite(compute) or compute <= 0:
        raise ValueError(f"the compute budget must be positive and finite, not {compute}")
    params = fit.draws(law.parameters)
    n_opt, d_opt = law.optimal_allocation(params, np.array([compute]))
    loss = law.curve({"N": n_opt, "D": d_opt}, {k: v[:, None] for k, v in params.items()})
    return {"compute_optimal": compute}, np.log(np.asarray(loss, dtype=float))[:, 0]


def _noise(fit) -> dict[str, np.ndarray]:
    """Per-draw scale (and degrees of freedom) of a new run's log target."""
    draws = fit.draws()
    if "run_sd" in draws:
        return {"sigma": np.hypot(draws["sigma"], draws["run_sd"])}
    return {"sigma": draws["sigma"]} | ({"nu": draws["nu"]} if "nu" in draws else {})


# -- preposterior arithmetic -------------------------------------------------------------------
@dataclass
class _Preposterior:
    quantity: np.ndarray  # (draws,) log target per draw
    log_means: np.ndarray  # (draws, candidates)
    noise: dict[str, np.ndarray]
    tails: tuple[float, float]

    def __post_init__(self):
        self.quantity_squared = self.quantity**2
        self.order = np.argsort(self.quantity)
        self.sorted_target = np.exp(self.quantity[self.order])

    def summaries(self, log_weights: np.ndarray, widths: bool = True):
        """Mean over scenarios (leading axes) of the weighted variance, interval width and ESS;
        with ``widths=False`` only the variance (width and ESS are ``None``)."""
        # One exponential per value (logsumexp would take a second): this is the planner's
        # innermost loop.
        weights = np.exp(log_weights - log_weights.max(axis=-1, keepdims=True))
        weights /= weights.sum(axis=-1, keepdims=True)
        mean = weights @ self.quantity
        variance = np.maximum(weights @ self.quantity_squared - mean**2, 0).mean(axis=0)
        if not widths:
            return variance, None, None
        cumulative = np.cumsum(np.take(weights, self.order, axis=-1), axis=-1)
        last = self.quantity.size - 1
        low, high = (
            self.sorted_target[np.minimum((cumulative < tail).sum(axis=-1), last)]
            for tail in self.tails
        )
        ess = 1 / np.einsum("...i,...i->...", weights, weights)
        return variance, (high - low).mean(axis=0), ess.mean(axis=0)

    def simulate(self, scenarios: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        """Per scenario, a posterior draw and a standardized noise value to simulate outcomes.

        Every candidate shares them (common random numbers), so differences between candidates
        are not swamped by simulation noise.
        """
        n_scenarios, n_draws = scenarios.shape
        cumulative = np.cumsum(np.exp(scenarios - scenarios.max(axis=-1, keepdims=True)), axis=-1)
        uniform = rng.uniform(size=(n_scenarios, 1)) * cumulative[:, -1:]
        source = np.minimum((cumulative < uniform).sum(axis=-1), n_draws - 1)
        nu = self.noise.get("nu")
        if nu is None:
            return source, rng.standard_normal(n_scenarios)
        return source, rng.standard_t(nu[source])

    def updated(self, scenarios, candidates, source, standard) -> np.ndarray:
        """Scenario log weights after each candidate's simulated outcome: (candidates, scenarios,
        draws)."""
        sigma, nu = self.noise["sigma"], self.noise.get("nu")
        means = self.log_means[:, candidates].T  # (candidates, draws)
        outcomes = means[:, source] + sigma[source] * standard  # (candidates, scenarios)
        residual = outcomes[:, :, None] - means[:, None, :]
        updated = _log_likelihood(residual, sigma, nu)
        updated += scenarios[None]
        return updated

    def score(
        self, scenarios, options: np.ndarray, source, standard, widths: bool = True
    ) -> dict[str, np.ndarray]:
        """Expected variance, interval width and ESS after one more run at each of ``options``
        (only the variance with ``widths=False``)."""
        results = {"variance": [], "width": [], "ess": []} if widths else {"variance": []}
        for start in range(0, options.size, CANDIDATE_CHUNK):
            chunk = options[start : start + CANDIDATE_CHUNK]
            updated = self.updated(scenarios, chunk, source, standard)
            summaries = self.summaries(np.moveaxis(updated, 0, 1), widths)
            for name, values in zip(results, summaries, strict=False):
                results[name].append(values)
        return {name: np.concatenate(values) for name, values in results.items()}


def _log_likelihood(residual: np.ndarray, sigma: np.ndarray, nu: np.ndarray | None) -> np.ndarray:
    """Log density of log-scale residuals per draw (last axis), up to a constant.

    Computed in place in ``residual``'s memory, which it returns: this is the planner's largest
    array, and every temporary copy of it costs as much as the arithmetic.
    """
    density = residual
    density /= sigma
    np.square(density, out=density)
    if nu is None:
        density *= -0.5
        density -= np.log(sigma)
        return density
    density /= nu
    np.log1p(density, out=density)
    density *= -(nu + 1) / 2
    density += gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu) - np.log(sigma)
    return density


# -- outputs -----------------------------------------------------------------------------------
def _ranking(labels, covariates, cost, budget, scores, prior_variance) -> pd.DataFrame:
    reduction = prior_variance - scores["variance"]
    ranking = pd.DataFrame(
        {
            "candidate": labels,
            **covariates,
            "cost": cost,
            "affordable": cost <= budget,
            "expected_variance_reduction": reduction,
            "expected_variance": scores["variance"],
            "expected_ci_width": scores["width"],
            "reduction_per_flop": reduction / cost,
            "ess": scores["ess"],
        }
    )
    return ranking.sort_values("reduction_per_flop", ascending=False, kind="stable").reset_index(
        drop=True
    )


def _batch_columns(covariates) -> list[str]:
    return [
        "step",
        "candidate",
        *covariates,
        "cost",
        "cumulative_cost",
        "expected_variance_reduction",
        "expected_variance",
        "expected_ci_width",
        "ess",
        "reliable",
    ]
