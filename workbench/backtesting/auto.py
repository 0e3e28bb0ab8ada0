"""``law="auto"``: fit every family the run table allows, calibrate each, stack by leave-future-out.

In-sample fit (PSIS-LOO) says which law describes the runs; it does not say which extrapolates.
Here each candidate is refitted in nested leave-future-out backtests on the training runs
(:mod:`workbench.predict.calibration`); those backtests calibrate its extrapolation error and
score its calibrated predictive density on the held-out larger runs. Stacking weights maximize
the mixture's score on them (Yao et al. 2018, with leave-future-out instead of leave-one-out
predictive densities), averaged over Bayesian-bootstrap replicates of those runs: they are few,
and the optimum on a few runs often gives all the weight to one law by chance.

**The mixture's own extrapolation error.** The law that stacking favours is the one whose
nested residuals happened to be smallest, so its own calibration, learned from those same
residuals, is optimistic. The mixture is therefore calibrated as a whole, on evidence free of the
choice (:func:`selection_free_evidence`): each nested cut's held-out runs are predicted by the
mixture whose weights were stacked on the *other* cuts' held-out runs that this cut does not hold
out. Predictions are the weighted mixture of the laws' own predictive distributions plus that
error. Where the table is too small for any nested backtest, the weights fall back to PSIS-LOO
stacking and the mixture keeps the default extrapolation error.
"""

import json
import threading
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import brentq
from scipy.stats import norm

from workbench.atomic import replacing
from workbench.backtesting.nested import MIN_INNER_RUNS, lfo_evidence
from workbench.fitting import FitCancelled, FitFileError, FitWarning, ScalingLawFit
from workbench.fitting.model import stage_progress
from workbench.intervals import interval_levels, resolve_ci_prob, summary_table
from workbench.laws import ScalingLaw, get_law
from workbench.predict.calibration import (
    DEFAULT_PRIOR,
    Calibration,
    Prior,
    calibration_of,
    pooled_evidence,
)
from workbench.predict.compare import (
    bagged_stacking_weights,
    draw_count,
    loo_comparison,
    mix_draws,
    mixture_counts,
)
from workbench.predict.extrapolate import (
    check_interval,
    predictive_draws,
    target_covariates,
    target_distance,
    with_reach,
)
from workbench.runs import RunTable, read_runs

AUTO = "auto"
MIN_WEIGHT = 1e-3
"""Laws below this stacking weight are dropped from the mixture (and from the saved file)."""
MIN_AUTO_SIZES = 3
"""Two sizes fix a line and nothing else: a law chosen from them would be chosen by its prior."""


def candidate_laws(runs: RunTable) -> list[ScalingLaw]:
    """The families the table's columns allow, with no more parameters than distinct sizes
    (and at least :data:`MIN_AUTO_SIZES` of them).

    Tables with N and D get Chinchilla, Kaplan's joint law and a power law in compute (plus the
    data-constrained law with unique tokens ``U``, ParScale with parallel streams ``P``). A table
    with one of N, D or C gets the one-covariate families on that axis: power laws with and
    without a floor, a plateau-then-power-law-then-floor curve, M4 and a broken power law.
    """
    finals = runs.final_checkpoints()
    if finals.has("N") and finals.has("D"):
        laws = [get_law("chinchilla"), get_law("kaplan_joint"), get_law("power_law", covariate="C")]
        laws += [get_law("data_constrained")] if finals.has("U") else []
        laws += [get_law("parscale")] if finals.has("P") else []
    else:
        axes = [name for name in ("N", "D", "C") if finals.has(name)]
        if not axes:
            raise ValueError(
                "law='auto' needs a size column: parameters (N), tokens (D) or compute (C)"
            )
        axis = axes[0]
        laws = [
            get_law("power_law", covariate=axis),
            get_law("power_law", covariate=axis, irreducible=False),
            get_law("learning_curve_regimes", covariate=axis),
            get_law("m4", covariate=axis),
            get_law("broken_power_law", covariate=axis),
        ]
    distinct = {law.label: len(finals.data[list(law.covariates)].drop_duplicates()) for law in laws}
    usable = [
        law for law in laws if distinct[law.label] >= max(MIN_AUTO_SIZES, len(law.parameters))
    ]
    if not usable:
        smallest = max(MIN_AUTO_SIZES, min(len(law.parameters) for law in laws))
        raise ValueError(
            f"law='auto' cannot fit {len(finals)} runs at {max(distinct.values())} distinct "
            f"sizes: even the smallest law needs {smallest}; add runs or name a law"
        )
    return usable


