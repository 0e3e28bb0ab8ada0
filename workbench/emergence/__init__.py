"""PassUntil estimators, a censored hierarchical pass-rate model, task laws and emergence tests.

Hu et al. (2023) sample each test instance until it passes, which measures pass rates far below
what greedy decoding shows and makes task performance predictable with a task scaling law. Here:

* readers: :func:`read_passuntil` (:class:`PassUntilLogs`) and :func:`read_task_scores`
  (:class:`TaskScores`);
* closed-form estimators (:func:`passuntil_estimate`, :func:`unbiased_estimate`,
  :func:`instance_posteriors`) with censoring made explicit;
* Bayesian models (:class:`PassUntilFit`, :class:`TaskLawFit`, :class:`MultipleCircuitsFit`,
  :class:`SubScalingFit`), :func:`predict_passuntil` and :func:`emergence_test`;
* :class:`TaskLawMixture`, the PSIS-LOO stacking mixture of the three task laws with an
  extrapolation discrepancy (:func:`extrapolation_sd`), and :func:`choose_predictions`, which
  predicts with it where the pooled rate is PU;
* :class:`SigmoidScoreFit` for per-size accuracies without instance data, and
  :class:`ErrorFromLossFit` (Gadre et al.'s Err(L)) where the loss is known;
* :func:`simulate_passuntil`, :func:`simulate_task` and :func:`plan_sampling`.
"""

from workbench.emergence.discrepancy import extrapolation_distance, extrapolation_sd
from workbench.emergence.downstream import (
    EmergenceCheck,
    SigmoidScoreFit,
    emergence_within_range,
)
from workbench.emergence.estimators import (
    censored_upper_bound,
    instance_estimates,
    instance_posteriors,
    passuntil_estimate,
    unbiased_estimate,
)
from workbench.emergence.forecast import predict_passuntil
from workbench.emergence.logs import PassUntilLogs, TaskScores, read_passuntil, read_task_scores
from workbench.emergence.loss_to_error import ErrorFromLossFit, error_from_loss
from workbench.emergence.mixture import (
    PredictionChoice,
    TaskLawMixture,
    choose_predictions,
    pooling_gap,
)
from workbench.emergence.model import (
    MultipleCircuitsFit,
    PassUntilFit,
    SubScalingFit,
    TaskLawFit,
)
from workbench.emergence.planning import SamplingPlan, plan_sampling
from workbench.emergence.simulate import InstanceLaw, simulate_passuntil, simulate_task, true_pu
from workbench.emergence.verdict import TAU, EmergenceVerdict, emergence_test

__all__ = [
    "TAU",
    "EmergenceCheck",
    "EmergenceVerdict",
    "ErrorFromLossFit",
    "InstanceLaw",
    "MultipleCircuitsFit",
    "PassUntilFit",
    "PassUntilLogs",
    "PredictionChoice",
    "SamplingPlan",
    "SigmoidScoreFit",
    "SubScalingFit",
    "TaskLawFit",
    "TaskLawMixture",
    "TaskScores",
    "censored_upper_bound",
    "choose_predictions",
    "emergence_test",
    "emergence_within_range",
    "error_from_loss",
    "extrapolation_distance",
    "extrapolation_sd",
    "instance_estimates",
    "instance_posteriors",
    "passuntil_estimate",
    "plan_sampling",
    "pooling_gap",
    "predict_passuntil",
    "read_passuntil",
    "read_task_scores",
    "simulate_passuntil",
    "simulate_task",
    "true_pu",
    "unbiased_estimate",
]
