"""Downstream capabilities: benchmark scores of public models, and per-sample logs.

* Observational scaling (Ruan et al. 2024): a Bayesian low-rank model of benchmark scores across
  model families (:class:`ObservationalScalingFit`), and its held-out protocol against a
  per-family power law (:func:`holdout_report`).
* Per-choice probability laws (Schaeffer et al. 2024): read lm-evaluation-harness
  ``--log_samples`` logs of a multiple-choice task (:func:`read_choice_logs`), fit laws of the
  correct choice's probability, the incorrect mass and the margins against compute
  (:class:`PerChoiceFit`), predict accuracy by simulating the comparison, and compare with a law
  fitted to accuracy itself (:func:`compare_routes`). The logs of :func:`simulate_choice_logs`
  are simulated: no public per-choice log-likelihoods by model size were found.
"""

from workbench.downstream.baseline import power_law_baseline
from workbench.downstream.capabilities import CHANCE_FLOORS
from workbench.downstream.holdout import (
    ABOVE_CUT,
    BASELINE,
    BAYESIAN,
    PREREGISTERED,
    RUAN2024_CUT,
    HoldoutReport,
    holdout_groups,
    holdout_report,
    score_holdout,
)
from workbench.downstream.observational import DEFAULT_COMPONENTS, ObservationalScalingFit
from workbench.downstream.perchoice import SIMULATED_COMPUTE, SimulatedTask
from workbench.downstream.perchoice_fit import (
    PerChoiceFit,
    RouteComparison,
    compare_routes,
    holdout_split,
)
from workbench.downstream.samples import (
    ChoiceLogs,
    LogSamplesError,
    combine_logs,
    parse_compute,
    read_choice_logs,
    read_log_samples,
    simulate_choice_logs,
    write_choice_logs,
)

__all__ = [
    "ABOVE_CUT",
    "BASELINE",
    "BAYESIAN",
    "CHANCE_FLOORS",
    "DEFAULT_COMPONENTS",
    "PREREGISTERED",
    "RUAN2024_CUT",
    "SIMULATED_COMPUTE",
    "ChoiceLogs",
    "HoldoutReport",
    "LogSamplesError",
    "ObservationalScalingFit",
    "PerChoiceFit",
    "RouteComparison",
    "SimulatedTask",
    "combine_logs",
    "compare_routes",
    "holdout_groups",
    "holdout_report",
    "holdout_split",
    "parse_compute",
    "power_law_baseline",
    "read_choice_logs",
    "read_log_samples",
    "score_holdout",
    "simulate_choice_logs",
    "write_choice_logs",
]
