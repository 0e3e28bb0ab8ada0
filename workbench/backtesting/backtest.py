"""Leave-future-out validation: fit each law on the smaller runs and score it on the largest.

A scaling law is used to predict runs bigger than any it was fitted to, so the honest test holds
out the biggest runs, fits on the rest and asks how close the predictions came and whether the
intervals covered the truth as often as they claim.
"""

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from workbench.backtesting.holdout import Holdout, holdout_runs
from workbench.backtesting.nested import calibrate
from workbench.fitting import ScalingLawFit
from workbench.fitting.model import stage_progress
from workbench.intervals import INNER_PROB, interval_levels, percent, resolve_ci_prob
from workbench.laws import get_law
from workbench.predict.compare import Comparison, loo_comparison, psis_loo
from workbench.predict.extrapolate import check_interval
from workbench.predict.scores import holdout_scores, summarize_scores
from workbench.runs import RunTable, read_runs

SCORED_COVARIATES = ("N", "D", "C")


@dataclass(frozen=True)
class Backtest:
    """The result of :func:`backtest`.

    Attributes
    ----------
    table : DataFrame
        One row per law (the index): ``n_train`` (observations fitted), ``n_test`` (held-out
        runs), ``are`` (mean absolute relative error of the observation predictive's median),
        ``coverage_50``, ``coverage_90`` (fraction of held-out runs inside the central
        observation interval; one column per level, ``inner_prob`` and ``ci_prob``),
        ``mean_log_predictive_density`` (of a held-out run's measured target), ``elpd_loo``
        and ``weight`` (PSIS-LOO and stacking weight on the training runs) and ``seconds`` (fit
        and scoring).
    frame : DataFrame
        One row per held-out run and law, ready to plot: ``law``, ``run``, the covariates,
        then :func:`~workbench.predict.scores.holdout_scores`' columns: ``observed`` (the truth),
        ``median``, ``are``, the interval bounds with their ``covered_50``/``covered_90`` flags
        and ``log_predictive_density``.
    fits : dict
        The fits on the training runs, by law name.
    holdout : Holdout
        Which runs were held out, and by what cut.
    comparison : Comparison or None
        The LOO comparison of the training fits (None for a single law).
    ci_prob : float
        Probability of the scored credible interval.
    inner_prob : float or None
        Probability of the scored inner interval.
    target : str
        The target column, e.g. ``"loss"``.
    """

    table: pd.DataFrame
    frame: pd.DataFrame
    fits: dict
    holdout: Holdout
    comparison: Comparison | None
    ci_prob: float
    inner_prob: float | None
    target: str

    @property
    def levels(self) -> tuple[float, ...]:
        return interval_levels(self.ci_prob, self.inner_prob)

    def to_dict(self) -> dict:
        """JSON-ready (``workbench backtest --json``): the held-out runs; per law ``n_train``,
        ``n_test``, ``are``, the ``coverage_<level>`` columns, ``mean_log_predictive_density``,
        ``elpd_loo`` and ``weight`` (LOO on the training runs; null when not computable) and
        ``seconds``; every held-out prediction (the rows of :attr:`frame`); the levels."""
        holdout = self.holdout
        return {
            "holdout": {
                "by": holdout.by,
                "cut": holdout.cut,
                "n_runs": holdout.n_runs,
                "n_test": len(holdout.runs),
                "runs": list(holdout.runs),
            },
            "laws": json.loads(self.table.to_json(orient="index", double_precision=15)),
            "predictions": json.loads(self.frame.to_json(orient="records", double_precision=15)),
            "ci_prob": self.ci_prob,
            "inner_prob": self.inner_prob,
        }


