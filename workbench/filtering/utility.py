r"""Goyal et al.'s effective-utility law of data filtering, and the pools it compares.

A pool of data (a quality bucket, or several pooled) has a utility exponent b < 0: the error of a
model trained on it falls as a power of the samples seen, faster for better data. Seeing the same
samples again is worth less, so the exponent decays with each repetition k of the pool, halving
every τ epochs: b_k = b·0.5^(k/τ). With P samples per epoch, n samples seen touch epochs
k = 0…K, K = ⌊n/P⌋, and

.. math::

    y(n) = \bigl(d + S_0^{\,b_0}\bigr)\prod_{k=1}^{K}\Bigl(\frac{S_k}{S'_k}\Bigr)^{b_k},\qquad
    S_k = a\,\min\bigl(P(k+1), n\bigr)/10^5,\quad S'_k = a\,P\,k/10^5,

the first epoch as a power law over the floor d, each later one multiplying the error by its
growth in samples to the power of its decayed exponent (d sits inside the product, as in the
authors' ``objective.func_effective_utility``).

A mixture of m pools has P = ΣP_i samples per epoch and, at each epoch, the mean of its pools'
decayed exponents, each pool's half-life counted in the mixture's epochs times m
(``func_effective_utility_aggregation`` with ``estimate_best_pool.py``'s ``c_list * num_buckets``).

References
----------
Goyal, Maini, Lipton, Raghunathan, Kolter, "Scaling Laws for Data Filtering — Data Curation
cannot be Compute Agnostic", CVPR 2024, arXiv:2404.07177; code at
https://github.com/locuslab/scaling_laws_data_filtering (commit 251f695).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SAMPLES_NORMALIZER = 1e5
"""The authors divide a·n by this before raising it to b."""
HALF = 0.5
"""The utility halves every τ repetitions."""


@dataclass(frozen=True)
class Pool:
    """A data pool: its utility exponent ``b`` (negative), half-life ``tau`` in epochs, and
    ``samples_per_epoch``."""

    name: str
    b: float
    tau: float
    samples_per_epoch: float


@dataclass(frozen=True)
class Candidate:
    """What a budget can be spent on: one pool, or several pooled into one (a mixture)."""

    name: str
    pools: tuple[Pool, ...]

    @property
    def samples_per_epoch(self) -> float:
        return sum(pool.samples_per_epoch for pool in self.pools)

    def decayed_exponents(self, epochs: np.ndarray) -> np.ndarray:
        """The mixture's exponent at each epoch: the mean of its pools' decayed exponents."""
        slowing = len(self.pools)
        return np.mean(
            [pool.b * HALF ** (epochs / (pool.tau * slowing)) for pool in self.pools], axis=0
        )


@dataclass(frozen=True)
class UtilityParameters:
    """A fitted effective-utility law: the shared ``a`` and ``d`` and each pool's b and τ."""

    a: float
    d: float
    pools: tuple[Pool, ...]
    source: str = ""
    poolable: tuple[str, ...] | None = None
    """The pools that are disjoint, so pooling them adds data (``None``: all)."""

    def pool(self, name: str) -> Pool:
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(f"no pool {name!r}; the pools are {', '.join(self.pool_names)}")

    @property
    def pool_names(self) -> list[str]:
        return [pool.name for pool in self.pools]

    def to_dict(self) -> dict:
        return {
            "a": self.a,
            "d": self.d,
            "source": self.source,
            "poolable": None if self.poolable is None else list(self.poolable),
            "pools": [
                {"name": p.name, "b": p.b, "tau": p.tau, "samples_per_epoch": p.samples_per_epoch}
                for p in self.pools
            ],
        }

    @classmethod
    def from_dict(cls, values: Mapping) -> "UtilityParameters":
        """Parameters from :meth:`to_dict`'s form; every pool needs ``b < 0`` and ``tau > 0``."""
        try:
            pools = tuple(
                Pool(str(p["name"]), float(p["b"]), float(p["tau"]), float(p["samples_per_epoch"]))
                for p in values["pools"]
            )
            a, d = float(values["a"]), float(values["d"])
        except (KeyError, TypeError) as error:
            raise ValueError(
                "utility parameters need a, d and pools of name, b, tau and samples_per_epoch; "
                f"missing or malformed: {error}"
            ) from None
        if not pools:
            raise ValueError("utility parameters need at least one pool")
        for pool in pools:
            if not (pool.b < 0 and pool.tau > 0 and pool.samples_per_epoch > 0):
                raise ValueError(
                    f"pool {pool.name!r} needs b < 0, tau > 0 and samples_per_epoch > 0"
                )
        if not (a > 0 and d >= 0):
            raise ValueError(f"a must be positive and d non-negative, got a={a}, d={d}")
        poolable = values.get("poolable")
        parameters = cls(
            a,
            d,
            pools,
            str(values.get("source", "")),
            None if poolable is None else tuple(poolable),
        )
        for name in parameters.poolable or ():
            parameters.pool(name)
        return parameters

    @classmethod
    def read(cls, path) -> "UtilityParameters":
        return cls.from_dict(json.loads(Path(path).read_text()))


