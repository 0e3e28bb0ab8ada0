"""The Groups tab: a grouped fit through the view, its ranking, pairs and plot."""

import asyncio

import numpy as np
import pandas as pd

from workbench.app import WorkbenchState
from workbench.app.groups_view import GroupsView, group_columns
from workbench.laws import get_law
from workbench.runs import from_frame

TRUTH = dict(E=1.8, A=480.0, B=2000.0, alpha=0.35, beta=0.37)


def two_recipes():
    rng = np.random.default_rng(0)
    law = get_law("chinchilla")
    rows = []
    for recipe, amplitude in (("good", 300.0), ("plain", 480.0)):
        # Two token ratios per size: at one ratio N and D move together and the law's N and D
        # terms trade off along a ridge that NUTS crawls (22 s per refit instead of 1 s).
        for n, ratio in zip(np.geomspace(2e7, 2e9, 8), [10, 40] * 4, strict=True):
            loss = law.curve({"N": n, "D": ratio * n}, TRUTH | {"A": amplitude})
            rows.append(
                {"recipe": recipe, "N": n, "D": ratio * n, "loss": loss * rng.lognormal(0, 0.005)}
            )
    return from_frame(pd.DataFrame(rows))


def test_group_columns_offers_text_columns_only():
    runs = two_recipes()
    assert group_columns(runs) == ["recipe"]
    assert group_columns(None) == []


def test_grouped_fit_ranks_the_better_recipe_first():
    state = WorkbenchState(runs=two_recipes())
    view = GroupsView(state=state)
    assert view.group_column == "recipe"
    fit = asyncio.run(view.run_fit())
    assert fit is not None, view._alert.object
    ranking = view._ranking.value
    assert list(ranking["group"]) == ["good", "plain"]
    assert ranking.loc[0, "p_best"] > 0.9
    assert view._pairs.value.loc[0, "verdict"] == "no crossover in range"
    assert len(view._plot) == 1


def test_runs_without_groups_show_an_error():
    runs = two_recipes()
    state = WorkbenchState(runs=from_frame(runs.data.drop(columns=["recipe"])))
    view = GroupsView(state=state)
    assert asyncio.run(view.run_fit()) is None
    assert view._alert.visible and "group" in view._alert.object


def test_a_formula_is_fitted_per_group_in_place_of_the_law():
    view = GroupsView(state=WorkbenchState(runs=two_recipes()), law="power_law")
    view.formula = "E + A*C**-a"  # three parameters per group: quick to sample
    fit = asyncio.run(view.run_fit())
    assert fit is not None, view._alert.object
    assert fit.law.label == "formula:E + A*C**-a"
    assert list(view._ranking.value["group"]) == ["good", "plain"]
    view.formula = "E + A*N**"
    assert asyncio.run(view.run_fit()) is None
    assert "Could not fit groups" in view._alert.object and "character 10" in view._alert.object