def backtest(
    runs,
    laws,
    *,
    holdout_top_frac: float | None = None,
    by: str | None = None,
    cut: float | None = None,
    fit_options: Mapping | None = None,
    sampler: Mapping | None = None,
    ci_prob: float | None = None,
    inner_prob: float | None = INNER_PROB,
    interval: str = "law",
    random_seed: int | None = 0,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> Backtest:
    """Leave-future-out validation of laws: fit on the smaller runs, score on the largest.

    Runs are held out whole (all their checkpoints) as chosen by :func:`holdout_runs`; each law
    is fitted to the other runs, then scored on each held-out run's final checkpoint.

    Parameters
    ----------
    runs : RunTable, DataFrame or path
        The runs.
    laws : sequence or mapping
        Law names, ``ScalingLaw`` objects or unfitted ``ScalingLawFit`` templates (whose priors,
        likelihood and sampler are kept), or a mapping of display name to any of these.
    holdout_top_frac, by, cut
        Which runs to hold out, see :func:`holdout_runs`; by default the top 20 % by compute.
    fit_options : mapping, optional
        Keywords of ``ScalingLawFit.fit``: ``checkpoints``, ``run_effect``, ``min_fraction``,
        ``min_tokens``, ``groups``.
    sampler : mapping, optional
        nutpie options for every law (``draws``, ``tune``, ``chains``, ...).
    ci_prob, inner_prob : float, optional
        Probabilities of the observation intervals whose coverage is reported: the credible
        level (the project's by default) and an inner one (``None`` for none).
    interval : {"law", "calibrated"}
        Score the law-only intervals, or the calibrated ones: each training fit is then
        calibrated by nested backtests on the training runs alone
        (:func:`~workbench.backtesting.nested.calibrate`), so no held-out run informs it.
    random_seed : int, optional
        Seed of every fit.
    progress : callable, optional
        Called with the finished fraction (0 to 1) of all the fits.
    cancel : threading.Event, optional
        Setting it stops the running fit; ``backtest`` then raises ``FitCancelled``.

    Returns
    -------
    Backtest
        ``table`` (one row per law), ``frame`` (one row per held-out run and law), the fits.
    """
    check_interval(interval)
    runs = read_runs(runs)
    templates = law_templates(laws, sampler)
    holdout = holdout_runs(runs, holdout_top_frac=holdout_top_frac, by=by, cut=cut)
    held = runs.data["run"].astype(str).isin(holdout.runs).to_numpy()
    train, test = runs.filter(~held), runs.filter(held).final_checkpoints()
    ci_prob = resolve_ci_prob(ci_prob)
    levels = interval_levels(ci_prob, inner_prob)
    rows, frames, fits = {}, [], {}
    for index, (name, fit) in enumerate(templates.items()):
        start = time.perf_counter()
        fit.fit(
            train,
            random_seed=random_seed,
            progress=stage_progress(progress, index, len(templates)),
            cancel=cancel,
            **(fit_options or {}),
        )
        if interval == "calibrated":
            calibrate(fit, train, fit_options=fit_options, random_seed=random_seed, cancel=cancel)
        frame = score_held_out(fit, test, ci_prob, inner_prob, interval).assign(law=name)
        scores = summarize_scores(frame)
        rows[name] = scores | {
            "n_train": int(fit.idata.attrs["n_obs"]),
            "n_test": scores.pop("n_targets"),
            "seconds": time.perf_counter() - start,
        }
        frames.append(frame)
        fits[name] = fit
    comparison = loo_comparison(fits) if len(fits) > 1 else None
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("law")
    table = table.join(training_loo(fits, comparison))
    columns = ["n_train", "n_test", "are", *coverage_columns(levels)]
    columns += ["mean_log_predictive_density", "elpd_loo", "weight", "seconds"]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[["law", *[c for c in frame.columns if c != "law"]]]
    return Backtest(
        table=table[columns],
        frame=frame,
        fits=fits,
        holdout=holdout,
        comparison=comparison,
        ci_prob=ci_prob,
        inner_prob=inner_prob,
        target=runs.target,
    )


def law_templates(laws, sampler: Mapping | None = None) -> dict[str, ScalingLawFit]:
    """Unfitted ``ScalingLawFit`` objects by display name."""
    items = laws.items() if isinstance(laws, Mapping) else [(None, law) for law in laws]
    templates = {}
    for given_name, law in items:
        if isinstance(law, ScalingLawFit):
            fit = ScalingLawFit(
                law.law,
                priors=law.priors,
                likelihood=law.likelihood,
                sampler=sampler or law.sampler,
            )
        else:
            fit = ScalingLawFit(get_law(law), sampler=sampler)
        name = given_name or (law if isinstance(law, str) else fit.law.label)
        if name in templates:
            raise ValueError(f"law {name!r} is listed twice; give each law once")
        templates[name] = fit
    if not templates:
        raise ValueError("a backtest needs at least one law")
    return templates


def coverage_columns(levels: Sequence[float]) -> list[str]:
    return [f"coverage_{percent(level)}" for level in levels]


def score_held_out(
    fit: ScalingLawFit,
    test: RunTable,
    ci_prob: float | None,
    inner_prob: float | None,
    interval="law",
) -> pd.DataFrame:
    """:func:`holdout_scores` of each held-out run at ``ci_prob`` and ``inner_prob``, with its id
    and every covariate."""
    groups = fit.structure_.group_column if fit.groups_ else None
    scores = holdout_scores(fit, test, ci_prob, inner_prob, groups=groups, interval=interval)
    covariates = {name: test.column(name) for name in SCORED_COVARIATES if test.has(name)}
    scores = scores.drop(columns=[name for name in covariates if name in scores.columns])
    return pd.concat(
        [pd.DataFrame({"run": test.data["run"].astype(str).to_numpy(), **covariates}), scores],
        axis=1,
    )


def training_loo(fits: Mapping[str, ScalingLawFit], comparison: Comparison | None) -> pd.DataFrame:
    """PSIS-LOO elpd and stacking weight of each law on its training runs."""
    if comparison is not None:
        return pd.DataFrame(
            {"elpd_loo": comparison.table["elpd"], "weight": comparison.weights}
        ).reindex(list(fits))
    ((name, fit),) = fits.items()
    return pd.DataFrame(
        {"elpd_loo": [psis_loo(fit.loo_tree()).elpd], "weight": [1.0]}, index=[name]
    )