TMARS_POOL_SAMPLES = 12_800_000
"""Samples per epoch of each T-MARS bucket of DataComp medium (``all_paths_128.py``)."""
GOYAL_TMARS_IMAGENET = UtilityParameters(
    a=0.025,
    d=0.1,
    pools=tuple(
        Pool(name, b, tau, TMARS_POOL_SAMPLES)
        for name, b, tau in (
            ("top0-10%", -0.16, 6.7272727272727275),
            ("top10-20%", -0.125, 8.545454545454547),
            ("top20-30%", -0.1, 5.2727272727272725),
            ("top30-40%", -0.085, 2.2727272727272725),
            ("top0-40% random 25%", -0.12, 6.0),
        )
    ),
    source="Goyal et al. 2024, results/parameter_values.jsonl id tmars_imagenet1k_utility "
    "(ImageNet-1k zero-shot error of CLIP on T-MARS buckets of DataComp medium)",
    # The fifth pool samples from the four quality buckets, so it is not pooled with them.
    poolable=("top0-10%", "top10-20%", "top20-30%", "top30-40%"),
)
"""The authors' fitted parameters; no raw accuracies were released."""


def utility_error(samples_seen, candidate: Candidate, a: float, d: float) -> np.ndarray:
    """The error y(n) of the effective-utility law after ``samples_seen`` samples of
    ``candidate`` (any shape of positive sample counts)."""
    samples = np.asarray(samples_seen, dtype=float)
    per_epoch = candidate.samples_per_epoch
    last = np.floor(samples / per_epoch).astype(int)
    epochs = np.arange(last.max(initial=0) + 1, dtype=float)
    exponents = candidate.decayed_exponents(epochs)
    first = d + (a * np.minimum(per_epoch, samples) / SAMPLES_NORMALIZER) ** exponents[0]
    # Epoch k ≥ 1 multiplies by (seen after it / seen before it)^exponent: a whole epoch by
    # ((k + 1)/k)^exponent whatever n is, the last, partial one by (n/(k·per_epoch))^exponent.
    # Summing the whole epochs' logs once keeps this linear in budgets plus epochs.
    whole = exponents[1:] * np.log1p(1 / epochs[1:])
    before_last = np.concatenate([[0.0], np.cumsum(whole)])[np.maximum(last - 1, 0)]
    partial = np.where(
        last >= 1, exponents[last] * np.log(samples / (np.maximum(last, 1) * per_epoch)), 0.0
    )
    return first * np.exp(before_last + partial)


def default_candidates(parameters: UtilityParameters) -> list[Candidate]:
    """Every pool alone, and the best k poolable pools (by b) pooled, for k = 2, 3, …, as the
    authors' ``estimate_best_pool.py`` pools the top k quality buckets."""
    singles = [Candidate(pool.name, (pool,)) for pool in parameters.pools]
    names = parameters.poolable if parameters.poolable is not None else parameters.pool_names
    ranked = sorted((parameters.pool(name) for name in names), key=lambda pool: pool.b)
    mixtures = [
        Candidate(" + ".join(pool.name for pool in ranked[:k]), tuple(ranked[:k]))
        for k in range(2, len(ranked) + 1)
    ]
    return singles + mixtures


def simulate_pool_errors(
    parameters: UtilityParameters,
    epochs: Sequence[float] = (2, 4, 6, 8, 10),
    noise: float = 0.005,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """Errors of every pool after the given numbers of epochs, with Gaussian noise of sd
    ``noise``: the design of the authors' runs (2–10 epochs of 12.8M samples), whose measured
    errors were not released."""
    rng = np.random.default_rng(random_seed)
    rows = []
    for pool in parameters.pools:
        samples = np.asarray(epochs, dtype=float) * pool.samples_per_epoch
        mean = utility_error(samples, Candidate(pool.name, (pool,)), parameters.a, parameters.d)
        for seen, error in zip(
            samples, mean + noise * rng.standard_normal(len(samples)), strict=True
        ):
            rows.append(
                {
                    "pool": pool.name,
                    "samples_seen": seen,
                    "samples_per_epoch": pool.samples_per_epoch,
                    "error": error,
                }
            )
    return pd.DataFrame(rows)