class LawEnsemble:
    """A stacked mixture of calibrated law fits, chosen by leave-future-out (``law="auto"``).

    Parameters
    ----------
    laws : sequence of str or ScalingLaw, optional
        Families to consider; by default :func:`candidate_laws` of the table.
    sampler : mapping, optional
        nutpie options for every fit.
    prior : Prior
        The extrapolation-error prior every law's evidence updates.

    Attributes (after ``fit``)
    --------------------------
    fits_ : dict of ScalingLawFit
        The calibrated fits kept in the mixture, by law label.
    weights_ : Series
        Their stacking weights (summing to 1).
    weights_from_ : str
        ``"lfo"`` (nested leave-future-out stacking) or ``"psis-loo"`` (too few runs for it).
    considered_ : dict
        Every law considered, with its weight (0 for those dropped).
    candidates_ : dict of ScalingLawFit
        Every considered law's calibrated fit (not saved).
    calibrations_ : dict of Calibration
        Every considered law's calibration (its nested leave-future-out evidence).
    calibration_ : Calibration
        The mixture's extrapolation error, learned from :func:`selection_free_evidence`; the
        calibrated intervals of :meth:`predict` add it to the mixture of the laws' own
        predictive distributions.
    """

    def __init__(self, laws=None, sampler: Mapping | None = None, prior: Prior = DEFAULT_PRIOR):
        self.laws = laws
        self.sampler = sampler
        self.prior = prior

    def fit(
        self,
        runs,
        random_seed: int | None = 0,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
        **fit_options,
    ) -> "LawEnsemble":
        """Fit, calibrate and stack every candidate law; returns ``self``.

        ``fit_options`` are keywords of ``ScalingLawFit.fit`` (checkpoints, groups, ...).
        ``progress`` is called with the fraction of laws calibrated; setting ``cancel`` stops the
        fit with ``FitCancelled``.
        """
        runs = read_runs(runs)
        laws = [get_law(law) for law in self.laws] if self.laws else candidate_laws(runs)
        min_runs = max(MIN_INNER_RUNS, *(len(law.parameters) + 1 for law in laws))
        fits, evidence, caught = {}, {}, {}
        for index, law in enumerate(laws):
            # The sampler notices ``cancel`` only while it samples; a law's compilation takes
            # longer than its sampling, so look before starting each law.
            if cancel is not None and cancel.is_set():
                raise FitCancelled("the fit was cancelled")
            fit = ScalingLawFit(law, sampler=self.sampler)
            with warnings.catch_warnings(record=True) as caught[law.label]:
                warnings.simplefilter("always", FitWarning)
                fit.fit(runs, random_seed=random_seed, cancel=cancel, **fit_options)
            evidence[law.label] = lfo_evidence(
                fit,
                runs,
                fit_options=fit_options,
                min_runs=min_runs,
                random_seed=random_seed,
                progress=stage_progress(progress, index, len(laws)),
                cancel=cancel,
            )
            calibration = Calibration(evidence=evidence[law.label], prior=self.prior)
            fit.idata.attrs["calibration"] = calibration.to_json()
            fits[law.label] = fit
        # A law that no nested cut could refit shows nothing of how it extrapolates: no weight.
        scored = {label: rows for label, rows in evidence.items() if len(rows)}
        if scored and len(next(iter(shared_rows(scored).values()))):
            weights = lfo_stacking_weights(fits, scored).reindex(list(fits), fill_value=0.0)
            self.weights_from_ = "lfo"
        else:
            weights = loo_stacking_weights(fits)
            self.weights_from_ = "psis-loo"
        self.considered_ = {label: float(weights.get(label, 0.0)) for label in fits}
        self.calibrations_ = {label: calibration_of(fit) for label, fit in fits.items()}
        self.calibration_ = Calibration(
            evidence=selection_free_evidence(self.calibrations_), prior=self.prior
        )
        kept = weights[weights >= MIN_WEIGHT]
        self.weights_ = kept / kept.sum()
        self.fits_ = {label: fits[label] for label in self.weights_.index}
        self.candidates_ = fits
        # A law the mixture drops cannot mislead, so only the kept laws' sampling problems matter.
        for label in self.fits_:
            for warning in caught[label]:
                warnings.warn(warning.message, warning.category, stacklevel=2)
        return self

    # -- results -------------------------------------------------------------------------
    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(name for fit in self.fits_.values() for name in fit.law.covariates)
        )

    @property
    def target_(self) -> str:
        return next(iter(self.fits_.values())).target_

    @property
    def label(self) -> str:
        return (
            "auto("
            + ", ".join(f"{label} {weight:.2f}" for label, weight in self.weights_.items())
            + ")"
        )

    def lfo_table(self, ci_prob: float | None = None) -> pd.DataFrame:
        """Every considered law's leave-future-out scores on the nested held-out runs
        (:meth:`Calibration.scores`) and its LFO stacking weight, best weight first."""
        rows = {
            label: calibration.scores(ci_prob) | {"weight": self.considered_[label]}
            for label, calibration in self.calibrations_.items()
            if len(calibration.evidence)
        }
        table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("law")
        return table.sort_values("weight", ascending=False) if len(table) else table

    def calibration_report(self) -> dict:
        """JSON-ready (``workbench calibrate --json``): under ``mixture``, the calibration the
        mixture's intervals use (learned from its selection-free nested backtests); under
        ``laws``, each considered law's stacking weight and own calibration
        (:meth:`Calibration.to_dict`)."""
        laws = {
            label: {"weight": self.considered_[label]} | calibration.to_dict()
            for label, calibration in self.calibrations_.items()
        }
        return {
            "weights_from": self.weights_from_,
            "mixture": self.calibration_.to_dict(),
            "laws": laws,
        }

    def calibrations(self) -> dict[str, dict]:
        """The mixture's calibration summary (under ``"auto"``, the one its calibrated intervals
        use), then each kept law's own, by label."""
        laws = {label: calibration_of(fit).summary() for label, fit in self.fits_.items()}
        return {AUTO: self.calibration_.summary()} | laws

    def predict(
        self,
        targets=None,
        *,
        ci_prob: float | None = None,
        inner_prob: float | None = None,
        interval="calibrated",
        random_seed: int | None = 0,
        warn: bool = True,
        **covariates,
    ) -> pd.DataFrame:
        """Median and central intervals of the stacked mixture, as ``predict`` gives for one law.

        The calibrated intervals add the mixture's extrapolation error (:attr:`calibration_`) to
        the mixture of the laws' own predictive distributions. ``distance`` is the largest over
        the laws (they may use different covariates); a target is ``beyond_evidence`` when it
        lies farther than the mixture's calibration reaches.
        """
        check_interval(interval)
        levels = interval_levels(ci_prob, inner_prob)
        values = target_covariates(self.covariates, targets, **covariates)
        size = max(draw_count(fit) for fit in self.fits_.values())
        counts = mixture_counts(self.weights_, size)
        draws = {
            label: predictive_draws(fit, values, interval="law")
            for label, fit in self.fits_.items()
            if counts[label] > 0
        }
        rng = np.random.default_rng(random_seed)
        mixed = mix_draws(draws, counts, rng)
        distance = np.max([target_distance(self.fits_[label], values) for label in draws], axis=0)
        if interval == "calibrated":
            error = np.exp(self.calibration_.log_error_draws(distance, size, rng))
            # A Student-t draw may already be infinite; it stays so.
            with np.errstate(over="ignore", invalid="ignore"):
                mixed = {kind: kind_draws * error for kind, kind_draws in mixed.items()}
        table = summary_table(values, "kind", mixed, levels)
        return with_reach(table, distance, self.calibration_.max_distance, interval, warn)

    # -- persistence ---------------------------------------------------------------------
    def report(self, ci_prob: float | None = None) -> dict:
        """JSON-ready (``workbench fit --law auto --json``): the laws considered with their
        stacking weights, where the weights came from, and each kept law's own report."""
        ci_prob = resolve_ci_prob(ci_prob)
        return {
            "law": AUTO,
            "weights": self.weights_.to_dict(),
            "weights_from": self.weights_from_,
            "considered": self.considered_,
            "laws": {label: fit.report(ci_prob) for label, fit in self.fits_.items()},
            "ci_prob": ci_prob,
        }

    def save(self, path) -> Path:
        """One netCDF file: each kept law's fit as a group, the weights in the root's attributes."""
        path = Path(path)
        children = {
            f"law{index}": fit.saved_tree() for index, fit in enumerate(self.fits_.values())
        }
        tree = xr.DataTree(children=children)
        tree.attrs = {
            "law": AUTO,
            "ensemble": json.dumps(
                {
                    "members": list(children),
                    "labels": list(self.fits_),
                    "weights": self.weights_.tolist(),
                    "weights_from": self.weights_from_,
                    "considered": self.considered_,
                    "calibration": self.calibration_.to_json(),
                }
            ),
        }
        with replacing(path) as partial:
            tree.to_netcdf(partial, engine="netcdf4")
        return path

    @classmethod
    def from_tree(cls, tree: xr.DataTree, source="this tree", *, pointwise=True) -> "LawEnsemble":
        content = json.loads(tree.attrs["ensemble"])
        missing = [member for member in content["members"] if member not in tree.children]
        if missing:
            raise FitFileError(
                f"{source} is an incomplete auto fit: it has no {', '.join(missing)} "
                f"group{'s' if len(missing) > 1 else ''}; fit again"
            )
        ensemble = cls()
        ensemble.fits_ = {
            label: ScalingLawFit.from_tree(
                tree[member].copy(), source=f"{source} ({label})", pointwise=pointwise
            )
            for member, label in zip(content["members"], content["labels"], strict=True)
        }
        ensemble.weights_ = pd.Series(content["weights"], index=content["labels"])
        ensemble.weights_from_ = content["weights_from"]
        ensemble.considered_ = content["considered"]
        if "calibration" not in content:
            raise FitFileError(
                f"{source} is an auto fit saved before mixtures were calibrated as a whole; "
                "fit again"
            )
        ensemble.calibration_ = Calibration.from_json(content["calibration"])
        return ensemble

    def __repr__(self) -> str:
        if not hasattr(self, "fits_"):
            return "LawEnsemble(not fitted)"
        return f"LawEnsemble({self.label}, weights from {self.weights_from_})"


