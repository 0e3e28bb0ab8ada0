"""The per-choice laws fitted Bayesianly, accuracy predicted from them, and the comparison with a
law fitted to accuracy itself.

:class:`PerChoiceFit` samples the hyperparameters of the two laws of
:mod:`workbench.downstream.perchoice` with each item's line integrated out (a linear model with
normal lines and normal scatter, so an item's series is multivariate normal); the items' lines
are drawn afterwards, exactly, from their conditional posterior. The direct comparator is
:class:`workbench.emergence.SigmoidScoreFit` on compute: a chance floor plus a sigmoid in log C,
binomial in the items.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from threading import Event
from typing import ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pytensor.tensor.linalg import solve_triangular

from workbench.downstream.perchoice import (
    LAWS,
    accuracy_of,
    choice_masses,
    draw_lines,
    law_series,
    noise_pattern,
    simulate_accuracy,
)
from workbench.downstream.samples import ChoiceLogs
from workbench.emergence import SigmoidScoreFit, TaskScores
from workbench.fitting import BayesianFit
from workbench.fitting.base import priors_config
from workbench.fitting.compiling import compiled_for
from workbench.fitting.model import create_variable, sample, sampler_seed
from workbench.intervals import interval_names, resolve_ci_prob, summarize_draws, summary_table
from workbench.laws.priors import Prior, merge_priors, priors_to_json

HYPERPARAMETERS = ("offset_mean", "slope_mean", "offset_sd", "slope_sd", "correlation", "noise")
PREDICTIVE_DRAWS = 400
"""Posterior draws the items' lines and simulated accuracies are drawn for."""
HOLDOUT_SHARE = 0.6
"""The default split: fit the models in the lower 60 % of log compute, predict the rest."""
GRID_POINTS = 25


