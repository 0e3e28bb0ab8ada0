"""Plots of runs, fits, checks and extrapolations: pure functions returning HoloViews objects.

They never display or save anything, and they do not load a plotting extension: call
``hv.extension("bokeh")`` (or use Panel) before showing them.
"""

from workbench.plots.backtest import plot_backtest
from workbench.plots.calibration import plot_calibration
from workbench.plots.checks import plot_loo_pit, plot_ppc, plot_residuals
from workbench.plots.downstream import plot_family_curves, plot_holdout_predictions
from workbench.plots.extrapolation import plot_comparison, plot_compute_optimal, plot_extrapolation
from workbench.plots.filtering import plot_filtering_frontier
from workbench.plots.groups import plot_groups
from workbench.plots.hyperparameters import plot_hyperparameter_law
from workbench.plots.ledger import plot_ledger
from workbench.plots.passuntil import plot_passuntil
from workbench.plots.perchoice import plot_accuracy_routes, plot_choice_masses
from workbench.plots.planning import plot_run_plan
from workbench.plots.posterior import plot_pair, plot_posteriors
from workbench.plots.runs import plot_runs
from workbench.plots.testtime import plot_testtime_frontiers

__all__ = [
    "plot_accuracy_routes",
    "plot_backtest",
    "plot_calibration",
    "plot_choice_masses",
    "plot_comparison",
    "plot_compute_optimal",
    "plot_extrapolation",
    "plot_family_curves",
    "plot_filtering_frontier",
    "plot_groups",
    "plot_holdout_predictions",
    "plot_hyperparameter_law",
    "plot_ledger",
    "plot_loo_pit",
    "plot_pair",
    "plot_passuntil",
    "plot_posteriors",
    "plot_ppc",
    "plot_residuals",
    "plot_run_plan",
    "plot_runs",
    "plot_testtime_frontiers",
]
