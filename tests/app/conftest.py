"""Fixtures of the dashboard tests: a demo fit shared by the module, fresh state per test."""

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


@pytest.fixture
def demo_csv(demo_runs) -> bytes:
    return demo_runs.data[["run", "N", "D", "loss"]].to_csv(index=False).encode()


def frame_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()
