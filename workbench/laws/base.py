"""The scaling-law family abstraction and its registry.

A family is pure math plus data: a curve in the paper's convention, the same curve in a
sampler-friendly parameterization (log amplitudes, covariates centred on the data's log-mean), the
maps between the two, default priors and a quick least-squares guess.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy import optimize

from workbench.laws import elementwise as m
from workbench.laws.priors import Prior, is_positive, typical_value

Array = np.ndarray
COVARIATE_UNITS = {"N": "parameters", "D": "tokens", "C": "FLOPs"}
UNDEFINED_RESIDUAL = 1e3


@dataclass(frozen=True)
class ScalingLaw:
    """Base of every law family. Subclasses set the class variables and the math methods."""

    name: ClassVar[str]
    formula: ClassVar[str]
    """LaTeX, for notebooks and the dashboard."""
    plain_formula: ClassVar[str]
    """The formula in plain text, for terminals and the README."""
    purpose: ClassVar[str]
    """What the family is for, in a phrase."""
    reference: ClassVar[str]
    parameters: ClassVar[tuple[str, ...]]
    covariates: tuple[str, ...] = ()
    falls_with_scale: ClassVar[bool] = True
    """Whether the target falls as N, D or C grow (a loss or an error, not an optimum)."""

    # -- math every family provides -------------------------------------------------------
    def curve(self, x: Mapping[str, Array], params: Mapping[str, Array]):
        """The target in the paper's convention; NumPy or PyTensor inputs."""
        raise NotImplementedError

    def log_mean(self, x_centred: Mapping[str, Array], theta: Mapping[str, Array], centres):
        """log of the curve in the sampler's parameterization.

        ``x_centred`` holds log covariates minus ``centres[name]``; ``centres["y"]`` is the
        log-mean of the target.
        """
        raise NotImplementedError

    def to_paper(self, theta: Mapping[str, Array], centres: Mapping[str, float]) -> dict:
        raise NotImplementedError

    def from_paper(self, params: Mapping[str, Array], centres: Mapping[str, float]) -> dict:
        raise NotImplementedError

    def default_priors(self) -> dict[str, Prior]:
        raise NotImplementedError

    # -- shared behaviour ------------------------------------------------------------------
    @property
    def sampler_parameters(self) -> tuple[str, ...]:
        return tuple(self.default_priors())

    @property
    def options(self) -> dict:
        """Settings that distinguish variants of one family (saved with a fit)."""
        return {}

    def configure(self, **options) -> "ScalingLaw":
        return replace(self, **options) if options else self

    @property
    def label(self) -> str:
        extra = ", ".join(f"{key}={value}" for key, value in self.options.items())
        return f"{self.name}({extra})" if extra else self.name

    def derived(self, params: Mapping[str, Array]) -> dict[str, Array]:
        """Quantities implied by the parameters, such as compute-optimal exponents."""
        return {}

    def loss_exponents(self, params: Mapping[str, Array]) -> dict[str, Array]:
        """By covariate, the exponent with which the reducible loss falls as that covariate grows
        alone (``L − E ∝ X^−α``), where the law has one; theory speaks of these."""
        return {}

    @property
    def has_compute_optimum(self) -> bool:
        return {"N", "D"} <= set(self.covariates)

    def optimal_allocation(self, params: Mapping[str, Array], compute: Array, **fixed) -> tuple:
        """(N_opt, D_opt) minimizing the curve under C = 6·N·D, broadcast over params × compute.

        Numerical: a log-spaced search over N followed by golden-section refinement, vectorized
        over posterior draws. Families with a closed form override it.

        Covariates other than N and D stay fixed at the values given by name, e.g. ``U=25e9``
        unique tokens for ``data_constrained``; each is a scalar or broadcasts against
        ``compute``.
        """
        if not self.has_compute_optimum:
            raise ValueError(
                f"law {self.name!r} has no compute-optimal allocation: it needs N and D"
            )
        held = tuple(name for name in self.covariates if name not in ("N", "D"))
        missing = [name for name in held if name not in fixed]
        unknown = sorted(set(fixed) - set(held))
        if missing or unknown:
            given = ", ".join(f"{name}=..." for name in held) or "nothing"
            raise ValueError(
                f"the allocation of {self.label} holds {given} fixed; "
                f"missing {missing or 'none'}, unknown {unknown or 'none'}"
            )
        return _numeric_allocation(self, params, compute, fixed)

    def model_centres(self) -> tuple[str, ...]:
        """The centres the model graph reads, each through a data container ``centre_<name>``:
        the log-mean of the target, for laws whose covariates enter centred."""
        return ("y",)

    def centres(self, x: Mapping[str, Array], y: Array) -> dict[str, float]:
        centres = {name: float(np.mean(np.log(x[name]))) for name in self.covariates}
        centres["y"] = float(np.mean(np.log(y)))
        return centres

    def guess(self, x: Mapping[str, Array], y: Array, random_seed: int = 0) -> dict[str, float]:
        """Quick least-squares fit on log target, in the paper's convention."""
        centres = self.centres(x, y)
        theta = least_squares_theta(self, x, y, centres, random_seed=random_seed)
        return {name: float(value) for name, value in self.to_paper(theta, centres).items()}


