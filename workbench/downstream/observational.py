r"""Observational scaling (Ruan et al. 2024) as a Bayesian low-rank model of benchmark scores.

A few latent capabilities per model, each linear in log compute within the model's family, and a
sigmoid above each benchmark's chance floor (see :mod:`workbench.downstream.capabilities`):

.. math::

    a_{fk} = \tau_k z_{fk}, \qquad b_{fk} = \beta_k \;\text{(shared)}
    \;\text{or}\; \beta_k + \omega_k z'_{fk}, \qquad
    \text{score}_{ij} \sim \mathcal N\bigl(f_j + (1 - f_j)\,\sigma(c_j + w_j \cdot s_i),
    \sigma_j\bigr).

Families differ in their intercepts (Ruan et al.: "model families only vary in their efficiency
in converting training compute to capabilities"); ``family_slopes=True`` lets their slopes
differ too. The hierarchy lets a family with one or two models borrow strength, and predicts a
family never seen by drawing its intercept (and slope) from it. Scores a model was not evaluated
on are simply absent from the likelihood.

References
----------
.. [1] Ruan, Y., Maddison, C. J., Hashimoto, T. (2024). Observational Scaling Laws and the
   Predictability of Language Model Performance. NeurIPS 2024, arXiv:2405.10938.
"""

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from workbench.downstream.capabilities import (
    CHANCE_FLOORS,
    benchmark_score,
    check_scores,
    floors_of,
    loading_mask,
    log_compute,
    long_scores,
    prediction_frame,
    with_compute,
)
from workbench.fitting import BayesianFit
from workbench.fitting.base import priors_config
from workbench.fitting.compiling import compiled_for
from workbench.fitting.model import create_variable, sample, sampler_seed
from workbench.intervals import resolve_ci_prob, summarize_draws
from workbench.laws.priors import Prior, merge_priors, priors_to_json

DEFAULT_COMPONENTS = 3