class PerChoiceFit(BayesianFit):
    """Laws of the correct choice's log-odds against the rest of the vocabulary and of the
    margins against log compute, partially pooled across items (see
    :mod:`workbench.downstream.perchoice`).

    Priors, per law: ``offset_mean`` ~ Normal(0, 5) and ``slope_mean`` ~ Normal(0, 2) (logits
    or nats, per decade of compute), ``offset_sd`` ~ HalfNormal(3), ``slope_sd`` ~
    HalfNormal(1), ``correlation`` ~ Uniform(−1, 1) and the scatter ``noise`` ~ HalfNormal(1).
    """

    name = "perchoice"
    fit_call = "fit(logs, random_seed=...)"
    # Where every item's correct choice gains alike (as in the simulation), slope_sd nears 0 and
    # mixes slowly: over the simulated ladder's seeds 0-13, 2,000 draws left R-hat up to 1.012,
    # 3,000 at most 1.005.
    sampler_defaults: ClassVar[dict] = {"draws": 3000}

    def __init__(self, priors=None, sampler=None):
        self.priors = priors
        self.sampler = sampler

    def default_priors(self) -> dict[str, Prior]:
        return {
            "offset_mean": Prior("Normal", mu=0.0, sigma=5.0),
            "slope_mean": Prior("Normal", mu=0.0, sigma=2.0),
            "offset_sd": Prior("HalfNormal", sigma=3.0),
            "slope_sd": Prior("HalfNormal", sigma=1.0),
            "correlation": Prior("Uniform", lower=-1.0, upper=1.0),
            "noise": Prior("HalfNormal", sigma=1.0),
        }

    def config(self) -> dict:
        return {"priors": priors_config(self.priors), "sampler": self.sampler}

    def diagnostic_names(self) -> list[str]:
        return list(HYPERPARAMETERS)

    def fit(
        self,
        logs: ChoiceLogs,
        random_seed: int | None = None,
        progress: Callable[[float], None] | None = None,
        cancel: Event | None = None,
    ) -> "PerChoiceFit":
        """Sample the laws' hyperparameters from the models' logs; sets ``idata_`` and
        ``logs_`` and returns ``self``."""
        series = law_series(logs.targets, logs.loglikelihoods)
        if not all(np.isfinite(values).all() for values in series.values()):
            raise ValueError(
                "the choices' probabilities sum to 1 or more: the laws measure the correct "
                "choice against the rest of the vocabulary, which needs some mass left there"
            )
        centre = float(np.mean(np.log10(logs.compute)))
        x = np.log10(logs.compute) - centre
        priors = merge_priors(self.default_priors(), self.priors, self.name)
        options = self.sampler_options
        data = {"x": x}
        for law, values in series.items():
            data |= {f"{law}_{name}": value for name, value in row_statistics(values).items()}
            data[f"{law}_pattern"] = noise_pattern(law, values.shape[1])
        compiled = compiled_for(
            (type(self).__name__, priors_to_json(priors)),
            lambda: build_model(data, priors),
            data,
        )
        seed = sampler_seed(random_seed)
        trace = sample(compiled, seed, options, progress=progress, cancel=cancel)
        self.logs_ = logs
        return self.keep_sample(
            trace,
            priors,
            options,
            seed,
            groups={"constant_data": xr.Dataset({"C": ("model", logs.compute)})},
            centre_log10_C=centre,
        )

    def input_table(self) -> pd.DataFrame:
        logs = self.logs_
        models, items, choices = logs.loglikelihoods.shape
        return pd.DataFrame(
            {
                "model": np.repeat(logs.models, items),
                "C": np.repeat(logs.compute, items),
                "doc_id": np.tile(logs.doc_ids, models),
                "target": np.tile(logs.targets, models),
            }
            | {
                f"loglikelihood_{choice}": logs.loglikelihoods[..., choice].ravel()
                for choice in range(choices)
            }
        )

    def restore_inputs(self, table: pd.DataFrame) -> None:
        models = list(dict.fromkeys(table["model"]))
        first = table[table["model"] == models[0]]
        columns = [column for column in table if column.startswith("loglikelihood_")]
        values = table[columns].to_numpy(float).reshape(len(models), len(first), len(columns))
        self.logs_ = ChoiceLogs(
            tuple(models),
            table.groupby("model", sort=False)["C"].first().to_numpy(float),
            first["doc_id"].to_numpy(),
            first["target"].to_numpy(int),
            values,
        )

    # -- predictions ---------------------------------------------------------------------
    def x(self, compute) -> np.ndarray:
        """log10 compute, centred as the fit saw it."""
        return np.log10(np.asarray(compute, dtype=float)) - self.idata.attrs["centre_log10_C"]

    def lines(self, random_seed: int | None = None) -> dict[str, np.ndarray]:
        """Draws of every item's line of each law: (draws, items, series, 2), for
        :data:`PREDICTIVE_DRAWS` posterior draws spread over the chains."""
        rng = np.random.default_rng(random_seed)
        draws = self.draws()
        picked = np.linspace(0, len(draws["noise"]) - 1, PREDICTIVE_DRAWS).astype(int)
        series = law_series(self.logs_.targets, self.logs_.loglikelihoods)
        x = self.x(self.logs_.compute)
        return {
            law: draw_lines(
                series[law],
                x,
                {name: draws[name][picked, index] for name in HYPERPARAMETERS},
                noise_pattern(law, series[law].shape[1]),
                rng,
            )
            for index, law in enumerate(LAWS)
        }

    def predict(self, compute, random_seed: int | None = None) -> dict[str, np.ndarray]:
        """Draws at each compute (draws, len(compute)) of ``accuracy`` (a fresh model's,
        simulated per item from the margins' laws), ``p_correct`` and ``p_incorrect`` (the
        mean over items of the correct choice's probability and of the incorrect mass)."""
        rng = np.random.default_rng(random_seed)
        lines = self.lines(rng)
        x = self.x(np.atleast_1d(compute))
        draws = self.draws(["noise"])["noise"]
        picked = draws[np.linspace(0, len(draws) - 1, PREDICTIVE_DRAWS).astype(int)]
        noise = {law: picked[:, index] for index, law in enumerate(LAWS)}
        accuracy = simulate_accuracy(lines["margin"], noise["margin"], x, rng)
        return {"accuracy": accuracy} | choice_masses(
            lines["correct"], lines["margin"], noise, x, rng
        )


def row_statistics(series: np.ndarray) -> dict[str, np.ndarray]:
    """What a normal likelihood with one covariance for every item reads of the items' series
    (items, series, models): their count, mean row and scatter about it."""
    rows = series.reshape(len(series), -1)
    mean = rows.mean(axis=0)
    centred = rows - mean
    return {"count": np.asarray(float(len(rows))), "mean": mean, "scatter": centred.T @ centred}


