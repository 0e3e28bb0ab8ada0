"""How observations relate to each other: checkpoints of one run, and groups of runs.

Intermediate checkpoints of one training run are not independent measurements of the law: they
share the run's data order, seed and schedule, so they all sit a little above or below the curve
together. A run-level offset u_run ~ Normal(0, run_sd) on the log target captures that; it is
integrated out in closed form, so the model has no per-run parameters and compiles once for any
number of runs.

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

    def data(self, runs: RunTable) -> dict[str, np.ndarray]:
        """One-hot membership matrices, for the model's ``pm.Data`` containers."""
        data = {}
        if self.run_effect:
            data["run_onehot"] = one_hot(runs.data["run"].astype(str).to_numpy())[1]
        if self.groups:
            data["group_onehot"] = self.group_onehot(runs.data[self.group_column].astype(str))
        return data

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


def one_hot(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct labels (in order of appearance) and the (n_obs, n_labels) indicator matrix."""
    distinct, first, index = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return distinct[order], np.eye(distinct.size)[rank[index]]


def pooled_value(population, spread, standardized, positive: bool):
    """A group's parameter from the population value, the spread and a standard normal draw.

    Positive parameters (exponents) pool on the log scale so they stay positive.
    """
    if positive:
        return population * np.exp(spread * standardized)
    return population + spread * standardized


def run_effect_log_density(residual, run_onehot, sigma, run_sd, math=np):
    """log p(residuals) with a Normal(0, run_sd) offset per run integrated out, summed per run.

    Within a run of n checkpoints the residuals are jointly normal with covariance
    sigma²·I + run_sd²·11ᵀ, whose determinant and inverse have closed forms.
    """
    count = run_onehot.sum(axis=0)
    total = math.dot(residual, run_onehot)
    squares = math.dot(residual**2, run_onehot)
    noise_var = sigma**2
    run_var = run_sd**2
    joint_var = noise_var + count * run_var
    return -0.5 * (
        count * np.log(2 * np.pi)
        + (count - 1) * math.log(noise_var)
        + math.log(joint_var)
        + squares / noise_var
        - run_var * total**2 / (noise_var * joint_var)
    )


def run_offset_posterior(residual, run_onehot, sigma, run_sd):
    """Mean and sd of each run's offset given the residuals (conjugate normal), per draw."""
    count = run_onehot.sum(axis=0)
    total = residual @ run_onehot
    joint_var = sigma**2 + count * run_sd**2
    mean = run_sd**2 * total / joint_var
    sd = np.sqrt(sigma**2 * run_sd**2 / joint_var)
    return mean, sd