class ObservationalScalingFit(BayesianFit):
    """K latent capabilities linear in log compute per family, read by each benchmark through a
    sigmoid above chance (module docstring).

    Parameters
    ----------
    components : int
        K, the number of capabilities; capability k is anchored on the k-th benchmark of
        ``floors`` (HellaSwag, HumanEval, GSM8K by default).
    family_slopes : bool
        Whether families differ in slope too (partially pooled), not only in intercept.
    floors : mapping, optional
        Chance floor of each benchmark to model, in anchor order; by default
        :data:`~workbench.downstream.capabilities.CHANCE_FLOORS`.
    priors, sampler : mapping, optional
        Overrides of the priors (``intercept``, ``loading``, ``family_sd``, ``slope``,
        ``slope_sd``, ``sigma``) and of the nutpie options.
    """

    name = "observational_scaling"
    fit_call = "fit(scores, random_seed=...)"
    sampler_defaults: ClassVar[dict] = {"draws": 2000, "tune": 1500}

    def __init__(
        self,
        components: int = DEFAULT_COMPONENTS,
        family_slopes: bool = False,
        floors: Mapping[str, float] | None = None,
        priors=None,
        sampler=None,
    ):
        self.components = components
        self.family_slopes = family_slopes
        self.floors = dict(floors) if floors is not None else None
        self.priors = priors
        self.sampler = sampler

    @property
    def chance_floors(self) -> dict[str, float]:
        """The chance floor of each modelled benchmark, in anchor order."""
        return dict(self.floors if self.floors is not None else CHANCE_FLOORS)

    @property
    def benchmarks(self) -> list[str]:
        return list(self.chance_floors)

    def config(self) -> dict:
        return {
            "components": self.components,
            "family_slopes": self.family_slopes,
            "floors": self.floors,
            "priors": priors_config(self.priors),
            "sampler": self.sampler,
        }

    def default_priors(self) -> dict[str, Prior]:
        return {
            "intercept": Prior("Normal", mu=0.0, sigma=3.0),
            "loading": Prior("Normal", mu=0.0, sigma=1.0),
            "family_sd": Prior("HalfNormal", sigma=2.0),
            "slope": Prior("LogNormal", mu=0.0, sigma=1.0),
            "slope_sd": Prior("HalfNormal", sigma=0.5),
            "sigma": Prior("HalfNormal", sigma=0.05),
        }

    def diagnostic_names(self) -> list[str]:
        names = ["intercept", "loading", "family_sd", "family_intercept", "slope", "sigma"]
        return names + (["slope_sd", "family_slope"] if self.family_slopes else [])

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self, scores, random_seed: int | None = None, *, progress=None, cancel=None
    ) -> "ObservationalScalingFit":
        """Sample the posterior from a table of models (``model``, ``family``, ``flops`` and a
        column per benchmark, as :func:`workbench.runs.datasets.ruan2024` returns); models
        without FLOPs are left out and counted in ``idata_.attrs["dropped_without_flops"]``.
        Sets ``idata_`` and ``scores_`` and returns ``self``."""
        benchmarks = self.benchmarks
        loading_mask(len(benchmarks), self.components)  # refuses a bad K before any work
        frame, dropped = with_compute(check_scores(scores, benchmarks))
        if frame.empty:
            raise ValueError("no model has known training FLOPs to fit")
        families = list(dict.fromkeys(frame["family"]))
        long = long_scores(frame, benchmarks)
        row_of_model = pd.Series(frame.index, index=frame["model"])
        data = {
            "log_compute": log_compute(frame["flops"]),
            "family_index": frame["family"].map(families.index).to_numpy(),
            "model_index": long["model"].map(row_of_model).to_numpy(),
            "benchmark_index": long["benchmark"].map(benchmarks.index).to_numpy(),
            "floor": floors_of(self.benchmarks, self.chance_floors),
            "observed": long["observed"].to_numpy(float),
        }
        priors = merge_priors(self.default_priors(), self.priors, self.name)
        options = self.sampler_options
        key = (
            type(self).__name__,
            priors_to_json(priors),
            self.components,
            self.family_slopes,
            len(families),
            len(benchmarks),
        )
        compiled = compiled_for(
            key,
            lambda: build_model(data, priors, len(families), self.components, self.family_slopes),
            data,
        )
        seed = sampler_seed(random_seed)
        trace = sample(compiled, seed, options, progress=progress, cancel=cancel)
        coords = {
            "family": families,
            "benchmark": benchmarks,
            "capability": benchmarks[: self.components],
        }
        self.scores_ = frame
        return self.keep_sample(
            trace,
            priors,
            options,
            seed,
            posterior=trace.posterior.to_dataset().assign_coords(coords),
            groups={"observed_data": xr.Dataset({"score": ("observation", data["observed"])})},
            n_models=len(frame),
            dropped_without_flops=dropped,
        )

    def input_table(self) -> pd.DataFrame:
        return self.scores_

    def restore_inputs(self, table: pd.DataFrame) -> None:
        self.scores_ = table

    # -- prediction ----------------------------------------------------------------------
    def predict(
        self, scores, ci_prob: float | None = None, random_seed: int | None = None
    ) -> pd.DataFrame:
        """Each model's posterior predictive score per benchmark, from its family and FLOPs.

        A family the fit saw keeps its own capabilities; another draws them from the hierarchy.
        Models without FLOPs cannot be placed and are left out. One row per (model, benchmark):
        ``model``, ``family``, ``flops``, ``benchmark``, ``seen_family``, ``observed`` (NaN where
        not evaluated), ``score`` (the median) and its central ``ci_prob`` interval
        (``score_ci_low_90``, ``score_ci_high_90`` at 90 %).
        """
        ci_prob = resolve_ci_prob(ci_prob)
        frame, _ = with_compute(check_scores(scores, self.benchmarks))
        rng = np.random.default_rng(random_seed)
        draws = self.capability_draws(frame, rng)
        noise = self.draws(["sigma"])["sigma"]
        predictive = self.expected_scores(draws) + noise[:, None, :] * rng.standard_normal(
            draws.shape[:2] + noise.shape[1:]
        )
        summary = summarize_draws(np.clip(predictive, 0.0, 1.0), [ci_prob])
        seen = frame["family"].isin(self.fitted_families())
        return pd.concat(
            [
                prediction_frame(
                    frame,
                    benchmark,
                    seen,
                    {name: column[:, index] for name, column in summary.items()},
                    ci_prob,
                )
                for index, benchmark in enumerate(self.benchmarks)
            ],
            ignore_index=True,
        )

    def fitted_families(self) -> list[str]:
        return [str(name) for name in self.idata["posterior"]["family"].values]

    def capability_draws(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """Capabilities of each model, draws × models × K; an unseen family's come from the
        hierarchy, one fresh family per draw."""
        names = ["family_intercept", "family_slope", "family_sd", "slope"]
        draws = self.draws(names + (["slope_sd"] if self.family_slopes else []))
        n_draws = len(draws["slope"])
        known = {name: index for index, name in enumerate(self.fitted_families())}
        x = log_compute(frame["flops"])
        capabilities = np.empty((n_draws, len(frame), self.components))
        for row, family in enumerate(frame["family"]):
            if family in known:
                intercept = draws["family_intercept"][:, known[family]]
                slope = draws["family_slope"][:, known[family]]
            else:
                shape = (n_draws, self.components)
                intercept = draws["family_sd"] * rng.standard_normal(shape)
                slope = draws["slope"]
                if self.family_slopes:
                    slope = slope + draws["slope_sd"] * rng.standard_normal(shape)
            capabilities[:, row] = intercept + slope * x[row]
        return capabilities

    def expected_scores(self, capabilities: np.ndarray) -> np.ndarray:
        """Expected score of each benchmark at these capabilities (draws × models × K), draws ×
        models × benchmarks."""
        draws = self.draws(["intercept", "loadings"])
        logits = draws["intercept"][:, None, :] + np.einsum(
            "dmk,djk->dmj", capabilities, draws["loadings"]
        )
        return benchmark_score(logits, floors_of(self.benchmarks, self.chance_floors))


def build_model(
    data: Mapping[str, np.ndarray],
    priors: Mapping[str, Prior],
    n_families: int,
    components: int,
    family_slopes: bool,
) -> pm.Model:
    n_benchmarks = len(data["floor"])
    free, fixed = loading_mask(n_benchmarks, components)
    coords = {
        "family": np.arange(n_families),
        "benchmark": np.arange(n_benchmarks),
        "capability": np.arange(components),
        "free_loading": np.arange(int(free.sum())),
    }
    with pm.Model(coords=coords) as model:
        inputs = {name: pm.Data(name, value) for name, value in data.items()}
        intercept = create_variable("intercept", priors["intercept"], dims="benchmark")
        loading = create_variable("loading", priors["loading"], dims="free_loading")
        loadings = pm.Deterministic(
            "loadings",
            pt.set_subtensor(pt.as_tensor(fixed)[np.nonzero(free)], loading),
            dims=("benchmark", "capability"),
        )
        # Non-centred: with one or two models a family's offset is mostly its prior's.
        family_sd = create_variable("family_sd", priors["family_sd"], dims="capability")
        family_z = pm.Normal("family_z", 0.0, 1.0, dims=("family", "capability"))
        family_intercept = pm.Deterministic(
            "family_intercept", family_sd * family_z, dims=("family", "capability")
        )
        slope = create_variable("slope", priors["slope"], dims="capability")
        if family_slopes:
            slope_sd = create_variable("slope_sd", priors["slope_sd"], dims="capability")
            slope_z = pm.Normal("slope_z", 0.0, 1.0, dims=("family", "capability"))
            family_slope = slope + slope_sd * slope_z
        else:
            family_slope = pt.ones((n_families, 1)) * slope
        family_slope = pm.Deterministic("family_slope", family_slope, dims=("family", "capability"))
        family = inputs["family_index"]
        capabilities = (
            family_intercept[family] + family_slope[family] * inputs["log_compute"][:, None]
        )
        logits = intercept + pt.dot(capabilities, loadings.T)
        benchmark = inputs["benchmark_index"]
        expected = benchmark_score(
            logits[inputs["model_index"], benchmark], inputs["floor"][benchmark], math=pt
        )
        sigma = create_variable("sigma", priors["sigma"], dims="benchmark")
        pm.Normal("score", mu=expected, sigma=sigma[benchmark], observed=inputs["observed"])
    return model