def rows_log_density(mean, covariance, count, row_mean, scatter):
    """log p of ``count`` rows drawn independently from Normal(mean, covariance), from their
    mean row and scatter: the cost does not grow with the number of items."""
    factor = pt.linalg.cholesky(covariance)
    whitened = solve_triangular(factor, scatter, lower=True)
    trace = pt.trace(solve_triangular(factor, whitened.T, lower=True))
    deviation = solve_triangular(factor, row_mean - mean, lower=True)
    size = mean.shape[0]
    log_determinant = 2 * pt.sum(pt.log(pt.diagonal(factor)))
    return -0.5 * (
        count * (size * np.log(2 * np.pi) + log_determinant + pt.sum(deviation**2)) + trace
    )


def build_model(data, priors) -> pm.Model:
    """Hyperparameters with a ``law`` dimension; each item's series is multivariate normal with
    the covariance of its lines (the ``pattern`` ⊗ (X Λ X') of its series) plus its scatter."""
    with pm.Model(coords={"law": list(LAWS)}) as model:
        containers = {name: pm.Data(name, value) for name, value in data.items()}
        hyper = {name: create_variable(name, priors[name], dims="law") for name in HYPERPARAMETERS}
        x = containers["x"]
        features = pt.stack([pt.ones_like(x), x], axis=1)
        for index, law in enumerate(LAWS):
            offset_sd, slope_sd = hyper["offset_sd"][index], hyper["slope_sd"][index]
            covariance = offset_sd * slope_sd * hyper["correlation"][index]
            lines = pt.stack(
                [pt.stack([offset_sd**2, covariance]), pt.stack([covariance, slope_sd**2])]
            )
            mean = features @ pt.stack([hyper["offset_mean"][index], hyper["slope_mean"][index]])
            pattern = containers[f"{law}_pattern"]
            series = pattern.shape[0]
            # Lines are independent across an item's series, the scatter correlated (pattern).
            total = kronecker(pt.eye(series), features @ lines @ features.T) + kronecker(
                hyper["noise"][index] ** 2 * pattern, pt.eye(x.shape[0])
            )
            pm.Potential(
                f"{law}_series",
                rows_log_density(
                    pt.tile(mean, series),
                    total,
                    containers[f"{law}_count"],
                    containers[f"{law}_mean"],
                    containers[f"{law}_scatter"],
                ),
            )
    return model


def kronecker(left, right):
    """The Kronecker product of two square matrices."""
    size = left.shape[0] * right.shape[0]
    return (left[:, None, :, None] * right[None, :, None, :]).reshape((size, size))


def direct_scores(logs: ChoiceLogs) -> TaskScores:
    """Each model's accuracy as the task scores the direct law fits: compute in place of N."""
    return TaskScores(
        pd.DataFrame(
            {
                "model": list(logs.models),
                "N": logs.compute,
                "score": accuracy_of(logs.loglikelihoods, logs.targets),
                "n_items": float(logs.n_items),
            }
        )
    )


def direct_accuracy(fit: SigmoidScoreFit, compute, items: int, rng) -> np.ndarray:
    """Draws of a fresh model's accuracy on ``items`` items by the direct law: its mean accuracy
    with the items' binomial scatter, (draws, len(compute))."""
    mean = fit.accuracy(np.atleast_1d(compute))
    return rng.binomial(items, mean) / items