def centred_logs(law: ScalingLaw, x: Mapping[str, Array], centres: Mapping[str, float]) -> dict:
    return {
        name: np.log(np.asarray(x[name], dtype=float)) - centres[name] for name in law.covariates
    }


@dataclass(frozen=True)
class FreeParameters:
    """The sampler parameters as one unbounded vector, for optimizers: logs of positive ones."""

    names: tuple[str, ...]
    positive: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, law: ScalingLaw) -> "FreeParameters":
        priors = law.default_priors()
        positive = np.array([is_positive(prior) for prior in priors.values()])
        typical = [typical_value(prior) for prior in priors.values()]
        start = [np.log(t) if p else t for t, p in zip(typical, positive, strict=True)]
        return cls(tuple(priors), positive, np.array(start))

    def unpack(self, free: Array) -> dict[str, float]:
        values = np.where(self.positive, np.exp(np.clip(free, -30, 30)), free)
        return dict(zip(self.names, values, strict=True))


def least_squares_theta(
    law: ScalingLaw,
    x: Mapping[str, Array],
    y: Array,
    centres: Mapping[str, float],
    *,
    n_starts: int = 12,
    random_seed: int = 0,
) -> dict[str, float]:
    """Best of several least-squares fits in the sampler's space, started around the priors."""
    free = FreeParameters.of(law)
    x_centred = centred_logs(law, x, centres)
    log_y = np.log(np.asarray(y, dtype=float))

    def residuals(vector):
        # Some laws are undefined in parts of parameter space (an error law whose mean falls
        # below zero); a large residual there steers the optimizer back.
        with np.errstate(all="ignore"):
            residual = law.log_mean(x_centred, free.unpack(vector), centres) - log_y
        return np.nan_to_num(
            residual, nan=UNDEFINED_RESIDUAL, posinf=UNDEFINED_RESIDUAL, neginf=-UNDEFINED_RESIDUAL
        )

    rng = np.random.default_rng(random_seed)
    starts = [free.start] + [
        free.start + rng.normal(0, 0.7, free.start.size) for _ in range(n_starts - 1)
    ]
    best = None
    for initial in starts:
        with np.errstate(all="ignore"):
            result = optimize.least_squares(residuals, initial)
        if np.isfinite(result.cost) and (best is None or result.cost < best.cost):
            best = result
    return free.unpack(best.x)


