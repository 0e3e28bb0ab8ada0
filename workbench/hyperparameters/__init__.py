"""Hyperparameter scaling laws: sweeps → per-setting optima → laws (Step Law, Li et al. 2025).

* :class:`StepLawFit` locates the optimal learning rate and batch size of every (N, D) setting
  of learning-rate × batch-size sweeps, with uncertainty, and fits η_opt = A·N^b·D^c and
  B_opt = A·D^e to them in one PyMC model, sampled with nutpie;
* :class:`LearningRateBatchRule` and :func:`lr_batch_rule` fit η* ∝ B^p with the exponent free;
* :func:`simulate_sweeps` makes sweeps with known optima;
* :func:`transfer` moves a tuned proxy's learning rate and weight decay to another width and
  batch size by published rules, and :class:`TransferRuleFit` checks a rule's exponent on sweeps;
* :class:`IsoFlopFit` is Hoffmann et al.'s IsoFLOP analysis (approach 2) on the same machinery:
  each FLOP budget's optimal model size, and N_opt ∝ C^a through them.

The laws themselves are the registered family ``optimal_hyperparameters``
(:mod:`workbench.laws.optimal_hyperparameters`); :func:`workbench.runs.datasets.steplaw` loads
Li et al.'s public sweeps.
"""

from workbench.hyperparameters.fit import (
    LearningRateBatchRule,
    OptimaFit,
    StepLawFit,
    lr_batch_rule,
)
from workbench.hyperparameters.isoflop import IsoFlopFit
from workbench.hyperparameters.simulate import (
    HOFFMANN_TRUTH,
    STEP_LAW_TRUTH,
    simulate_isoflop_runs,
    simulate_sweeps,
    simulate_transfer_sweeps,
)
from workbench.hyperparameters.sweeps import (
    DEFAULT_WINDOW,
    OptimumAtEdgeWarning,
    SweepError,
    Sweeps,
    prepare_sweeps,
)
from workbench.hyperparameters.transfer import (
    TRANSFER_RULES,
    TransferRule,
    TransferRuleFit,
    transfer,
)

__all__ = [
    "DEFAULT_WINDOW",
    "HOFFMANN_TRUTH",
    "STEP_LAW_TRUTH",
    "TRANSFER_RULES",
    "IsoFlopFit",
    "LearningRateBatchRule",
    "OptimaFit",
    "OptimumAtEdgeWarning",
    "StepLawFit",
    "SweepError",
    "Sweeps",
    "TransferRule",
    "TransferRuleFit",
    "lr_batch_rule",
    "prepare_sweeps",
    "simulate_isoflop_runs",
    "simulate_sweeps",
    "simulate_transfer_sweeps",
    "transfer",
]
