"""Nested leave-future-out: the refits that learn a fit's extrapolation error.

The error model, its prior and how the evidence updates it are in
:mod:`workbench.predict.calibration`; this module produces the evidence. On the training runs
only, the largest 10 %, 20 % and 30 % are held out in turn, the law is refitted on the rest, and
each held-out run's residual, the law's own spread and its distance are recorded.
"""

import math
import threading
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from workbench.backtesting.holdout import holdout_runs
from workbench.fitting import ScalingLawFit
from workbench.fitting.data_checks import scale_column
from workbench.fitting.model import stage_progress
from workbench.predict.calibration import (
    DEFAULT_PRIOR,
    Calibration,
    Prior,
    extrapolation_distance,
    pooled_evidence,
    training_ranges,
)
from workbench.predict.extrapolate import predictive_draws, target_covariates
from workbench.runs import read_runs

LFO_CUTS = (0.1, 0.2, 0.3)
"""Fractions of the training runs held out, largest first, in the nested backtests."""
MIN_INNER_RUNS = 4
"""A nested backtest needs at least this many runs (and one more than the law's parameters)."""
INNER_SAMPLER = {"draws": 500, "tune": 500}
"""The refits only supply a median and a spread per held-out run; 2 × 500 draws are plenty."""


def lfo_evidence(
    fit: ScalingLawFit,
    runs,
    *,
    fit_options: Mapping | None = None,
    cuts=LFO_CUTS,
    by: str | None = None,
    min_runs: int | None = None,
    random_seed: int | None = 0,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> pd.DataFrame:
    """Nested leave-future-out evidence on ``runs``: refit without the largest runs, score them.

    ``fit`` supplies the law, priors, likelihood and sampler (with :data:`INNER_SAMPLER`'s draws
    and tuning, whatever the fit's own); it is not changed. Cuts that leave fewer than
    ``min_runs`` runs to fit (by default :data:`MIN_INNER_RUNS`, and one more than the law's
    parameters) are skipped, and so are cuts that leave fewer distinct sizes than that default
    (runs at the same sizes count once). ``by`` names the column whose
    largest runs are held out; by default the table's own order (see
    :func:`~workbench.backtesting.holdout.holdout_runs`), the same for every law fitted to it,
    so laws stacked on their evidence are scored on the same runs.
    """
    runs = read_runs(runs)
    fit_options = dict(fit_options or {})
    finals = runs.final_checkpoints()
    law_minimum = max(MIN_INNER_RUNS, len(fit.law.parameters) + 1)
    minimum = min_runs or law_minimum
    sampler = {**fit.sampler_options, **INNER_SAMPLER, "progress_bar": False}
    rows = []
    for index, cut in enumerate(cuts):
        n_held = math.ceil(cut * len(finals) - 1e-9)
        if len(finals) - n_held < minimum:
            continue
        holdout = holdout_runs(runs, holdout_top_frac=cut, by=by)
        held = runs.data["run"].astype(str).isin(holdout.runs).to_numpy()
        train, test = runs.filter(~held), runs.filter(held).final_checkpoints()
        # Repeated runs at one size (seeds, or an IsoFLOP budget's runs for a law in C) pin no
        # more of this law's curve than one run there; ``min_runs`` is the ensemble's, not this
        # law's.
        sizes = train.final_checkpoints().data[list(fit.law.covariates)].drop_duplicates()
        if len(sizes) < law_minimum:
            continue
        inner = ScalingLawFit(
            fit.law, priors=fit.priors, likelihood=fit.likelihood, sampler=sampler
        )
        with warnings.catch_warnings():
            # An inner refit on fewer runs may mix less well; its median and spread still serve.
            warnings.simplefilter("ignore")
            inner.fit(
                train,
                random_seed=random_seed,
                pointwise=False,
                progress=stage_progress(progress, index, len(cuts)),
                cancel=cancel,
                **fit_options,
            )
        covariates = target_covariates(inner.law.covariates, test)
        covariates = {name: covariates[name] for name in inner.law.covariates}
        groups = (
            test.data[inner.structure_.group_column].astype(str).to_numpy()
            if inner.groups_
            else None
        )
        # The law's own spread: the error to learn must not already be in it.
        law_draws = predictive_draws(inner, covariates, groups, interval="law")
        log_draws = np.log(law_draws["observation"])
        low, median, high = np.quantile(log_draws, [0.15865, 0.5, 0.84135], axis=0)
        rows.append(
            pd.DataFrame(
                {
                    "cut": cut,
                    "run": test.data["run"].astype(str).to_numpy(),
                    "distance": extrapolation_distance(training_ranges(inner), covariates),
                    "residual": np.log(test.y) - median,
                    "spread": (high - low) / 2,
                }
            )
        )
    return pooled_evidence(rows)


def calibrate(
    fit: ScalingLawFit,
    runs,
    *,
    fit_options: Mapping | None = None,
    cuts=LFO_CUTS,
    by: str | None = None,
    prior: Prior = DEFAULT_PRIOR,
    random_seed: int | None = 0,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> ScalingLawFit:
    """Learn ``fit``'s extrapolation error from nested leave-future-out backtests on ``runs``.

    ``runs`` must be the table ``fit`` was fitted to, and ``fit_options`` the same keywords of
    ``ScalingLawFit.fit`` (checkpoints, run effect, groups). The calibration is stored in the
    fit's attributes (so it is saved with it) and used by :func:`~workbench.predict.predict`.
    ``by`` names the column whose largest runs are held out, by default the law's own scale
    (:func:`~workbench.fitting.data_checks.scale_column`): holding out by anything else, such as
    compute for a law in tokens alone, leaves runs inside the law's training range, which teach
    nothing about extrapolation. ``prior`` is the default the evidence updates. Returns ``fit``.
    """
    runs = read_runs(runs)
    evidence = lfo_evidence(
        fit,
        runs,
        fit_options=fit_options,
        cuts=cuts,
        by=by or scale_column(fit.law, runs),
        random_seed=random_seed,
        progress=progress,
        cancel=cancel,
    )
    fit.idata.attrs["calibration"] = Calibration(evidence=evidence, prior=prior).to_json()
    return fit
