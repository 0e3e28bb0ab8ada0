r"""The pure math of observational scaling: chance floors, the link from latent capabilities to
benchmark scores, and the long table of scores the model and the baseline read.

A model's capabilities are linear in log compute within its family, and benchmark j reads them
through a sigmoid above its chance floor :math:`f_j`:

.. math::

    s_{ik} = a_{f(i)k} + b_{f(i)k}\,x_i, \qquad x_i = \log_{10}(C_i / C_0),

    \text{score}_{ij} = f_j + (1 - f_j)\,\sigma\Bigl(c_j + \sum_k w_{jk}\,s_{ik}\Bigr).

The link works on NumPy arrays, and on PyTensor tensors with ``math=pytensor.tensor``.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.intervals import interval_names

CHANCE_FLOORS = {
    "HellaSwag": 0.25,
    "HumanEval": 0.0,
    "GSM8K": 0.0,
    "MMLU": 0.25,
    "ARC-C": 0.25,
    "Winograd": 0.5,
    "XWinograd": 0.5,
    "TruthfulQA": 0.0,
}
"""The score of guessing, per benchmark: four choices for MMLU, ARC-Challenge and HellaSwag's four
endings, two for (X)Winograd; generation (GSM8K, HumanEval) starts at zero. TruthfulQA's MC2
score is a probability mass that does not rise with size among small models, so it gets no
floor. The order matters: the first K benchmarks anchor the K capabilities (see
:func:`loading_mask`): general language (HellaSwag, which rises from chance with compute in every
family), code (HumanEval), then arithmetic (GSM8K). MMLU, flat at chance for most small models,
anchors badly: where it is saturated a capability's sign is free, and chains split."""
COMPUTE_SCALE = 1e21
"""C_0: log compute is counted in decades from 1e21 FLOPs, near the middle of the models below the
cut, so that intercepts and slopes are not correlated."""


def log_compute(flops) -> np.ndarray:
    """x = log10(C / C_0)."""
    return np.log10(np.asarray(flops, dtype=float) / COMPUTE_SCALE)


def sigmoid(value, math=np):
    return 1 / (1 + math.exp(-value))


def benchmark_score(logit, floor, math=np):
    """The expected score above a chance ``floor`` at a benchmark ``logit``."""
    return floor + (1 - floor) * sigmoid(logit, math=math)


def score_logit(score, floor, clip: float):
    """The logit of a score above its chance floor, clipped ``clip`` inside (0, 1): scores at or
    below chance (a quarter of small models' MMLU) have no logit."""
    above = (np.asarray(score, dtype=float) - floor) / (1 - floor)
    above = np.clip(above, clip, 1 - clip)
    return np.log(above / (1 - above))


def loading_mask(benchmarks: int, components: int) -> tuple[np.ndarray, np.ndarray]:
    """Which loadings w_{jk} are free, and the fixed values of the others.

    Capability k is benchmark k's logit above its intercept: the first K benchmarks load one
    each on their own capability (w_{kk} = 1, every other w_{kj} = 0), and only the later
    benchmarks' loadings are free. A low-rank product is unchanged by any invertible K × K map
    of the capabilities; pinning the anchors' rows to the identity is the one constraint that
    removes every such map (a unit lower triangle leaves the triangular ones free, and chains
    drift along them).
    """
    if not 1 <= components <= benchmarks:
        raise ValueError(f"components must lie between 1 and {benchmarks}, not {components}")
    rows, columns = np.indices((benchmarks, components))
    return rows >= components, (rows == columns).astype(float)


def check_scores(table, benchmarks: Sequence[str]) -> pd.DataFrame:
    """A table of models, one row each: ``model``, ``family``, ``flops`` and a score column per
    benchmark (NaN where not evaluated). Returns it with a clean index; raises ``ValueError``."""
    frame = pd.DataFrame(table)
    missing = [name for name in ("model", "family", "flops", *benchmarks) if name not in frame]
    if missing:
        raise ValueError(f"the score table needs the columns {', '.join(missing)}")
    if frame["model"].duplicated().any():
        duplicated = frame.loc[frame["model"].duplicated(), "model"].iloc[0]
        raise ValueError(f"model {duplicated!r} appears twice in the score table")
    scores = frame[list(benchmarks)].to_numpy(float)
    known = scores[np.isfinite(scores)]
    if ((known < 0) | (known > 1)).any():
        raise ValueError("benchmark scores must be accuracies between 0 and 1")
    flops = frame["flops"].to_numpy(float)
    if (flops[np.isfinite(flops)] <= 0).any():
        raise ValueError("flops must be positive")
    return frame.reset_index(drop=True)


def with_compute(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The models whose training compute is known, and how many were dropped: without FLOPs a
    model has no place on the compute axis."""
    known = np.isfinite(frame["flops"].to_numpy(float))
    return frame[known].reset_index(drop=True), int((~known).sum())


def long_scores(frame: pd.DataFrame, benchmarks: Sequence[str]) -> pd.DataFrame:
    """One row per (model, benchmark) with a score: ``model``, ``family``, ``flops``,
    ``benchmark``, ``observed``; unevaluated benchmarks are absent, not imputed."""
    long = frame.melt(
        id_vars=["model", "family", "flops"],
        value_vars=list(benchmarks),
        var_name="benchmark",
        value_name="observed",
    )
    return long.dropna(subset=["observed"]).reset_index(drop=True)


def prediction_frame(
    models: pd.DataFrame, benchmark: str, seen_family, summary: Mapping[str, np.ndarray], ci_prob
) -> pd.DataFrame:
    """Predictions of one benchmark for ``models``: ``model``, ``family``, ``flops``,
    ``benchmark``, ``seen_family``, ``observed``, ``score`` (the median) and its interval
    (``score_ci_low_90``, ``score_ci_high_90`` at 90 %), from ``summary``'s ``median``, low
    and high."""
    low, high = interval_names(ci_prob)
    score_low, score_high = interval_names(ci_prob, "score")
    return models[["model", "family", "flops"]].assign(
        benchmark=benchmark,
        seen_family=np.asarray(seen_family, dtype=bool),
        observed=models[benchmark].to_numpy(float),
        score=summary["median"],
        **{score_low: summary[low], score_high: summary[high]},
    )


def floors_of(benchmarks: Sequence[str], floors: Mapping[str, float]) -> np.ndarray:
    return np.array([floors[name] for name in benchmarks], dtype=float)