def load_fit(path, *, pointwise: bool = True) -> "ScalingLawFit | LawEnsemble":
    """Read a fit saved by ``ScalingLawFit.save`` or ``LawEnsemble.save``.

    ``pointwise=False`` leaves out the pointwise groups, for a fit that only predicts (see
    ``ScalingLawFit.load``).
    """
    tree = ScalingLawFit.read_tree(path)
    return (
        LawEnsemble.from_tree(tree, source=path, pointwise=pointwise)
        if tree.attrs.get("law") == AUTO
        else ScalingLawFit.from_tree(tree, source=path, pointwise=pointwise)
    )


def lfo_stacking_weights(
    fits: Mapping[str, ScalingLawFit], evidence: Mapping[str, pd.DataFrame]
) -> pd.Series:
    """Weights maximizing the mixture's calibrated log score on the nested held-out runs,
    averaged over Bayesian-bootstrap replicates of those runs (:func:`bagged_stacking_weights`).

    Only the (cut, run) rows every law was scored on count, each with its evidence weight (a
    cut counts as one experiment).
    """
    rows = shared_rows(evidence)
    log_density = np.column_stack(
        [
            calibration_of(fits[label]).log_density(
                *(law_rows[column].to_numpy(float) for column in EVIDENCE_COLUMNS)
            )
            for label, law_rows in rows.items()
        ]
    )
    row_weight = next(iter(rows.values()))["weight"].to_numpy(float)
    return pd.Series(bagged_stacking_weights(log_density, row_weight), index=list(evidence))


