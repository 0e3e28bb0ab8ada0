"""The classic point fit of Hoffmann et al. (2022): Huber loss on log loss, L-BFGS from a grid.

The baseline our Bayesian fits are compared against; it gives no uncertainty.
"""

import itertools

import numpy as np
from scipy import optimize, special

from workbench.laws import ScalingLaw
from workbench.laws.base import FreeParameters, centred_logs


def huber_point_fit(law: ScalingLaw, runs, *, delta: float = 1e-3) -> dict[str, float]:
    """Minimize Σ Huber_δ(log L̂ − log L) with L-BFGS from a grid of starts; paper parameters.

    The grid takes three values per sampler parameter around its prior's typical value (on the
    log scale for positive ones), as Hoffmann et al. and Epoch's replication start from a grid.
    """
    x = {name: runs.column(name) for name in law.covariates}
    centres = law.centres(x, runs.y)
    x_centred = centred_logs(law, x, centres)
    log_y = np.log(runs.y)
    free = FreeParameters.of(law)

    def objective(vector):
        residual = law.log_mean(x_centred, free.unpack(vector), centres) - log_y
        return np.sum(special.huber(delta, residual))

    grid = itertools.product(*(value + np.array([-1.0, 0.0, 1.0]) for value in free.start))
    best = None
    for start in grid:
        with np.errstate(all="ignore"):
            result = optimize.minimize(objective, np.array(start), method="L-BFGS-B")
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    theta = free.unpack(best.x)
    return {name: float(value) for name, value in law.to_paper(theta, centres).items()}
