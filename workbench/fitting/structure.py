"""How observations relate to each other: checkpoints of one run, and groups of runs.

Intermediate checkpoints of one training run are not independent measurements of the law: they
share the run's data order, seed and schedule, so they all sit a little above or below the curve
together. A run-level offset u_run ~ Normal(0, run_sd) on the log target captures that; it is
integrated out in closed form, so the model has no per-run parameters and compiles once for any
number of runs. The integral is Gaussian, so the data enter only through sufficient statistics:
the law's mean is computed once per design point (distinct covariates), and each run's sum of
residuals from running sums over the design points it covers, so a NUTS step costs the number of
design points, not observations times runs.

Groups (data sets, architectures, ...) get partial pooling: each sampler parameter of the law has
a population value and a spread, and each group its own value drawn from them.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from workbench.laws import Prior, ScalingLaw
from workbench.runs import RunTable, RunTableError

RUN_EFFECT_PRIOR = Prior("HalfNormal", sigma=0.05)
GROUP_SPREAD_FRACTION = 0.25
CHECKPOINT_POLICIES = {
    "final": {"checkpoints": False},
    "run-effect": {"checkpoints": True},
    "independent": {"checkpoints": True, "run_effect": False},
}
"""Which checkpoints a fit uses, by name, as ``ScalingLawFit.fit`` keywords: the last of each run;
every checkpoint sharing an offset per run; every checkpoint as its own observation."""
"""Default spread of a parameter across groups, as a fraction of its prior's scale."""


def select_checkpoints(
    runs: RunTable,
    checkpoints: bool,
    *,
    min_fraction: float | None = None,
    min_tokens: float | None = None,
) -> RunTable:
    """The rows a fit uses: each run's final checkpoint, or all checkpoints past a cut.

    Parameters
    ----------
    checkpoints : bool
        False keeps the last checkpoint of each run; True keeps every checkpoint.
    min_fraction : float, optional
        Drop checkpoints before this fraction of their run's final tokens (or steps), as in the
        Hitchhiker's Guide, which found early checkpoints bias the fit.
    min_tokens : float, optional
        Drop checkpoints that have seen fewer tokens than this.
    """
    if not checkpoints:
        if min_fraction is not None or min_tokens is not None:
            raise ValueError(
                "min_fraction and min_tokens select checkpoints: pass checkpoints=True"
            )
        return runs.final_checkpoints()
    if min_fraction is not None and not 0 <= min_fraction < 1:
        raise ValueError(f"min_fraction must lie in [0, 1), not {min_fraction}")
    keep = np.ones(len(runs), dtype=bool)
    if min_fraction:
        progress = runs.column("D") if runs.has("D") else runs.column("step")
        final = runs.data.assign(progress=progress).groupby("run")["progress"].transform("max")
        keep &= progress >= min_fraction * final.to_numpy()
    if min_tokens is not None:
        keep &= runs.column("D") >= min_tokens
    if not keep.any():
        raise ValueError(
            f"no checkpoint is left after min_fraction={min_fraction}, min_tokens={min_tokens}"
        )
    return runs.filter(keep)


@dataclass(frozen=True)
class Structure:
    """The grouping of observations into runs (with an offset each) and pooled groups."""

    run_effect: bool = False
    groups: tuple[str, ...] = ()
    group_column: str | None = None

    @property
    def key(self) -> tuple:
        """What the compiled model depends on: the data only change values, not this."""
        return (self.run_effect, len(self.groups))

    @classmethod
    def of(cls, runs: RunTable, *, run_effect: bool, groups: str | None) -> "Structure":
        if run_effect and not runs.has("run"):
            raise RunTableError(
                "a run effect needs run ids to tell which checkpoints share a run",
                column="run",
                fix="add a run id column, or map one with mapping={'run': '<column>'}",
            )
        labels = ()
        if groups is not None:
            # A column read under a role (e.g. "dataset" as the group role) goes by the role.
            renamed = {column: role for role, column in runs.source_columns.items()}
            groups = groups if groups in runs.data.columns else renamed.get(groups, groups)
            if groups not in runs.data.columns:
                raise RunTableError(
                    f"no column {groups!r} to group by; columns: {list(runs.data.columns)}",
                    column=groups,
                    fix="pass groups=<a column of the run table>",
                )
            labels = tuple(sorted(runs.data[groups].astype(str).unique()))
            if len(labels) < 2:
                raise RunTableError(
                    f"grouping by {groups!r} needs at least two groups, found {list(labels)}",
                    column=groups,
                    fix="fit without groups, or add runs from another group",
                )
        return cls(run_effect=run_effect, groups=labels, group_column=groups)

    def group_labels(self, runs: RunTable) -> np.ndarray:
        """Each observation's group."""
        return runs.data[self.group_column].astype(str).to_numpy()

    def group_onehot(self, labels) -> np.ndarray:
        labels = np.asarray(labels, dtype=str)
        unknown = sorted(set(labels) - set(self.groups))
        if unknown:
            raise ValueError(f"unknown groups {unknown}; this fit has groups {list(self.groups)}")
        return (labels[:, None] == np.asarray(self.groups)[None, :]).astype(float)

    def priors(self, law: ScalingLaw, law_priors: Mapping[str, Prior]) -> dict[str, Prior]:
        """Priors of the structure's own parameters: run offset scale and group spreads."""
        priors = {"run_sd": RUN_EFFECT_PRIOR} if self.run_effect else {}
        if self.groups:
            for name in law.sampler_parameters:
                scale = law_priors[name].parameters.get("sigma", 1.0)
                priors[f"{name}_sd"] = Prior("HalfNormal", sigma=GROUP_SPREAD_FRACTION * scale)
        return priors

    def to_json(self) -> dict:
        return {
            "run_effect": self.run_effect,
            "groups": list(self.groups),
            "group_column": self.group_column,
        }

    @classmethod
    def from_json(cls, spec: Mapping) -> "Structure":
        return cls(spec["run_effect"], tuple(spec["groups"]), spec["group_column"])


