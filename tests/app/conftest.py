"""Fixtures of the dashboard tests: demo fits (one law, and auto) shared by the session, fresh
state per test."""

import asyncio
import io
from base64 import b64decode, b64encode

import pandas as pd
import panel as pn
import param
import pytest
from panel.io.server import async_execute

from workbench.app import FitView, WorkbenchState
from workbench.runs import demo

pn.extension("tabulator", "katex")


@pytest.fixture(autouse=True)
def async_watchers_close_their_loop(monkeypatch):
    """Run async watchers (such as DataView's source change) to completion in an event loop that
    is then closed. Outside a server Panel gives each its own new loop and never closes it, which
    leaks sockets: ResourceWarnings, errors in these tests."""

    def execute(function) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(function())
        else:
            async_execute(function)

    monkeypatch.setattr(param.parameterized, "async_executor", execute)


@pytest.fixture
def embedded_csv():
    """Reads the CSV that a FileDownload embeds in the page (a base64 data URI)."""

    def read(download) -> pd.DataFrame:
        payload = download.data.split(",", 1)[1]
        return pd.read_csv(io.BytesIO(b64decode(payload)))

    return read


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


@pytest.fixture
def browser_upload():
    """``upload(file_input, content, filename)`` as the browser does it: base64 text through
    Panel's event path, so that a 0-byte file arrives as Panel delivers it (``value=None``)."""

    def upload(file_input: pn.widgets.FileInput, content: bytes, filename: str) -> None:
        encoded = b64encode(content).decode()
        file_input._process_events(
            {"value": encoded, "filename": filename, "mime_type": "text/csv"}
        )

    return upload
