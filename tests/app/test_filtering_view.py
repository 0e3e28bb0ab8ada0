"""The Filtering tab without a browser: the table, the crossovers and the plot follow the range."""

import holoviews as hv
import panel as pn

from workbench.app.filtering_view import FilteringView
from workbench.app.state import WorkbenchState
from workbench.filtering import GOYAL_TMARS_IMAGENET, candidate_errors, crossovers
from workbench.plots import plot_filtering_frontier


def test_the_default_range_shows_both_crossovers():
    view = FilteringView(state=WorkbenchState())
    assert view._table.value["best"].iloc[0] == "top0-10%"
    assert view._crossovers.object.count("→") == 2
    assert isinstance(view._plot.objects[0], pn.pane.HoloViews)


def test_a_range_without_a_change_says_so_and_a_bad_range_alerts():
    view = FilteringView(state=WorkbenchState(), lowest_budget=2e7, highest_budget=5e7)
    assert "same throughout" in view._crossovers.object
    view.highest_budget = 1e7
    assert "must be below the largest" in view._alert.object
    assert view._plot.objects == []


def test_the_frontier_plot_draws_every_candidate_and_the_crossovers():
    errors = candidate_errors(GOYAL_TMARS_IMAGENET, [2e7, 2e8, 2e9])
    found = crossovers(GOYAL_TMARS_IMAGENET, 1e7, 1e10, points=200)
    plot = plot_filtering_frontier(errors, found)
    curves = [element for element in plot if isinstance(element, hv.Curve)]
    assert len(curves) == len(errors) + 1
    (points,) = [element for element in plot if isinstance(element, hv.Scatter)]
    assert len(points) == 2
