"""Downstream capabilities from per-sample logs.

Per-choice probability laws (Schaeffer et al. 2024): read lm-evaluation-harness
``--log_samples`` logs of a multiple-choice task (:func:`read_choice_logs`), fit laws of the
correct choice's probability, the incorrect mass and the margins against compute
(:class:`PerChoiceFit`), predict accuracy by simulating the comparison, and compare with a law
fitted to accuracy itself (:func:`compare_routes`). The logs of :func:`simulate_choice_logs` are
simulated: no public per-choice log-likelihoods by model size were found.
"""

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
    "SIMULATED_COMPUTE",
    "ChoiceLogs",
    "LogSamplesError",
    "PerChoiceFit",
    "RouteComparison",
    "SimulatedTask",
    "combine_logs",
    "compare_routes",
    "holdout_split",
    "parse_compute",
    "read_choice_logs",
    "read_log_samples",
    "simulate_choice_logs",
    "write_choice_logs",
]
