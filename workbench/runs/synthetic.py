"""A small built-in run table simulated from a known Chinchilla-type law."""

import numpy as np
import pandas as pd

from workbench.runs.table import RunTable
from workbench.runs.validation import from_frame

DEMO_TRUTH = {"E": 1.8, "A": 480.0, "B": 2000.0, "alpha": 0.35, "beta": 0.37}
"""Parameters of the law the demo runs are simulated from, close to Epoch AI's Chinchilla refit."""

MODEL_SIZES = np.geomspace(2e7, 1e10, 8)
TOKENS_PER_PARAMETER = (5, 10, 20, 40, 80)
CHECKPOINTS_PER_RUN = 8
TOKENS_PER_STEP = 2**19  # a batch of 512 sequences of 1024 tokens
NOISE_SD = 0.01  # of log loss, per checkpoint
RUN_OFFSET_SD = 0.004  # of log loss, shared by all checkpoints of a run, as seeds differ


def demo(seed: int = 0) -> RunTable:
    """Simulated training runs with checkpoints, for trying the workbench without data.

    Eight model sizes from 2e7 to 1e10 parameters are each trained on 5, 10, 20, 40 and 80 tokens
    per parameter, with 8 evenly spaced checkpoints per run (320 rows). D at a checkpoint is the
    tokens seen so far, and the last checkpoint has seen the full budget. Losses follow

    .. math::

        L(N, D) = E + \\frac{A}{N^{\\alpha}} + \\frac{B}{D^{\\beta}}

    with the parameters in ``DEMO_TRUTH``, times lognormal noise: a per-run offset (sd 0.004 in
    log loss) and per-checkpoint noise (sd 0.01). C = 6·N·D is derived.

    Parameters
    ----------
    seed : int
        Seed of the noise; the same seed always gives the same table.

    Returns
    -------
    RunTable
        Columns ``run``, ``N``, ``D``, ``C``, ``loss``, ``step``, ``group`` (``"demo"``).

    References
    ----------
    .. [1] Hoffmann, J. et al. (2022). Training Compute-Optimal Large Language Models.
       arXiv:2203.15556.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for parameters in MODEL_SIZES:
        for ratio in TOKENS_PER_PARAMETER:
            total_steps = round(ratio * parameters / TOKENS_PER_STEP)
            run_offset = rng.normal(0.0, RUN_OFFSET_SD)
            name = f"N{parameters / 1e6:.0f}M-x{ratio}"
            for checkpoint in range(1, CHECKPOINTS_PER_RUN + 1):
                step = round(total_steps * checkpoint / CHECKPOINTS_PER_RUN)
                rows.append((name, parameters, step * TOKENS_PER_STEP, step, run_offset))
    frame = pd.DataFrame(rows, columns=["run", "N", "D", "step", "run_offset"])
    noise = frame["run_offset"].to_numpy() + rng.normal(0.0, NOISE_SD, len(frame))
    loss = chinchilla_loss(frame["N"].to_numpy(), frame["D"].to_numpy()) * np.exp(noise)
    frame = frame.drop(columns="run_offset").assign(loss=loss, group="demo")
    return from_frame(frame)


def chinchilla_loss(parameters: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """The noise-free demo law E + A/N^α + B/D^β at ``DEMO_TRUTH``."""
    truth = DEMO_TRUTH
    return (
        truth["E"]
        + truth["A"] / parameters ** truth["alpha"]
        + truth["B"] / tokens ** truth["beta"]
    )
