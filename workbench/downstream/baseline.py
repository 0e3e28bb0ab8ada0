r"""The comparator of observational scaling: a power law per family and benchmark.

For each (family, benchmark), a least-squares line of the score's logit above chance in log
compute, through the family's training models,

.. math::

    \operatorname{logit}\frac{\text{score} - f_j}{1 - f_j} = \alpha_{fj} + \beta_{fj}\,x,

with a t prediction interval from the residuals of every family's line on that benchmark (a
family of two models fits its line exactly and has no residuals of its own). A family with fewer
than two training models, or all at one compute, uses the line through all training models, with
that line's own residuals.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from workbench.downstream.capabilities import (
    CHANCE_FLOORS,
    benchmark_score,
    log_compute,
    long_scores,
    prediction_frame,
    score_logit,
    with_compute,
)
from workbench.intervals import interval_names, resolve_ci_prob

LOGIT_CLIP = 0.005
"""Scores at chance (or at zero) are read as half a percent above it: about one HumanEval problem
in 164, so that their logit is finite without pulling a line far down."""


@dataclass(frozen=True)
class Line:
    """A least-squares line with what its prediction interval needs."""

    intercept: float
    slope: float
    count: int
    mean_x: float
    spread_x: float  # Σ (x − x̄)²
    residual_square_sum: float

    @classmethod
    def through(cls, x: np.ndarray, y: np.ndarray) -> "Line":
        mean_x = float(x.mean())
        spread = float(((x - mean_x) ** 2).sum())
        slope = float(((x - mean_x) * (y - y.mean())).sum() / spread)
        intercept = float(y.mean() - slope * mean_x)
        residuals = y - intercept - slope * x
        return cls(intercept, slope, len(x), mean_x, spread, float((residuals**2).sum()))

    def predict(self, x: np.ndarray, variance: float, dof: int, ci_prob: float):
        """The line at ``x`` and its central ``ci_prob`` prediction interval."""
        centre = self.intercept + self.slope * x
        scale = np.sqrt(variance * (1 + 1 / self.count + (x - self.mean_x) ** 2 / self.spread_x))
        half = stats.t.ppf(0.5 + ci_prob / 2, dof) * scale
        return centre, centre - half, centre + half


def can_fit_line(x: np.ndarray) -> bool:
    return len(x) >= 2 and np.ptp(x) > 0


def power_law_baseline(
    training: pd.DataFrame,
    models: pd.DataFrame,
    benchmarks: Sequence[str] = tuple(CHANCE_FLOORS),
    ci_prob: float | None = None,
    floors=CHANCE_FLOORS,
) -> pd.DataFrame:
    """Predicted scores of ``models`` from per-family power laws through ``training`` (both wide
    tables of models as :func:`workbench.runs.datasets.ruan2024` returns; models without FLOPs
    are left out). The columns are those of :meth:`ObservationalScalingFit.predict`, with
    ``seen_family`` saying whether the family had a line of its own."""
    ci_prob = resolve_ci_prob(ci_prob)
    training, _ = with_compute(training)
    models, _ = with_compute(models)
    low, high = interval_names(ci_prob)
    frames = []
    for benchmark in benchmarks:
        floor = floors[benchmark]
        rows = long_scores(training, [benchmark])
        x = log_compute(rows["flops"])
        y = score_logit(rows["observed"], floor, LOGIT_CLIP)
        lines = {
            family: Line.through(x[members], y[members])
            for family, members in rows.groupby("family").indices.items()
            if can_fit_line(x[members])
        }
        pooled = Line.through(x, y)
        within_dof = sum(line.count - 2 for line in lines.values())
        within = sum(line.residual_square_sum for line in lines.values())
        predicted = []
        for family, flops in zip(models["family"], models["flops"], strict=True):
            point = log_compute(flops)
            if family in lines and within_dof > 0:
                line, variance, dof = lines[family], within / within_dof, within_dof
            else:
                dof = pooled.count - 2
                line, variance = pooled, pooled.residual_square_sum / dof
            predicted.append((family in lines, *line.predict(point, variance, dof, ci_prob)))
        seen, centre, lower, upper = (np.array(column) for column in zip(*predicted, strict=True))
        summary = {
            "median": benchmark_score(centre, floor),
            low: benchmark_score(lower, floor),
            high: benchmark_score(upper, floor),
        }
        frames.append(prediction_frame(models, benchmark, seen, summary, ci_prob))
    return pd.concat(frames, ignore_index=True)
