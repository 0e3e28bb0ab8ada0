r"""IsoFLOP analysis (Hoffmann et al.'s approach 2) with intervals.

Runs at a few fixed FLOP budgets, several model sizes each: at each budget the loss against log N
is a bowl whose minimum is that budget's compute-optimal size N_opt(C). Hoffmann et al. fit a
parabola per budget, read off its argmin and regress log N_opt on log C. Here the argmins are
parameters of one PyMC model in which they follow N_opt = A·C^a up to a scatter, so each budget's
uncertainty reaches the exponent a; D_opt = C / (k·N_opt) follows, with k the runs' FLOPs per
parameter and token (6 when C = 6·N·D), so D_opt ∝ C^(1 − a).

It is the machinery of :class:`workbench.hyperparameters.OptimaFit` with the model size as the
swept axis and the budget as the setting.
"""

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import ClassVar

import numpy as np
import pandas as pd

from workbench.fitting.base import priors_config
from workbench.hyperparameters.fit import OptimaFit
from workbench.hyperparameters.sweeps import SweepError, read_sweeps
from workbench.intervals import (
    interval_levels,
    interval_names,
    resolve_ci_prob,
    summarize_draws,
)
from workbench.laws import Prior, get_law

ISOFLOP_WINDOW = 0.03
"""Runs within 3 % of their budget's lowest loss locate its optimum: an IsoFLOP curve is a
parabola in log N only near its minimum, and rises 3 % within a factor of about 2 of N_opt."""
BUDGET_TOLERANCE = 0.05
"""Runs whose FLOPs differ by less than 5 % share a budget."""
BUDGET = "budget"
"""Column of each run's budget, the geometric mean of the FLOPs it was grouped with."""