def observation_runs(runs: RunTable) -> np.ndarray:
    """Each observation's run, numbered in sorted order of the run ids."""
    return np.unique(runs.data["run"].astype(str).to_numpy(), return_inverse=True)[1].reshape(-1)


def design_points(columns) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``columns`` (arrays of one row per observation), sorted: one
    observation standing for each, and each observation's index into them.

    The law's mean depends on an observation only through its covariates (and group), so it is
    computed once per design point; checkpoints of runs that share a token grid, and repeated
    seeds, share design points.
    """
    _, first, index = np.unique(
        np.column_stack(columns), axis=0, return_index=True, return_inverse=True
    )
    return first, index.reshape(-1)


def run_effect_statistics(log_y, point_index, run_index) -> dict[str, np.ndarray]:
    """The data as the run-effect likelihood needs them, by ``pm.Data`` container name.

    Per design point p: its count and mean log target ȳ_p. Per run: its count, and the sum of its
    log targets' deviations from their points' means. ``within_squares`` is the sum of squared
    deviations of log targets from their points' means. A run's observations cover ranges of
    consecutive design points: ``range_start`` and ``range_stop`` bound each range, and
    ``run_range_start`` and ``run_range_stop`` each run's ranges, so that sums over a run are
    differences of running sums (see :func:`run_totals`).
    """
    point_count = np.bincount(point_index).astype(float)
    point_mean = np.bincount(point_index, weights=log_y) / point_count
    deviation = log_y - point_mean[point_index]
    order = np.lexsort((point_index, run_index))
    runs, points = run_index[order], point_index[order]
    # A range ends where the run changes or the next design point is not the following one.
    starts = np.flatnonzero(np.r_[True, (runs[1:] != runs[:-1]) | (points[1:] != points[:-1] + 1)])
    stops = np.r_[starts[1:], points.size]
    ranges_per_run = np.bincount(runs[starts])
    return {
        "point_count": point_count,
        "point_mean": point_mean,
        "within_squares": np.asarray(np.sum(deviation**2)),
        "run_count": np.bincount(run_index).astype(float),
        "run_deviation": np.bincount(run_index, weights=deviation),
        "range_start": points[starts],
        "range_stop": points[stops - 1] + 1,
        "run_range_start": np.r_[0, np.cumsum(ranges_per_run)[:-1]],
        "run_range_stop": np.cumsum(ranges_per_run),
    }


def run_totals(deviation, statistics, math=np):
    """Sum of each run's residuals, from the design points' ȳ_p − mean_p (last axis).

    A run's residuals are its log targets' deviations from their points' means plus, per
    observation, its point's ȳ_p − mean_p; the latter summed over the run's ranges of design points.
    """
    by_point = _running_sums(deviation, math)
    by_range = _running_sums(
        by_point[..., statistics["range_stop"]] - by_point[..., statistics["range_start"]], math
    )
    return (
        statistics["run_deviation"]
        + by_range[..., statistics["run_range_stop"]]
        - by_range[..., statistics["run_range_start"]]
    )


def residual_squares(deviation, statistics, math=np):
    """Sum of all squared residuals, from the design points' ȳ_p − mean_p (last axis)."""
    weighted = statistics["point_count"] * deviation**2
    return statistics["within_squares"] + math.sum(weighted, axis=-1)


def _running_sums(values, math):
    """0 followed by the running sums along the last axis."""
    return math.concatenate(
        [math.zeros_like(values[..., :1]), math.cumsum(values, axis=-1)], axis=-1
    )


def pooled_value(population, spread, standardized, positive: bool):
    """A group's parameter from the population value, the spread and a standard normal draw.

    Positive parameters (exponents) pool on the log scale so they stay positive.
    """
    if positive:
        return population * np.exp(spread * standardized)
    return population + spread * standardized


def run_effect_log_density(total, count, squares, sigma, run_sd, math=np):
    """log p(residuals) with a Normal(0, run_sd) offset per run integrated out.

    Within a run of ``count`` checkpoints the residuals are jointly normal with covariance
    sigma²·I + run_sd²·11ᵀ, whose determinant and inverse have closed forms in the run's
    ``total`` (sum of residuals) and sum of squared residuals; ``squares`` is that sum over every
    run whose ``total`` and ``count`` are given (one per run in the last axis).
    """
    noise_var = sigma**2
    run_var = run_sd**2
    joint_var = noise_var + count * run_var
    per_run = (
        count * np.log(2 * np.pi)
        + (count - 1) * math.log(noise_var)
        + math.log(joint_var)
        - run_var * total**2 / (noise_var * joint_var)
    )
    return -0.5 * (math.sum(per_run, axis=-1) + squares / noise_var)


def run_offset_posterior(total, count, sigma, run_sd):
    """Mean and sd of each run's offset given the sum of its residuals (conjugate normal)."""
    joint_var = sigma**2 + count * run_sd**2
    mean = run_sd**2 * total / joint_var
    sd = np.sqrt(sigma**2 * run_sd**2 / joint_var)
    return mean, sd
