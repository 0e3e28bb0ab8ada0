"""The test-time accuracy law fitted Bayesianly to solved-problem counts, and simulated counts.

No public table of generations by model size, generation length and sample count could be
reached from here, so the counts the tests and the notebook fit are simulated from a known law.
"""

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from workbench.fitting import BayesianFit
from workbench.fitting.base import priors_config
from workbench.fitting.compiling import compiled_for
from workbench.fitting.model import create_variable, sample, sampler_seed
from workbench.laws.priors import Prior, merge_priors, priors_to_json
from workbench.testtime.law import (
    ILLUSTRATIVE_LAW,
    LAW_PARAMETERS,
    PARAMETER_SCALE,
    TOKEN_SCALE,
    accuracy,
)

COLUMNS = ("parameters", "tokens", "samples", "problems", "solved")


def simulate_accuracies(
    law: Mapping[str, float] = ILLUSTRATIVE_LAW,
    *,
    parameters: Sequence[float] = (0.6e9, 1.7e9, 4e9, 8e9, 14e9, 32e9),
    tokens: Sequence[int] = (1024, 4096, 16384),
    samples: Sequence[int] = (1, 8),
    problems: int = 400,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """Problems solved out of ``problems`` at every (parameters, tokens, samples), binomial
    around the law's accuracy; one row each, with ``accuracy`` = solved / problems."""
    grid = pd.MultiIndex.from_product(
        [parameters, tokens, samples], names=["parameters", "tokens", "samples"]
    ).to_frame(index=False)
    mean = accuracy(grid["parameters"], grid["tokens"], grid["samples"], **law)
    solved = np.random.default_rng(random_seed).binomial(problems, mean)
    return grid.assign(problems=problems, solved=solved, accuracy=solved / problems)


class InferenceAccuracyFit(BayesianFit):
    """The accuracy law of :mod:`workbench.testtime.law` with a binomial likelihood.

    Priors: ``intercept`` ~ Normal(-3, 3) (the logit of one trial at 1B parameters and 1,000
    tokens), ``size_slope`` and ``token_slope`` ~ HalfNormal(1.5) (more of either never hurts).
    """

    name = "testtime_accuracy"
    fit_call = "fit(results, random_seed=...)"
    sampler_defaults: ClassVar[dict] = {"draws": 1000, "tune": 1000}

    def __init__(self, priors=None, sampler=None):
        self.priors = priors
        self.sampler = sampler

    def default_priors(self) -> dict[str, Prior]:
        return {
            "intercept": Prior("Normal", mu=-3.0, sigma=3.0),
            "size_slope": Prior("HalfNormal", sigma=1.5),
            "token_slope": Prior("HalfNormal", sigma=1.5),
        }

    def config(self) -> dict:
        return {"priors": priors_config(self.priors), "sampler": self.sampler}

    def diagnostic_names(self) -> list[str]:
        return list(LAW_PARAMETERS)

    def fit(self, results: pd.DataFrame, random_seed: int | None = None) -> "InferenceAccuracyFit":
        """Sample the posterior from a table with the columns ``parameters``, ``tokens``,
        ``samples``, ``problems`` and ``solved``; sets ``idata_`` and returns ``self``."""
        results = check_results(results)
        priors = merge_priors(self.default_priors(), self.priors, self.name)
        options = self.sampler_options
        data = {
            "log_parameters": np.log(results["parameters"].to_numpy(float) / PARAMETER_SCALE),
            "log_tokens": np.log(results["tokens"].to_numpy(float) / TOKEN_SCALE),
            "samples": results["samples"].to_numpy(float),
            "problems": results["problems"].to_numpy(float),
            "solved_counts": results["solved"].to_numpy(float),
        }
        compiled = compiled_for(
            (type(self).__name__, priors_to_json(priors)),
            lambda: build_model(data, priors),
            data,
        )
        seed = sampler_seed(random_seed)
        trace = sample(compiled, seed, options)
        self.results_ = results
        observed = xr.Dataset({"solved": ("cell", data["solved_counts"])})
        return self.keep_sample(trace, priors, options, seed, groups={"observed_data": observed})

    def input_table(self) -> pd.DataFrame:
        return self.results_

    def restore_inputs(self, table: pd.DataFrame) -> None:
        self.results_ = table

    def law_median(self) -> dict[str, float]:
        """Posterior medians of the law's parameters, ready for :func:`allocate`."""
        draws = self.draws(LAW_PARAMETERS)
        return {name: float(np.median(draws[name])) for name in LAW_PARAMETERS}


def build_model(data: Mapping[str, np.ndarray], priors: Mapping[str, Prior]) -> pm.Model:
    with pm.Model() as model:
        inputs = {name: pm.Data(name, value) for name, value in data.items()}
        intercept = create_variable("intercept", priors["intercept"])
        size_slope = create_variable("size_slope", priors["size_slope"])
        token_slope = create_variable("token_slope", priors["token_slope"])
        logit = (
            intercept + size_slope * inputs["log_parameters"] + token_slope * inputs["log_tokens"]
        )
        # 1 − (1 − σ(logit))^n = −expm1(−n·softplus(logit)), exact where p_1 is tiny.
        solved_rate = -pm.math.expm1(-inputs["samples"] * pm.math.softplus(logit))
        pm.Binomial("solved", n=inputs["problems"], p=solved_rate, observed=inputs["solved_counts"])
    return model


def check_results(results) -> pd.DataFrame:
    frame = pd.DataFrame(results)
    missing = [column for column in COLUMNS if column not in frame]
    if missing:
        raise ValueError(f"the results need the columns {', '.join(missing)}")
    values = frame[list(COLUMNS)].to_numpy(float)
    if not np.isfinite(values).all() or (values[:, :4] <= 0).any():
        raise ValueError("parameters, tokens, samples and problems must be positive numbers")
    if ((frame["solved"] < 0) | (frame["solved"] > frame["problems"])).any():
        raise ValueError("solved must lie between 0 and problems")
    return frame.reset_index(drop=True)