class IsoFlopFit(OptimaFit):
    r"""Compute-optimal model and data size from IsoFLOP runs, with uncertainty.

    Each budget's optimum N_opt is the minimum of a parabola in log N fitted (on log loss) to its
    runs within ``window`` of its lowest loss; the optima follow

    .. math::

        N_\text{opt} = A\,C^{a}, \qquad D_\text{opt} = \frac{C}{k\,N_\text{opt}} \propto C^{1-a}

    up to a scatter, in one model sampled by nutpie.

    Parameters
    ----------
    model_size, compute : str
        Columns of the parameter count and the training FLOPs.
    target : str, optional
        The loss column; by default the run table's target.
    window : float
        Runs within this fraction of their budget's lowest loss locate its optimum.
    budget_tolerance : float
        Runs whose FLOPs differ by less than this fraction share a budget.
    min_runs : int, optional
        Fewest runs per budget; the window widens where fewer fall inside it (default 3).
    priors, sampler
        As for :class:`workbench.hyperparameters.StepLawFit`; the law's parameters are ``N_a``
        (log N_opt at the mean log budget, relative to the mean log optimum) and ``N_b_C`` (a).

    References
    ----------
    Hoffmann, J., Borgeaud, S., Mensch, A., et al. (2022), "Training Compute-Optimal Large
    Language Models", arXiv:2203.15556, section 3.2.
    Porian, T., Wortsman, M., Jitsev, J., Schmidt, L., Carmon, Y. (2024), "Resolving
    Discrepancies in Compute-Optimal Scaling of Language Models", arXiv:2406.19146.

    Examples
    --------
    >>> runs = porian2024().filter(...)  # doctest: +SKIP
    >>> IsoFlopFit().fit(runs, random_seed=0).exponents()  # doctest: +SKIP
    """

    quantities: ClassVar[dict[str, str]] = {"N": "N_opt"}
    roles: ClassVar[dict[str, str]] = {"N": "model size"}
    # Three runs fix a parabola; a fourth from far up one side would bend it towards that side.
    min_runs_default: ClassVar[int] = 3
    # IsoFLOP losses are smooth (interpolated, or the least of several seeds), so the noise is
    # near normal; heavy tails let a budget's few runs trade places as outliers, which split the
    # posterior into modes (R-hat up to 1.17 on Porian et al.'s runs with the sweeps' default).
    prior_defaults: ClassVar[dict[str, Prior]] = {"nu": Prior("Gamma", alpha=20.0, beta=0.5)}
    # Budgets' optima sit close to their law (on Porian et al.'s runs and always in simulation),
    # where the centred form has a funnel: it diverged in 1-2 of 15 settings, this form in none.
    centred: ClassVar[bool] = False
    # The model is small: longer chains cost about a second and lift the smallest ESS.
    sampler_defaults: ClassVar[dict] = {"target_accept": 0.95, "tune": 1500, "draws": 2000}
    fit_call = "fit(runs, random_seed=...)"

    def __init__(
        self,
        model_size: str = "N",
        compute: str = "C",
        target: str | None = None,
        *,
        window: float = ISOFLOP_WINDOW,
        budget_tolerance: float = BUDGET_TOLERANCE,
        min_runs: int | None = None,
        priors: Mapping | None = None,
        sampler: Mapping | None = None,
    ):
        self.model_size = model_size
        self.compute = compute
        self.target = target
        self.window = window
        self.budget_tolerance = budget_tolerance
        self.min_runs = min_runs
        self.priors = priors
        self.sampler = sampler

    def config(self) -> dict:
        return {
            "model_size": self.model_size,
            "compute": self.compute,
            "target": self.target,
            "window": self.window,
            "budget_tolerance": self.budget_tolerance,
            "min_runs": self.min_runs,
            "priors": priors_config(self.priors),
            "sampler": self.sampler,
        }

    @property
    def axis_laws(self):
        return {"N": get_law("optimal_hyperparameters", covariates=("C",))}

    @property
    def axis_columns(self):
        return {"N": self.model_size}

    def keys(self, runs):
        return (BUDGET,)

    def covariate_column(self, name: str) -> str:
        return BUDGET

    def fit(
        self,
        runs,
        random_seed: int | None = None,
        *,
        progress: Callable[[float], None] | None = None,
        cancel=None,
    ) -> "IsoFlopFit":
        """Sample the joint posterior of every budget's optimum and the law through them.

        Parameters
        ----------
        runs : RunTable, DataFrame or path
            One row per run: model size, FLOPs and loss, several model sizes per budget.
        random_seed, progress, cancel
            As in :meth:`workbench.hyperparameters.StepLawFit.fit`.
        """
        table = read_sweeps(runs, self.target)
        for column in (self.model_size, self.compute):
            if not table.has(column):
                raise SweepError(
                    f"IsoFLOP runs need a {column!r} column; the table has "
                    f"{list(table.data.columns)}"
                )
        compute = table.column(self.compute)
        budgets = group_budgets(compute, self.budget_tolerance)
        if len(np.unique(budgets)) < 3:
            raise SweepError(
                f"IsoFLOP runs need at least three FLOP budgets to fit N_opt ∝ C^a; these runs "
                f"have {len(np.unique(budgets))}"
            )
        data = table.data.assign(**{BUDGET: budgets})
        flops_per_nd = flops_per_parameter_token(table, self.model_size, self.compute)
        super().fit(
            dataclasses.replace(table, data=data),
            random_seed,
            progress=progress,
            cancel=cancel,
        )
        self.idata_.attrs["flops_per_parameter_token"] = flops_per_nd
        return self

    # -- results -------------------------------------------------------------------------
    @property
    def exponent_(self) -> np.ndarray:
        """Posterior draws of a, the exponent of N_opt ∝ C^a."""
        return self.draws(["N_b_C"])["N_b_C"]

    def exponents(self, ci_prob: float | None = None) -> pd.DataFrame:
        """Median and central ``ci_prob`` interval of a (N_opt ∝ C^a) and b = 1 − a
        (D_opt ∝ C^b), one row each, indexed by ``a`` and ``b``."""
        levels = [resolve_ci_prob(ci_prob)]
        rows = {
            name: {column: float(value) for column, value in summarize_draws(draws, levels).items()}
            for name, draws in (("a", self.exponent_), ("b", 1 - self.exponent_))
        }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("exponent")

    def predict(
        self,
        targets=None,
        *,
        ci_prob: float | None = None,
        inner_prob: float | None = None,
        random_seed: int | None = None,
        **covariates,
    ) -> pd.DataFrame:
        """N_opt and D_opt at new budgets ``C``: one row per budget, quantity and kind, as in
        :meth:`workbench.hyperparameters.OptimaFit.predict`; D_opt = C / (k·N_opt)."""
        table = super().predict(
            targets, ci_prob=ci_prob, inner_prob=inner_prob, random_seed=random_seed, **covariates
        )
        tokens = table.copy()
        # D_opt falls as N_opt rises, so each interval's bounds swap.
        scale = tokens["C"] / float(self.idata.attrs["flops_per_parameter_token"])
        tokens["median"] = scale / table["median"]
        for level in interval_levels(ci_prob, inner_prob):
            low, high = interval_names(level)
            tokens[low], tokens[high] = scale / table[high], scale / table[low]
        tokens["quantity"] = "D_opt"
        return pd.concat([table, tokens], ignore_index=True)

    def budget_optima(self, ci_prob: float | None = None) -> pd.DataFrame:
        """Each budget's located optimum: :meth:`optima` with ``C`` for the budget."""
        return self.optima(ci_prob).rename(columns={BUDGET: "C"})

    def report(self, ci_prob: float | None = None, targets=None) -> dict:
        """What the fit says, JSON-ready: the parameters, diagnostics, exponents a and b, each
        budget's optimum and, at ``targets`` (budgets ``C``), N_opt and D_opt."""
        ci_prob = resolve_ci_prob(ci_prob)
        report = super().report(ci_prob)
        report["exponents"] = self.exponents(ci_prob).to_dict(orient="index")
        report["budgets"] = json.loads(self.budget_optima(ci_prob).to_json(orient="records"))
        if targets is not None:
            table = self.predict(targets, ci_prob=ci_prob)
            setting = table[table["kind"] == "setting"]
            report["predictions"] = json.loads(setting.to_json(orient="records"))
        return report


def group_budgets(compute: np.ndarray, tolerance: float = BUDGET_TOLERANCE) -> np.ndarray:
    """Each run's budget: runs whose FLOPs lie within ``tolerance`` of the smallest of their group
    share one, the geometric mean of their FLOPs."""
    compute = np.asarray(compute, dtype=float)
    if not np.all(np.isfinite(compute) & (compute > 0)):
        raise SweepError("FLOPs must be positive and finite to group runs into budgets")
    order = np.argsort(compute)
    logs = np.log(compute[order])
    starts = [0]
    for index in range(1, len(logs)):
        if logs[index] - logs[starts[-1]] > np.log1p(tolerance):
            starts.append(index)
    budgets = np.empty_like(compute)
    for start, stop in zip(starts, [*starts[1:], len(logs)], strict=True):
        members = compute[order[start:stop]]
        # Exact budgets stay exact, not their mean's rounding.
        same = np.all(members == members[0])
        budgets[order[start:stop]] = members[0] if same else np.exp(np.mean(logs[start:stop]))
    return budgets


def flops_per_parameter_token(table, model_size: str = "N", compute: str = "C") -> float:
    """k in C = k·N·D, the median over the runs (6 for the usual count); 6 without a D column."""
    if not table.has("D"):
        return 6.0
    ratio = table.column(compute) / (table.column(model_size) * table.column("D"))
    return float(np.median(ratio))
