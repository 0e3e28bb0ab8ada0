"""Fixtures of the dashboard tests: demo fits (one law, and auto) shared by the session, fresh
state per test."""

import asyncio

import pandas as pd
import panel as pn
import pytest

from workbench.app import FitView, WorkbenchState
from workbench.runs import demo

pn.extension("tabulator", "katex")


@pytest.fixture(scope="session")
def demo_runs():
    return demo(seed=0).final_checkpoints()


@pytest.fixture(scope="session")
def fitted_state(demo_runs) -> WorkbenchState:
    """A state holding a chinchilla fit of the demo runs, made through the Fit view."""
    state = WorkbenchState(runs=demo_runs)
    view = FitView(state=state)
    asyncio.run(view.start_fit())
    assert state.fit is not None, view._alert.object
    return state


@pytest.fixture(scope="session")
def auto_fit_view(demo_runs) -> FitView:
    """The Fit view after a law=auto fit of the demo runs (its state holds the ensemble)."""
    view = FitView(state=WorkbenchState(runs=demo_runs), law="auto")
    asyncio.run(view.start_fit())
    assert view.state.ensemble is not None, view._alert.object
    return view


@pytest.fixture
def demo_csv(demo_runs) -> bytes:
    return demo_runs.data[["run", "N", "D", "loss"]].to_csv(index=False).encode()


def frame_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()