def _numeric_allocation(
    law: ScalingLaw,
    params: Mapping[str, Array],
    compute: Array,
    fixed: Mapping[str, Array] | None = None,
):
    params = {name: np.asarray(value, dtype=float)[..., None] for name, value in params.items()}
    fixed = {name: np.asarray(value, dtype=float) for name, value in (fixed or {}).items()}
    log_budget = np.log(np.asarray(compute, dtype=float) / 6.0)
    shape = np.broadcast_shapes(
        *(value.shape for value in params.values()),
        *(value.shape for value in fixed.values()),
        log_budget.shape,
    )
    log_budget = np.broadcast_to(log_budget, shape)

    def objective(log_n):
        sizes = {"N": np.exp(log_n), "D": np.exp(log_budget - log_n)}
        with np.errstate(all="ignore"):
            return np.asarray(law.curve(sizes | fixed, params), dtype=float)

    def scan(candidates):
        """Per element, the first candidate fraction with the least finite objective."""
        best, best_value = np.full(shape, np.nan), np.full(shape, np.inf)
        for fraction in candidates:
            values = np.where(np.isnan(fraction), np.inf, objective(fraction * log_budget))
            better = (values < best_value) & np.isfinite(values)
            np.copyto(best_value, values, where=better)
            np.copyto(best, fraction, where=better)
        return best

    # Scan log N as a fraction of log(C/6) on a grid of 181 points, then golden-section on the
    # bracket around the best. The grid is scanned coarse (every 4th point), then at the 7 points
    # around the coarse best: for an objective unimodal along the grid, as the laws' are, that
    # finds the point a scan of all 181 finds, with the same numbers, at under a third of the cost.
    # Keeping only the best so far (not a stack of every scan point, 181 copies of the draws ×
    # budgets array) saves the rest.
    fractions = np.linspace(0.05, 0.95, 181)
    step = fractions[1] - fractions[0]
    coarse = scan(fractions[::4])
    index = np.rint((np.nan_to_num(coarse, nan=fractions[0]) - fractions[0]) / step).astype(int)
    window = [
        np.where(
            (index + offset >= 0) & (index + offset < fractions.size),
            fractions[np.clip(index + offset, 0, fractions.size - 1)],
            np.nan,
        )
        for offset in range(-3, 4)
    ]
    best = scan(window)
    best = np.where(np.isnan(best), fractions[0], best)
    low, high = (best - step) * log_budget, (best + step) * log_budget
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        move_up = objective(left) > objective(right)
        low = np.where(move_up, left, low)
        high = np.where(move_up, high, right)
    log_n = 0.5 * (low + high)
    return np.exp(log_n), np.exp(log_budget - log_n)


LAWS: dict[str, type[ScalingLaw]] = {}


class SeparableLaw(ScalingLaw):
    """A law whose log curve is the log-sum-exp of a constant and one term per covariate.

    A checkpoint table has few model sizes: each term is then evaluated once per distinct value
    of its covariate rather than once per design point (``workbench.fitting.model``).
    """

    def log_terms(self, x_centred: Mapping[str, Array], theta: Mapping[str, Array]) -> dict:
        """The three log terms, keyed by the covariate each reads ("" for the constant)."""
        raise NotImplementedError

    def log_mean(self, x_centred, theta, centres):
        return centres["y"] + m.logsumexp3(*self.log_terms(x_centred, theta).values())


def law_table() -> str:
    """The README's table of law families, in Markdown, from the registry."""
    lines = ["| name | formula | paper | what it is for |", "| --- | --- | --- | --- |"]
    for name in sorted(LAWS):
        law = LAWS[name]
        paper = "; ".join(cited.split(", arXiv")[0] for cited in law.reference.split("; "))
        lines.append(f"| `{name}` | {law.plain_formula} | {paper} | {law.purpose} |")
    return "\n".join(lines)


def register(cls: type[ScalingLaw]) -> type[ScalingLaw]:
    """Class decorator that adds a family to the registry under ``cls.name``."""
    if cls.name in LAWS:
        raise ValueError(f"a law named {cls.name!r} is already registered")
    LAWS[cls.name] = cls
    return cls


def get_law(law: "str | ScalingLaw", **options) -> ScalingLaw:
    """The family called ``law``, configured with ``options`` (for example ``covariate="N"``)."""
    if isinstance(law, ScalingLaw):
        return law.configure(**options)
    if isinstance(law, str) and (law == "formula" or law.startswith("formula:")):
        from workbench.laws.formula import FormulaLaw  # imports this module

        expression = {"expression": law.removeprefix("formula:")} if law != "formula" else {}
        try:
            return FormulaLaw(**expression, **options)
        except TypeError as error:
            raise ValueError(
                f"a formula law does not take options {sorted(options)}: {error}"
            ) from None
    if law not in LAWS:
        raise KeyError(
            f"unknown law {law!r}; valid names: {', '.join(sorted(LAWS))}, "
            "or formula:<your formula>"
        )
    try:
        return LAWS[law](**options)
    except TypeError as error:
        raise ValueError(f"law {law!r} does not take options {sorted(options)}: {error}") from None
