"""Serve the dashboard with ``workbench serve`` and drive it in Debian's headless Chromium."""

import contextlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERVER_START_SECONDS = 120
SERVED: dict[str, tuple[subprocess.Popen, Path]] = {}
"""Ready URL -> process and log of each server running now, for :func:`server_stacks`."""


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.sampling)  # the served dashboard fits
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(
            reason="browser test: /usr/bin/chromium is absent (./run test installs it)"
        )
        for item in items:
            if "tests/browser" in str(item.path):
                item.add_marker(skip)


# pytest-playwright's session-scoped fixtures keep Playwright's event loop running on the main
# thread until the session ends, and ``asyncio.run`` then fails in every later test of the process
# (the app tests use it). Module scope stops the loop after each browser module, so the tests pass
# in any order and however pytest-xdist shares them out.
@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args, browser_type):
    return lambda **options: browser_type.launch(**{**browser_type_launch_args, **options})


@pytest.fixture(scope="module")
def browser_context_args():
    """Plain contexts: the plugin's version reads devices and video options, which we don't use,
    from the session-scoped driver."""
    return {}


@pytest.fixture(scope="module")
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL: tests open the served URL themselves. This replaces pytest-playwright's
    fallback fixture, an instance method, which pytest 9 deprecates with a warning."""
    return None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def table_rows():
    """The rows of the page's Tabulator table that has a given column, as header → cell text."""

    def rows(page, column: str) -> list[dict[str, str]]:
        table = page.locator(".tabulator").filter(
            has=page.locator(".tabulator-col-title", has_text=column)
        )
        titles = table.locator(".tabulator-col-title").all_inner_texts()
        headers = [title.strip() for title in titles]
        return [
            dict(zip(headers, (cell.strip() for cell in cells), strict=False))
            for cells in (
                row.locator(".tabulator-cell").all_inner_texts()
                for row in table.locator(".tabulator-row").all()
            )
        ]

    return rows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of a dashboard served by ``workbench serve`` on a free loopback port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "workbench.cli",
        "serve",
        "--port",
        str(port),
        "--max-upload-mb",
        "1",
    ]
    base = f"http://127.0.0.1:{port}"
    with serving("workbench serve", command, f"{base}/liveness", tmp_path_factory):
        yield base


@pytest.fixture
def server_stacks(server):
    """A function that returns every thread's stack in the dashboard's server, for a test to
    show where a fit that never finishes is stuck (``workbench serve`` prints them on SIGUSR1).

    The stacks print once the event loop's thread runs Python again: a server whose main
    thread is blocked prints nothing, which says as much."""

    def stacks() -> str:
        process, log_path = SERVED[f"{server}/liveness"]
        start = log_path.stat().st_size
        process.send_signal(signal.SIGUSR1)
        time.sleep(2)
        return log_path.read_text()[start:]

    return stacks


BINDER_BASE_URL = "/user/reader/"
"""Binder serves each user's Jupyter under ``/user/<name>/``; the proxy must cope with that."""


@pytest.fixture(scope="session")
def jupyter(tmp_path_factory):
    """URL of a Jupyter server with a Binder-style base URL and no token (loopback only)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--allow-root",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        f"--ServerApp.base_url={BINDER_BASE_URL}",
        f"--ServerApp.root_dir={tmp_path_factory.mktemp('jupyter_root')}",
    ]
    base = f"http://127.0.0.1:{port}{BINDER_BASE_URL}"
    with serving("jupyter server", command, f"{base}api/status", tmp_path_factory):
        yield base


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``(url, root, token)``: JupyterLab serving the folder ``root`` on a free loopback port,
    with settings and workspaces of its own (the kernel inherits this process's environment, so
    it imports the same ``workbench``)."""
    port = free_port()
    token = secrets.token_hex(16)
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    root.mkdir()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    base = f"http://127.0.0.1:{port}/"
    with serving("jupyter lab", command, f"{base}api/status?token={token}", tmp_path_factory):
        yield base, root, token


@contextlib.contextmanager
def serving(name: str, command: list[str], ready_url: str, tmp_path_factory):
    """Run a server until the block ends; fail if it does not answer ``ready_url`` in time, or
    if it logs an unexpected traceback."""
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    # A log file, not a pipe: a full pipe would block the server.
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{name} did not come up; its log:\n{log_path.read_text()}")
        time.sleep(0.5)
    SERVED[ready_url] = process, log_path
    yield
    del SERVED[ready_url]
    process.terminate()
    process.wait(timeout=30)
    log = log_path.read_text()
    assert not unexpected_tracebacks(log), f"the server logged a traceback:\n{log}"


# A page closed while the server was still sending to it: Tornado logs these, and they are harmless.
DISCONNECT_ERRORS = ("WebSocketClosedError", "StreamClosedError")


def unexpected_tracebacks(log: str) -> list[str]:
    """Tracebacks in a server log other than those of a browser disconnecting."""
    blocks = log.split("Traceback (most recent call last):")[1:]
    return [block for block in blocks if not any(error in block for error in DISCONNECT_ERRORS)]
