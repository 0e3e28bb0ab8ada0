"""Calibrated extrapolation: how far a law drifts from the truth past the runs it was fitted to.

A law's posterior says how well the law is known *if it holds*. Past the data it need not hold:
the curve bends, a regime changes, the largest runs were trained differently. Held-out larger
runs then fall outside the law's intervals far more often than the intervals claim. This module
adds an extrapolation error learned from the runs themselves:

.. math::

    \\log y_{new} = \\log L_\\theta(x) + \\varepsilon + \\delta, \\qquad
    \\delta \\sim \\mathcal{N}\\big(0, \\tau(d)^2\\big), \\qquad
    \\tau(d)^2 = \\big(f \\min(1, d / d_0)\\big)^2 + (s\\,d)^2

where :math:`\\varepsilon` is the law's own noise, :math:`d` the extrapolation distance (below),
:math:`f` a floor reached :math:`d_0` = 0.1 decades past the data, and :math:`s` the growth per
decade. Inside the data (:math:`d = 0`) the law's own intervals stand; LOO-PIT checks those.

**Distance.** :math:`d` is how many decades the target lies outside the box of the training runs:
the largest of :math:`|\\log_{10}|` excess over the training range of each covariate the law uses
and, for laws in N and D, of compute C = 6·N·D. It is 0 inside the range.

**Learning f and s: nested leave-future-out.** On the training runs only, the largest 10 %, 20 %
and 30 % along the law's own scale (compute for a law in N and D, else the one of C, N and D it
reads; see :func:`~workbench.fitting.data_checks.scale_column`) are held out in turn, the law is
refitted on the rest, and each held-out run gives a residual :math:`r` (log truth minus the
predictive median), the law's own predictive spread :math:`\\sigma` and its distance :math:`d`. With
:math:`r \\sim \\mathcal{N}(0, \\sigma^2 + \\tau(d)^2)`, the posterior of (f, s) is computed on a
log grid under a weakly informative prior (:data:`DEFAULT_PRIOR`) learned from the public
curves in ``shared/data`` (``benchmarks/calibration_default.py`` recomputes it) with the evidence
of ``law="auto"``'s stacked mixtures, free of the choice of laws (see
:mod:`workbench.backtesting.auto`): the error of a law picked because it did best on some runs,
measured on those same runs, is too small. A cut
counts as one extrapolation experiment: its held-out runs share one refitted law and its error,
so they are not independent evidence, and their log-likelihood terms carry weights summing to
one (a composite likelihood). Three cuts thus update the prior as three experiments would, not as
hundreds of runs would. Predictions draw (f, s) from that posterior, so a fit with little
evidence gets the wider intervals of the prior. No held-out target of the final
prediction is ever used: the evidence comes from refits on the training runs alone.

References
----------
.. [1] Bürkner, P.-C., Gabry, J. and Vehtari, A. (2020). Approximate leave-future-out
   cross-validation for Bayesian time series models. J. Stat. Comput. Simul. 90(14), 2499–2523.
.. [2] Kennedy, M. C. and O'Hagan, A. (2001). Bayesian calibration of computer models. JRSS B
   63(3), 425–464.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.special import logsumexp
from scipy.stats import norm

from workbench.compute import training_compute
from workbench.intervals import percent, resolve_ci_prob

FLOOR_RAMP = 0.1
"""Decades past the data over which the floor f is reached: the error cannot jump at the edge."""
GRID_SIZE = 48
GRID_LOG10_RANGE = (-4.0, 0.0)
"""f and s on a log grid from 1e-4 to 1 (log-target units; 1 is a factor e error)."""
NOMINAL_LEVELS = (0.5, 0.8, 0.9, 0.95)
"""Interval probabilities of the calibration report."""
NEGLIGIBLE_ERROR = 1e-3
"""Below 0.1 % an extrapolation error is negligible beside any loss noise."""


class ExtrapolationWarning(UserWarning):
    """A prediction lies farther past the data than any nested backtest reached."""


@dataclass(frozen=True)
class Prior:
    """Log-normal priors of the floor f and the growth s of the extrapolation error."""

    floor: float
    slope: float
    max_distance: float
    """The farthest distance in the evidence this prior was learned from (decades)."""
    log_sd: float
    """Spread of the prior on log f and on log s."""


DEFAULT_PRIOR = Prior(floor=0.00300, slope=0.0186, max_distance=1.20, log_sd=1.46)
"""Learned from the public curves in ``shared/data`` by ``benchmarks/calibration_default.py``
(:func:`population_prior` of seven data sets' selection-free nested leave-future-out evidence of
``law="auto"``'s mixtures); its
reproducibility is tested in ``tests/predict/test_calibration_default.py``."""


def discrepancy_sd(distance, floor, slope):
    """τ(d): sd of the extrapolation error on the log target at ``distance`` decades."""
    distance = np.asarray(distance, dtype=float)
    ramped = floor * np.minimum(1.0, distance / FLOOR_RAMP)
    return np.sqrt(ramped**2 + (slope * distance) ** 2)


def training_ranges(fit) -> dict[str, tuple[float, float]]:
    """log10 (min, max) of each covariate the fit was trained on, with C for laws in N and D."""
    constant = fit.idata["constant_data"].to_dataset()
    values = {name: np.asarray(constant[name], dtype=float) for name in fit.law.covariates}
    if {"N", "D"} <= set(values) and "C" not in values:
        values["C"] = training_compute(values["N"], values["D"])
    return {
        name: (float(np.log10(array.min())), float(np.log10(array.max())))
        for name, array in values.items()
    }


def extrapolation_distance(ranges: Mapping[str, tuple[float, float]], covariates) -> np.ndarray:
    """Decades outside the training box, the largest over the covariates in ``ranges``.

    ``covariates`` maps names to target arrays; compute C is completed from N and D when the
    ranges include it.
    """
    covariates = dict(covariates)
    if "C" in ranges and "C" not in covariates:
        covariates["C"] = training_compute(covariates["N"], covariates["D"])
    excess = [
        np.maximum.reduce([np.zeros_like(logs), logs - high, low - logs])
        for name, (low, high) in ranges.items()
        for logs in [np.log10(np.asarray(covariates[name], dtype=float))]
    ]
    return np.max(excess, axis=0)


@dataclass(frozen=True)
class Calibration:
    """The extrapolation error of one fit: its nested-LFO evidence and the posterior of (f, s).

    Attributes
    ----------
    evidence : DataFrame
        One row per held-out run and cut: ``cut``, ``run``, ``distance`` (decades),
        ``residual`` (log truth − predictive median), ``spread`` (the law's predictive sd on the
        log scale), ``weight`` (1 / number of runs held out in that cut).
    prior : Prior
        The default the evidence updates.
    """

    evidence: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["cut", "run", "distance", "residual", "spread", "weight"]
        )
    )
    prior: Prior = DEFAULT_PRIOR

    @property
    def source(self) -> str:
        """``"nested_lfo"`` when backtests on the training runs informed it, else ``"default"``."""
        return "nested_lfo" if (self.evidence["distance"] > 0).any() else "default"

    @property
    def max_distance(self) -> float:
        """How far past the data the calibration has evidence (decades)."""
        reached = float(self.evidence["distance"].max()) if len(self.evidence) else 0.0
        return reached if self.source == "nested_lfo" else self.prior.max_distance

    @cached_property
    def _grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(floor, slope, posterior probability) on the flattened log grid."""
        axis = np.logspace(*GRID_LOG10_RANGE, GRID_SIZE)
        floor, slope = (values.ravel() for values in np.meshgrid(axis, axis, indexing="ij"))
        log_prior = -0.5 * (
            (np.log(floor / self.prior.floor) / self.prior.log_sd) ** 2
            + (np.log(slope / self.prior.slope) / self.prior.log_sd) ** 2
        )
        log_posterior = log_prior + self._log_likelihood(floor, slope)
        probability = np.exp(log_posterior - logsumexp(log_posterior))
        return floor, slope, probability

    def _log_likelihood(self, floor: np.ndarray, slope: np.ndarray) -> np.ndarray:
        evidence = self.evidence
        if evidence.empty:
            return np.zeros_like(floor)
        distance = evidence["distance"].to_numpy(float)
        tau = discrepancy_sd(distance[None, :], floor[:, None], slope[:, None])
        variance = evidence["spread"].to_numpy(float) ** 2 + tau**2
        residual = evidence["residual"].to_numpy(float)
        log_density = -0.5 * (residual**2 / variance + np.log(2 * np.pi * variance))
        return log_density @ evidence["weight"].to_numpy(float)

    def parameter_draws(self, n_draws: int, rng: np.random.Generator) -> tuple:
        """``n_draws`` draws of (f, s) from their grid posterior."""
        floor, slope, probability = self._grid
        index = rng.choice(floor.size, size=n_draws, p=probability)
        return floor[index], slope[index]

    def log_error_draws(self, distance, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of the extrapolation error δ on the log target: (draws, targets)."""
        floor, slope = self.parameter_draws(n_draws, rng)
        tau = discrepancy_sd(np.atleast_1d(distance)[None, :], floor[:, None], slope[:, None])
        return tau * rng.standard_normal(tau.shape)

    def log_density(self, residual, spread, distance) -> np.ndarray:
        """log p(residual) of held-out runs under the law's spread plus the error, (f, s)
        integrated over their posterior; one value per run."""
        floor, slope, probability = self._grid
        tau = discrepancy_sd(np.asarray(distance, float)[None, :], floor[:, None], slope[:, None])
        variance = np.asarray(spread, float)[None, :] ** 2 + tau**2
        log_density = -0.5 * (
            np.asarray(residual, float) ** 2 / variance + np.log(2 * np.pi * variance)
        )
        return logsumexp(log_density, axis=0, b=probability[:, None])

    def pit(self, calibrated: bool = True) -> np.ndarray:
        """LFO-PIT of the nested held-out runs: where each truth fell in its predictive
        distribution (Gaussian on the log scale), with or without the extrapolation error."""
        evidence = self.evidence
        residual = evidence["residual"].to_numpy(float)[None, :]
        spread = evidence["spread"].to_numpy(float)[None, :]
        if not calibrated:
            return norm.cdf(residual / spread)[0]
        floor, slope, probability = self._grid
        tau = discrepancy_sd(
            evidence["distance"].to_numpy(float)[None, :], floor[:, None], slope[:, None]
        )
        return probability @ norm.cdf(residual / np.sqrt(spread**2 + tau**2))

    def coverage(self, levels=NOMINAL_LEVELS) -> pd.DataFrame:
        """Nominal against observed coverage of the central intervals on the nested held-out runs
        (each cut weighted as one experiment), law-only and calibrated: one row per nominal
        level (the index, ``nominal``).

        These runs also taught the calibration its two numbers, so this is a check of fit;
        :func:`~workbench.backtesting.backtest.backtest` with ``interval="calibrated"`` is the
        out-of-sample check.
        """
        weight = self.evidence["weight"].to_numpy(float)
        rows = {}
        for prob in levels:
            rows[prob] = {
                kind: float(weight @ (np.abs(2 * self.pit(kind == "calibrated") - 1) <= prob))
                / weight.sum()
                for kind in ("law", "calibrated")
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("nominal")

    def scores(self, ci_prob: float | None = None) -> dict:
        """Leave-future-out scores of the calibrated predictions on the nested held-out runs,
        each cut weighted as one experiment: mean log predictive density (of the log target),
        coverage and mean interval score (Gneiting and Raftery, in log-target units) of the
        central ``ci_prob`` interval (the project's credible level by default)."""
        ci_prob = resolve_ci_prob(ci_prob)
        evidence = self.evidence
        weight = evidence["weight"].to_numpy(float) / evidence["weight"].sum()
        residual, spread, distance = (
            evidence[column].to_numpy(float) for column in ("residual", "spread", "distance")
        )
        summary = self.summary()
        half = norm.ppf(0.5 + ci_prob / 2) * np.hypot(
            spread, discrepancy_sd(distance, summary["floor"], summary["slope"])
        )
        miss = np.maximum(np.abs(residual) - half, 0.0)
        return {
            "elpd_lfo": float(weight @ self.log_density(residual, spread, distance)),
            f"coverage_{percent(ci_prob)}": float(weight @ (np.abs(residual) <= half)),
            f"interval_score_{percent(ci_prob)}": float(
                weight @ (2 * half + 2 / (1 - ci_prob) * miss)
            ),
        }

    def to_dict(self) -> dict:
        """JSON-ready: the :meth:`summary`, nominal against observed :meth:`coverage` on the
        nested held-out runs, their LFO-PIT values (law-only and calibrated) and the evidence."""
        return {
            "calibration": self.summary(),
            "coverage": self.coverage().reset_index().to_dict(orient="records"),
            "pit": {"law": self.pit(calibrated=False).tolist(), "calibrated": self.pit().tolist()},
            "evidence": self.evidence.to_dict(orient="list"),
        }

    def summary(self) -> dict:
        """Posterior medians of f and s, where the evidence came from and how far it reaches."""
        floor, slope, probability = self._grid
        return {
            "source": self.source,
            "floor": _weighted_median(floor, probability),
            "slope": _weighted_median(slope, probability),
            "max_distance": self.max_distance,
            "n_evidence": int((self.evidence["distance"] > 0).sum()),
            "cuts": sorted({float(cut) for cut in self.evidence["cut"]}),
        }

    def to_json(self) -> str:
        return json.dumps(
            {
                "evidence": self.evidence.to_dict(orient="list"),
                "prior": {
                    "floor": self.prior.floor,
                    "slope": self.prior.slope,
                    "max_distance": self.prior.max_distance,
                    "log_sd": self.prior.log_sd,
                },
            }
        )

    @classmethod
    def from_json(cls, text: str) -> "Calibration":
        content = json.loads(text)
        return cls(evidence=pd.DataFrame(content["evidence"]), prior=Prior(**content["prior"]))


def maximum_likelihood(evidence: pd.DataFrame) -> tuple[float, float]:
    """The grid point (f, s) of highest likelihood given nested-LFO ``evidence``."""
    calibration = Calibration(evidence=evidence)
    floor, slope, _ = calibration._grid
    best = np.argmax(calibration._log_likelihood(floor, slope))
    return float(floor[best]), float(slope[best])


def population_prior(evidence: Mapping[str, pd.DataFrame]) -> Prior:
    """An empirical-Bayes prior from nested-LFO evidence of several data sets.

    Each data set's (f, s) is its maximum-likelihood point on the grid, clipped below at
    :data:`NEGLIGIBLE_ERROR`; the prior is log-normal with their geometric mean and the larger of
    their two log-spreads, so a new table starts from the spread between real data sets. Its
    reach is the median of the data sets' farthest evidence.
    """
    estimates = [(*maximum_likelihood(rows), rows["distance"].max()) for rows in evidence.values()]
    floors, slopes, reach = (np.array(values) for values in zip(*estimates, strict=True))
    log_floor, log_slope = (np.log(np.maximum(v, NEGLIGIBLE_ERROR)) for v in (floors, slopes))
    return Prior(
        floor=float(np.exp(log_floor.mean())),
        slope=float(np.exp(log_slope.mean())),
        max_distance=float(np.median(reach)),
        log_sd=float(max(log_floor.std(ddof=1), log_slope.std(ddof=1))),
    )


def describe_calibration(summary: dict) -> str:
    """One sentence on a :meth:`Calibration.summary`: where the error came from, how large."""
    if summary["source"] == "default":
        return (
            "Extrapolation error: the default (too few runs for nested backtests, or not "
            f"calibrated); evidence reaches {summary['max_distance']:.2g} decades"
        )
    return (
        f"Extrapolation error from {summary['n_evidence']} nested leave-future-out predictions: "
        f"floor {summary['floor']:.3g}, growth {summary['slope']:.3g} per decade (log scale); "
        f"evidence reaches {summary['max_distance']:.2g} decades past the data"
    )


def _weighted_median(values: np.ndarray, probability: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(probability[order])
    return float(values[order][np.searchsorted(cumulative, 0.5)])


def calibration_of(fit) -> Calibration:
    """The fit's stored calibration, or the default one when it was never calibrated."""
    stored = fit.idata.attrs.get("calibration")
    if not hasattr(fit, "_calibration") or fit._calibration[0] is not stored:
        fit._calibration = (stored, Calibration.from_json(stored) if stored else Calibration())
    return fit._calibration[1]


def pooled_evidence(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The nested cuts' rows in one evidence table, each cut weighted as one experiment."""
    if not frames:
        return Calibration().evidence
    evidence = pd.concat(frames, ignore_index=True)
    evidence["weight"] = 1.0 / evidence.groupby("cut")["cut"].transform("size")
    return evidence
