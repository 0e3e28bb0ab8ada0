"""Credible-interval extrapolation and compute-optimal allocation from a fitted law."""

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.compute import complete_triple, training_compute
from workbench.intervals import interval_levels, summary_table
from workbench.runs import RunTable, parse_quantity


def target_covariates(covariates_needed, targets=None, **arrays) -> dict[str, np.ndarray]:
    """N, D and C arrays for prediction, completing one from the other two via C = 6·N·D.

    Other covariates a law needs (such as ``loss`` for a law of downstream error) are read too.
    """
    names = tuple(dict.fromkeys(("N", "D", "C", *covariates_needed)))
    from_runs = isinstance(targets, RunTable)
    if from_runs:
        targets = {name: targets.column(name) for name in names if targets.has(name)}
    given = dict(targets.items() if isinstance(targets, Mapping) else _frame_items(targets))
    given |= arrays
    values = {
        name: np.atleast_1d(np.asarray([parse_quantity(v) for v in np.ravel(given[name])]))
        for name in names
        if given.get(name) is not None
    }
    lengths = {name: array.size for name, array in values.items()}
    if len(set(lengths.values())) > 1:
        counts = ", ".join(f"{name} has {size}" for name, size in lengths.items())
        raise ValueError(f"targets differ in length ({counts}): give as many values of each")
    if not from_runs:
        # A run table may count compute its own way; targets typed by a user must agree.
        _check_triple(values)
    complete_triple(values)
    missing = [name for name in covariates_needed if name not in values]
    if missing:
        sizes_hint = " (give two of N, D and C and the third follows from C = 6·N·D)"
        raise ValueError(
            f"prediction targets need {', '.join(covariates_needed)}; missing {', '.join(missing)}"
            + (sizes_hint if {"N", "D", "C"} & set(missing) else "")
        )
    for name, array in values.items():
        if not np.all(np.isfinite(array) & (array > 0)):
            raise ValueError(f"prediction target {name} must be positive and finite, got {array}")
    return values


def _frame_items(targets):
    if targets is None:
        return []
    if isinstance(targets, pd.DataFrame):
        return [(column, targets[column].to_numpy()) for column in targets.columns]
    raise TypeError(f"targets must be a table or a mapping of N/D/C arrays, not {type(targets)}")


TRIPLE_TOLERANCE = 0.01
"""How far (relative) a given C may be from 6·N·D: rounding, not a different target."""


def _check_triple(values: dict[str, np.ndarray]) -> None:
    if not {"N", "D", "C"} <= set(values):
        return
    implied = training_compute(values["N"], values["D"])
    off = np.abs(values["C"] - implied) > TRIPLE_TOLERANCE * implied
    if off.any():
        first = int(np.argmax(off))
        raise ValueError(
            f"target {first + 1} gives C = {values['C'][first]:.4g}, but 6·N·D = "
            f"{implied[first]:.4g}: give two of N, D and C"
        )


INTERVALS = ("calibrated", "law")
"""``calibrated`` adds the extrapolation error learned by :mod:`workbench.predict.calibration`
past the training runs; ``law`` trusts the law as if it held exactly at any scale."""


def predictive_draws(
    fit, covariates, groups=None, random_seed=None, interval="calibrated"
) -> dict[str, np.ndarray]:
    """Posterior draws of the law's mean and of a new run's measured target: (draws, targets).

    With ``interval="calibrated"`` both include the extrapolation error at each target's
    distance past the training runs (zero inside them).
    """
    check_interval(interval)
    log_mean = fit.log_mean_draws(covariates, groups)
    seed = fit.idata.attrs["random_seed"] if random_seed is None else random_seed
    noise = fit.observation_noise(log_mean.shape, np.random.default_rng(seed))
    if interval == "calibrated":
        log_mean = log_mean + extrapolation_error_draws(fit, covariates, log_mean.shape[0], seed)
    # Student-t noise with few degrees of freedom can draw past exp's range: an infinite draw,
    # which quantiles handle.
    with np.errstate(over="ignore"):
        return {"mean": np.exp(log_mean), "observation": np.exp(log_mean + noise)}


def check_interval(interval: str) -> None:
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")


def extrapolation_error_draws(fit, covariates, n_draws: int, seed) -> np.ndarray:
    """The calibrated extrapolation error on the log target: (draws, targets).

    Its own random stream leaves the law's draws as they are without it.
    """
    from workbench.predict.calibration import calibration_of

    rng = np.random.default_rng([seed, 1])
    return calibration_of(fit).log_error_draws(target_distance(fit, covariates), n_draws, rng)


def target_distance(fit, covariates) -> np.ndarray:
    """Decades past the fit's training runs, per target (see ``workbench.predict.calibration``)."""
    from workbench.predict.calibration import extrapolation_distance, training_ranges

    return extrapolation_distance(training_ranges(fit), covariates)