EVIDENCE_COLUMNS = ("residual", "spread", "distance")


def shared_rows(evidence: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each law's evidence on the (cut, run) rows every law was scored on, in one order."""
    keys = ["cut", "run"]
    indexed = {label: rows.astype({"run": str}).set_index(keys) for label, rows in evidence.items()}
    common = None
    for rows in indexed.values():
        common = rows.index if common is None else common.intersection(rows.index)
    return {label: rows.loc[common] for label, rows in indexed.items()}


def selection_free_evidence(calibrations: Mapping[str, Calibration]) -> pd.DataFrame:
    """Nested leave-future-out evidence of the stacked mixture, free of the choice of laws.

    Each nested cut's held-out runs are predicted by the mixture of the laws' own predictive
    distributions (normal on the log target, as in the evidence), weighted by stacking on the
    other cuts' held-out runs that this cut does not hold out, so no run both chooses the laws
    and scores the choice. A cut without such runs (the deepest) gives no evidence. One law
    needs no choice: its evidence is its own. Rows are those every law was scored on; the
    distance is the largest over the laws in the mixture.
    """
    calibrations = {label: c for label, c in calibrations.items() if len(c.evidence)}
    if len(calibrations) <= 1:
        return next(iter(calibrations.values()), Calibration()).evidence
    rows = shared_rows({label: c.evidence for label, c in calibrations.items()})
    index = next(iter(rows.values())).index
    if not len(index):
        return Calibration().evidence
    cuts = index.get_level_values("cut").to_numpy(float)
    runs = index.get_level_values("run").to_numpy(str)
    row_weight = next(iter(rows.values()))["weight"].to_numpy(float)
    # Per column, (rows, laws); each law's prediction of a run sits at -residual, the truth at 0.
    stacked = {
        column: np.column_stack([law_rows[column].to_numpy(float) for law_rows in rows.values()])
        for column in EVIDENCE_COLUMNS
    }
    frames = []
    for cut in np.unique(cuts):
        scored = cuts == cut
        choosing = ~scored & ~np.isin(runs, runs[scored])
        if not choosing.any():
            continue
        log_density = np.column_stack(
            [
                Calibration(
                    evidence=law_rows[choosing].reset_index(), prior=calibrations[label].prior
                ).log_density(*(stacked[column][choosing, k] for column in EVIDENCE_COLUMNS))
                for k, (label, law_rows) in enumerate(rows.items())
            ]
        )
        weights = bagged_stacking_weights(log_density, row_weight[choosing])
        in_mixture = weights >= MIN_WEIGHT
        low, median, high = (
            np.array(
                [
                    mixture_quantile(q, -stacked["residual"][i], stacked["spread"][i], weights)
                    for i in np.flatnonzero(scored)
                ]
            )
            for q in (norm.cdf(-1), 0.5, norm.cdf(1))
        )
        frames.append(
            pd.DataFrame(
                {
                    "cut": cut,
                    "run": runs[scored],
                    "distance": stacked["distance"][scored][:, in_mixture].max(axis=1),
                    "residual": -median,
                    "spread": (high - low) / 2,
                }
            )
        )
    return pooled_evidence(frames)


def mixture_quantile(q: float, centres, spreads, weights) -> float:
    """The ``q`` quantile of a mixture of normals."""
    spreads = np.maximum(spreads, 1e-12)
    low, high = np.min(centres - 40 * spreads), np.max(centres + 40 * spreads)
    return brentq(lambda x: weights @ norm.cdf((x - centres) / spreads) - q, low, high)


def loo_stacking_weights(fits: Mapping[str, ScalingLawFit]) -> pd.Series:
    if len(fits) == 1:
        return pd.Series([1.0], index=list(fits))
    with warnings.catch_warnings():
        # Tiny tables give high Pareto k; the weights are a fallback and say so (weights_from).
        warnings.simplefilter("ignore")
        comparison = loo_comparison(fits)
    return comparison.weights.reindex(list(fits)).fillna(0.0)