@dataclass(frozen=True)
class RouteComparison:
    """Both routes fitted on the smaller models (``fitted``) and judged on the larger
    (``held_out``): ``predictions`` holds each route's draws of their accuracy, (draws,
    held-out models), by route (``perchoice``, ``direct``)."""

    perchoice: PerChoiceFit
    direct: SigmoidScoreFit
    fitted: ChoiceLogs
    held_out: ChoiceLogs
    predictions: dict[str, np.ndarray]
    random_seed: int | None = None

    @functools.cached_property
    def grid_draws(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Compute from the smallest to the largest model, and draws there of each route's
        accuracy (``perchoice``, ``direct``) and of ``p_correct`` and ``p_incorrect``."""
        compute = np.concatenate([self.fitted.compute, self.held_out.compute])
        grid = np.geomspace(compute.min(), compute.max(), GRID_POINTS)
        rng = np.random.default_rng(self.random_seed)
        laws = self.perchoice.predict(grid, rng)
        draws = {
            "perchoice": laws.pop("accuracy"),
            "direct": direct_accuracy(self.direct, grid, self.fitted.n_items, rng),
        }
        return grid, draws | laws

    def curves(self, ci_prob: float | None = None) -> pd.DataFrame:
        """Median and central ``ci_prob`` interval along :attr:`grid_draws`: one row per compute
        and ``quantity`` (``perchoice``, ``direct``, ``p_correct``, ``p_incorrect``)."""
        grid, draws = self.grid_draws
        return summary_table({"C": grid}, "quantity", draws, [resolve_ci_prob(ci_prob)])

    def observed(self) -> pd.DataFrame:
        """Every model's accuracy and mean choice probabilities, ``fitted`` or not."""
        return pd.concat(
            [self.fitted.table().assign(fitted=True), self.held_out.table().assign(fitted=False)],
            ignore_index=True,
        )

    def table(self, ci_prob: float | None = None) -> pd.DataFrame:
        """One row per held-out model: its observed accuracy, and per route the median and
        central ``ci_prob`` interval of the prediction, its absolute error and whether the
        interval covers the observation."""
        ci_prob = resolve_ci_prob(ci_prob)
        low, high = interval_names(ci_prob)
        held_out = self.held_out
        table = pd.DataFrame(
            {"model": list(held_out.models), "C": held_out.compute, "observed": held_out.accuracy}
        )
        for route, draws in self.predictions.items():
            summary = summarize_draws(draws, [ci_prob])
            table[f"{route}_median"] = summary["median"]
            table[f"{route}_{low}"] = summary[low]
            table[f"{route}_{high}"] = summary[high]
            table[f"{route}_error"] = np.abs(table[f"{route}_median"] - table["observed"])
            table[f"{route}_covered"] = (table[f"{route}_{low}"] <= table["observed"]) & (
                table["observed"] <= table[f"{route}_{high}"]
            )
        return table

    def scores(self, ci_prob: float | None = None) -> dict[str, dict[str, float]]:
        """Per route: mean absolute error and the share of intervals covering the observed
        accuracy, over the held-out models."""
        table = self.table(ci_prob)
        return {
            route: {
                "mean_absolute_error": float(table[f"{route}_error"].mean()),
                "coverage": float(table[f"{route}_covered"].mean()),
            }
            for route in self.predictions
        }


def holdout_split(logs: ChoiceLogs, holdout_above: float | None = None) -> float:
    """The compute above which models are held out: ``holdout_above``, or the point
    :data:`HOLDOUT_SHARE` of the way up the logs' log compute."""
    if holdout_above is None:
        low, high = np.log10(logs.compute.min()), np.log10(logs.compute.max())
        return float(10 ** (low + HOLDOUT_SHARE * (high - low)))
    below = int(np.sum(logs.compute <= holdout_above))
    if below < 3 or below == len(logs.compute):
        raise ValueError(
            f"holding out above {holdout_above:.3g} FLOPs leaves {below} of "
            f"{len(logs.compute)} models to fit: fit at least three and hold out at least one"
        )
    return float(holdout_above)


def compare_routes(
    logs: ChoiceLogs,
    holdout_above: float | None = None,
    random_seed: int | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Event | None = None,
    sampler: dict | None = None,
) -> RouteComparison:
    """Fit the per-choice laws and the direct accuracy law on the models at or below
    ``holdout_above`` (see :func:`holdout_split`) and predict the accuracy of the others.

    ``sampler`` overrides the per-choice fit's nutpie options; the direct law keeps its own,
    which its weakly identified ceiling needs."""
    split = holdout_split(logs, holdout_above)
    fitted, held_out = logs.select(logs.compute <= split), logs.select(logs.compute > split)

    def report(share: float, offset: float) -> Callable[[float], None] | None:
        return None if progress is None else lambda fraction: progress(offset + share * fraction)

    perchoice = PerChoiceFit(sampler=sampler).fit(
        fitted, random_seed=random_seed, progress=report(0.8, 0.0), cancel=cancel
    )
    direct = SigmoidScoreFit(chance=1 / logs.n_choices).fit(
        direct_scores(fitted), random_seed=random_seed
    )
    if progress is not None:
        progress(1.0)
    rng = np.random.default_rng(random_seed)
    predictions = {
        "perchoice": perchoice.predict(held_out.compute, rng)["accuracy"],
        "direct": direct_accuracy(direct, held_out.compute, logs.n_items, rng),
    }
    return RouteComparison(perchoice, direct, fitted, held_out, predictions, random_seed)