def predict(
    fit,
    targets=None,
    *,
    ci_prob: float | None = None,
    inner_prob: float | None = None,
    group=None,
    interval="calibrated",
    warn=True,
    **covariates,
) -> pd.DataFrame:
    """Posterior median and central intervals at new targets, for the mean and a new run.

    Returns one row per target and kind: ``kind="mean"`` is the law's curve; ``kind="observation"``
    adds the fitted noise (and, for checkpoint fits, a new run's own offset), so it is the interval
    a new run's measured target should fall in. For a grouped fit, ``group`` names the group of
    the targets (one label or one per target); without it every group is predicted.

    ``interval="calibrated"`` (the default) widens both past the training runs by the fit's
    calibrated extrapolation error; ``interval="law"`` gives the law-only intervals. Every row
    carries ``distance`` (decades past the training runs) and ``interval``. A target farther
    than the calibration's evidence reaches raises an ``ExtrapolationWarning`` (``warn=False``
    leaves it to the caller, who can read ``beyond_evidence``).
    """
    levels = interval_levels(ci_prob, inner_prob)
    values = target_covariates(fit.law.covariates, targets, **covariates)
    labels = [None] if not fit.groups_ else (fit.groups_ if group is None else [group])
    frames = [
        summary_table(
            values, "kind", predictive_draws(fit, values, label, interval=interval), levels
        ).assign(**({"group": label} if label is not None else {}))
        for label in labels
    ]
    table = pd.concat(frames, ignore_index=True)
    return with_distance(fit, table, values, interval, warn)


def with_distance(fit, table: pd.DataFrame, values, interval: str, warn: bool) -> pd.DataFrame:
    """``table`` with each target's ``distance``, ``interval`` and ``beyond_evidence``."""
    from workbench.predict.calibration import calibration_of

    reach = calibration_of(fit).max_distance
    return with_reach(table, target_distance(fit, values), reach, interval, warn, stacklevel=4)


def with_reach(
    table: pd.DataFrame, distance, reach: float, interval: str, warn: bool, stacklevel: int = 3
) -> pd.DataFrame:
    """``table`` (its rows repeating the targets) with ``distance``, ``interval`` and whether
    each target lies beyond the ``reach`` of the calibration's evidence, which ``warn`` warns of
    for calibrated intervals (law-only ones carry no extrapolation error to extrapolate).
    """
    from workbench.predict.calibration import ExtrapolationWarning

    repeats = len(table) // distance.size
    table = table.assign(
        distance=np.tile(distance, repeats),
        interval=interval,
        beyond_evidence=np.tile(distance > reach, repeats),
    )
    if warn and interval == "calibrated" and (distance > reach).any():
        warnings.warn(
            beyond_evidence_message(distance.max(), reach),
            ExtrapolationWarning,
            stacklevel=stacklevel,
        )
    return table


def with_mixture_distance(fits, table: pd.DataFrame, values, interval: str, warn: bool):
    """:func:`with_distance` for a mixture of the ``fits`` that contribute draws: the largest
    distance over them (they
    may use different covariates); beyond the evidence only when past every law's reach."""
    from workbench.predict.calibration import ExtrapolationWarning, calibration_of

    tables = [with_distance(fit, table, values, interval, warn=False) for fit in fits]
    table = tables[0].assign(
        distance=np.max([t["distance"] for t in tables], axis=0),
        beyond_evidence=np.all([t["beyond_evidence"] for t in tables], axis=0),
    )
    if warn and interval == "calibrated" and table["beyond_evidence"].any():
        reach = max(calibration_of(fit).max_distance for fit in fits)
        message = beyond_evidence_message(float(table["distance"].max()), reach)
        warnings.warn(message, ExtrapolationWarning, stacklevel=3)
    return table


def beyond_evidence_message(distance: float, reach: float) -> str:
    return (
        f"a target lies {distance:.2g} decades past the training runs, beyond the "
        f"{reach:.2g} decades that the calibration's backtests reached: its interval "
        "extrapolates the extrapolation error and may be too narrow"
    )


def compute_optimal(
    fit, compute, *, ci_prob: float | None = None, inner_prob: float | None = None, **fixed
) -> pd.DataFrame:
    """Compute-optimal N, D, loss and tokens per parameter at each budget, with intervals.

    Vectorized over posterior draws and budgets. Covariates other than N and D stay fixed at the
    values given by name, e.g. ``U=25e9`` unique tokens for ``data_constrained``.
    """
    levels = interval_levels(ci_prob, inner_prob)
    law = fit.law
    if not law.has_compute_optimum:
        raise ValueError(f"{law.label} has no compute-optimal allocation: it needs both N and D")
    compute = np.atleast_1d(np.asarray([parse_quantity(c) for c in np.ravel(compute)]))
    if not np.all(np.isfinite(compute) & (compute > 0)):
        raise ValueError(f"compute budgets must be positive and finite, got {compute}")
    fixed = {name: parse_quantity(value) for name, value in fixed.items()}
    params = fit.draws(law.parameters)
    if not fit.groups_:
        return _optimal_table(law, params, compute, levels, fixed)
    frames = [
        _optimal_table(
            law, {k: v[:, index] for k, v in params.items()}, compute, levels, fixed
        ).assign(group=label)
        for index, label in enumerate(fit.groups_)
    ]
    return pd.concat(frames, ignore_index=True)


def _optimal_table(law, params, compute, levels, fixed) -> pd.DataFrame:
    n_opt, d_opt = law.optimal_allocation(params, compute, **fixed)
    covariates = {"N": n_opt, "D": d_opt} | {
        name: np.broadcast_to(value, n_opt.shape) for name, value in fixed.items()
    }
    loss = law.curve(covariates, {k: v[:, None] for k, v in params.items()})
    quantities = {
        "N_opt": n_opt,
        "D_opt": d_opt,
        "loss_opt": loss,
        "tokens_per_parameter": d_opt / n_opt,
    }
    return summary_table({"C": compute}, "quantity", quantities, levels)
