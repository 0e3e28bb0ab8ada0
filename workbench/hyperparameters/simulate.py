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


HOFFMANN_TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
"""Hoffmann et al.'s fitted Chinchilla law (their approach 3), whose N_opt ∝ C^(β/(α+β))."""


def simulate_isoflop_runs(
    budgets: Sequence[float],
    *,
    truth: Mapping[str, float] = HOFFMANN_TRUTH,
    sizes_per_budget: int = 9,
    spread: float = 4.0,
    noise_sd: float = 0.002,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """IsoFLOP runs from a Chinchilla law: at each budget C, ``sizes_per_budget`` model sizes
    log-spaced from N_opt/``spread`` to N_opt·``spread`` (with a random offset, so the optimum falls
    between them), D = C/(6N), and the law's loss times log-normal noise of sd ``noise_sd``.

    Returns a frame with ``N``, ``D``, ``C``, ``loss`` and each run's true ``N_opt``.
    """
    rng = np.random.default_rng(random_seed)
    law = get_law("chinchilla")
    exponent = truth["beta"] / (truth["alpha"] + truth["beta"])
    scale = (truth["alpha"] * truth["A"] / (truth["beta"] * truth["B"])) ** (
        1 / (truth["alpha"] + truth["beta"])
    )
    frames = []
    for budget in budgets:
        optimum = scale * (budget / 6) ** exponent
        offset = rng.uniform(-0.5, 0.5) * np.log(spread) / (sizes_per_budget - 1)
        sizes = optimum * np.exp(offset + np.linspace(-1, 1, sizes_per_budget) * np.log(spread))
        tokens = budget / (6 * sizes)
        loss = law.curve({"N": sizes, "D": tokens}, truth)
        loss = loss * np.exp(noise_sd * rng.standard_normal(sizes.size))
        frames.append(
            pd.DataFrame({"N": sizes, "D": tokens, "C": budget, "loss": loss, "N_opt": optimum})
        )
    return pd.concat(frames, ignore_index=True)


def simulate_transfer_sweeps(
    sizes: Sequence[float],
    exponent: float,
    *,
    size: str = "width",
    hyperparameter: str = "lr",
    optimum_at_smallest: float = 3e-3,
    curvature: float = 0.3,
    scatter: float = 0.05,
    noise_sd: float = 0.001,
    factors: Sequence[float] = tuple(2.0 ** (np.arange(-4, 5) / 2)),
    random_seed: int | None = None,
) -> pd.DataFrame:
    """Sweeps of one hyperparameter at each size, whose optimum scales as size^``exponent``.

    At each size the optimum is the rule's times log-normal ``scatter``; the grid of
    ``factors`` around it has a random offset, so the optimum falls between grid points. The loss
    is L₀(size)·exp(½(k·Δ)² + ε), Δ the log distance to the optimum, k = ``curvature``,
    ε ~ N(0, ``noise_sd``²). Returns ``size``, ``hyperparameter``, ``loss``, the true optimum
    ``<hyperparameter>_opt`` and ``N``, which a run table needs: for widths, that of a 12-layer
    transformer (12 · 12 · width²); else 1e8 parameters.
    """
    rng = np.random.default_rng(random_seed)
    sizes = np.asarray(sizes, dtype=float)
    frames = []
    for value in sizes:
        rule = optimum_at_smallest * (value / sizes.min()) ** exponent
        optimum = rule * np.exp(scatter * rng.standard_normal())
        offset = np.exp(rng.uniform(-0.5, 0.5) * np.log(factors[1] / factors[0]))
        grid = optimum * offset * np.asarray(factors)
        delta = np.log(grid / optimum)
        base = 3.0 * (value / sizes.min()) ** -0.1
        loss = base * np.exp(0.5 * (curvature * delta) ** 2 + noise_sd * rng.normal(size=grid.size))
        parameters = 144 * value**2 if size == "width" else 1e8
        frames.append(
            pd.DataFrame(
                {
                    size: value,
                    hyperparameter: grid,
                    "loss": loss,
                    f"{hyperparameter}_opt": optimum,
                    "N": parameters,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
