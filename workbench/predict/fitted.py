"""The fitted law at the runs and along a path: residuals and LOO-PIT of the runs (what the
Checks tab plots), and the law's curve from the runs out to the targets (what the extrapolation
plots draw)."""

from collections.abc import Mapping, Sequence

import arviz as az
import numpy as np
import pandas as pd

from workbench.compute import training_compute
from workbench.intervals import INNER_PROB
from workbench.predict.extrapolate import predict


def loo_pit(fit) -> np.ndarray:
    """Leave-one-out probability integral transform of each observation.

    Uniform on [0, 1] when the model's predictive distribution is calibrated; a U shape means
    intervals are too narrow, a hump that they are too wide.
    """
    return az.loo_pit(fit.loo_tree())[fit.target_].values


def residuals(fit) -> pd.DataFrame:
    """Observed target against the posterior median of the law's mean, per observation.

    ``log_residual`` is log(observed / fitted): the scale on which the likelihood works.
    """
    tree = fit.idata
    covariates = {name: tree["constant_data"][name].values for name in fit.law.covariates}
    fitted = predict(fit, covariates).query("kind == 'mean'")
    observed = tree["observed_data"][fit.target_].values
    frame = pd.DataFrame(covariates)
    frame["observed"] = observed
    frame["fitted"] = fitted["median"].to_numpy()
    frame["log_residual"] = np.log(observed / frame["fitted"])
    return frame


def extrapolation_path(fit, targets: Mapping[str, Sequence[float]], points: int = 60) -> dict:
    """Covariates along a log-linear path from the smallest observed run to the largest target.

    For laws in N and D the path keeps the target's tokens per parameter fixed, so a curve drawn
    against compute C passes through the targets. Returns N/D/C arrays (those the law uses).
    """
    tree = fit.idata
    observed = {name: tree["constant_data"][name].values for name in fit.law.covariates}
    start_index = int(np.argmin(np.prod([observed[name] for name in observed], axis=0)))
    if {"N", "D"} <= set(fit.law.covariates):
        end_n, end_d = np.max(targets["N"]), np.max(targets["D"])
        start_n = observed["N"][start_index]
        ratio = end_d / end_n
        n = np.geomspace(min(start_n, end_n), end_n, points)
        return {"N": n, "D": n * ratio, "C": training_compute(n, n * ratio)}
    name = fit.law.covariates[0]
    end = np.max(targets[name])
    return {name: np.geomspace(min(observed[name].min(), end), end, points)}


def curve(
    fit, path: Mapping[str, np.ndarray], ci_prob: float | None = None, inner_prob=INNER_PROB
) -> pd.DataFrame:
    """Posterior median and bands of the law's mean along ``path``, ready to plot."""
    # The path runs out to the targets on purpose; their own prediction warns if too far.
    table = predict(fit, dict(path), ci_prob=ci_prob, inner_prob=inner_prob, warn=False)
    return table.query("kind == 'mean'").reset_index(drop=True)
