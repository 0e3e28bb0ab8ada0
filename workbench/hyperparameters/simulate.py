"""Simulated learning-rate × batch-size sweeps with known optima, for tests and demos."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.laws import get_law

STEP_LAW_TRUTH = {
    "lr": {"A": 1.79, "b_N": -0.713, "b_D": 0.307},
    "batch": {"A": 0.58, "b_D": 0.571},
}
"""Li et al.'s published laws: η_opt = 1.79 N^-0.713 D^0.307, B_opt = 0.58 D^0.571 tokens."""
LAW = "optimal_hyperparameters"


def simulate_sweeps(
    settings: Sequence[tuple[float, float]],
    *,
    truth: Mapping[str, Mapping[str, float]] = STEP_LAW_TRUTH,
    lr_batch_exponent: float = 0.5,
    curvature: tuple[float, float] = (0.12, 0.1),
    scatter: tuple[float, float] = (0.05, 0.05),
    noise_sd: float = 0.0007,
    lr_factors: Sequence[float] = tuple(2.0 ** (np.arange(-4, 5) / 2)),
    batch_factors: Sequence[float] = tuple(2.0 ** np.arange(-3, 4)),
    random_seed: int | None = None,
) -> pd.DataFrame:
    r"""Sweeps over a grid of learning rates and batch sizes at each (N, D) setting.

    Each setting's optimum is drawn around the laws in ``truth`` with log-scale ``scatter``; the
    grid is centred near it with a random offset, so optima fall between grid points. The loss is

    .. math::

        \log L = \log L_0(N, D) + \tfrac12 k_\eta^2 (\Delta u - p \Delta v)^2
                  + \tfrac12 k_B^2 \Delta v^2 + \varepsilon

    with Δu, Δv the log learning rate and log batch size relative to the optimum, so at a fixed
    batch size the best learning rate scales as B^p (``lr_batch_exponent``). L₀ is Hoffmann et
    al.'s Chinchilla law.

    Returns
    -------
    DataFrame
        Columns ``run``, ``N``, ``D``, ``lr``, ``B`` (tokens), ``loss``, and the setting's true
        optimum ``lr_opt`` and ``B_opt``.
    """
    rng = np.random.default_rng(random_seed)
    lr_law = get_law(LAW, covariates=tuple(_covariates(truth["lr"])))
    batch_law = get_law(LAW, covariates=tuple(_covariates(truth["batch"])))
    frames = []
    for N, D in settings:
        x = {"N": np.asarray(N, dtype=float), "D": np.asarray(D, dtype=float)}
        log_lr = np.log(lr_law.curve(x, truth["lr"])) + scatter[0] * rng.standard_normal()
        log_batch = np.log(batch_law.curve(x, truth["batch"])) + scatter[1] * rng.standard_normal()
        shift = rng.uniform(-0.3, 0.3, size=2)
        lr_grid = np.log(lr_factors) + log_lr + shift[0]
        batch_grid = np.log(batch_factors) + log_batch + shift[1]
        u, v = (grid.ravel() for grid in np.meshgrid(lr_grid, batch_grid, indexing="ij"))
        du, dv = u - log_lr, v - log_batch
        rise = 0.5 * (curvature[0] * (du - lr_batch_exponent * dv)) ** 2
        rise += 0.5 * (curvature[1] * dv) ** 2
        floor = 1.69 + 406.4 / N**0.34 + 410.7 / D**0.28
        loss = floor * np.exp(rise + noise_sd * rng.standard_normal(u.size))
        frames.append(
            pd.DataFrame(
                {
                    "N": N,
                    "D": D,
                    "lr": np.exp(u),
                    "B": np.exp(v),
                    "loss": loss,
                    "lr_opt": np.exp(log_lr),
                    "B_opt": np.exp(log_batch),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "run", [f"sweep-{row}" for row in range(len(frame))])
    return frame


def _covariates(params: Mapping[str, float]) -> list[str]:
    return [name[2:] for name in params if name.startswith("b_")]
