"""Every tutorial notebook runs top to bottom on a fresh kernel, with real (shrunken) sampling."""

import contextlib
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from project_files import STALLS

from workbench.threads import thread_stacks
from workbench.tutorial import DRAWS_VARIABLE, SHARED_DATA_VARIABLE

STALL_SECONDS = 240  # every notebook runs in under two minutes, even on a busy machine
WATCHDOG = """
import asyncio, io, sys, threading, time
from workbench.threads import thread_stacks

def _write_stacks_while_running(loop, path={path!r}, seconds={seconds}):
    while True:
        time.sleep(seconds)
        tasks = io.StringIO()
        for task in list(asyncio.all_tasks(loop)):
            task.print_stack(file=tasks)
        jobs = sys.modules.get("workbench.app.jobs")
        queue = jobs and jobs.FIT_QUEUE
        with open(path, "a") as stacks:
            stacks.write(thread_stacks() + "\\nThe event loop's tasks:\\n" + tasks.getvalue())
            if queue:
                running, waiting = queue._running, len(queue._waiting)
                stacks.write(f"Fit queue: {{running}} running, {{waiting}} waiting\\n")

threading.Thread(
    target=_write_stacks_while_running, args=(asyncio.get_running_loop(),), daemon=True
).start()
"""

# The notebooks sample in their own kernels.
pytestmark = pytest.mark.sampling

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TUTORIAL_DRAWS = "300"
CELL_TIMEOUT_SECONDS = 600
# Notebooks that read public data sets; they skip when the local copies are absent.
NEEDS_SHARED_DATA = {
    "02_chinchilla_replication.ipynb",
    "03_compare_and_backtest.ipynb",
    "04_passuntil_emergence.ipynb",
    "06_checkpoints.ipynb",
    "07_honest_extrapolation.ipynb",
    "08_more_laws.ipynb",
}
EXPECTED = [
    "01_quickstart.ipynb",
    "02_chinchilla_replication.ipynb",
    "03_compare_and_backtest.ipynb",
    "04_passuntil_emergence.ipynb",
    "05_dashboard_in_jupyter.ipynb",
    "06_checkpoints.ipynb",
    "07_honest_extrapolation.ipynb",
    "08_more_laws.ipynb",
]


def notebook_paths():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_every_tutorial_is_there():
    assert [path.name for path in notebook_paths()] == EXPECTED


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.name)
def test_committed_notebook_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name} cell {index} has outputs: clear them"
            assert cell.execution_count is None, f"{path.name} cell {index} has a count"


@pytest.fixture(scope="module")
def notebook_cache(tmp_path_factory):
    """One cache for every notebook: a model compiled in one notebook loads in the next, and
    public data copied in stays out of the user's own cache."""
    return tmp_path_factory.mktemp("notebook-cache")


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path, request, monkeypatch, tmp_path, notebook_cache):
    if path.name in NEEDS_SHARED_DATA:
        monkeypatch.setenv(SHARED_DATA_VARIABLE, str(request.getfixturevalue("shared_data")))
    monkeypatch.setenv(DRAWS_VARIABLE, TUTORIAL_DRAWS)
    monkeypatch.setenv("WORKBENCH_CACHE", str(notebook_cache))
    notebook = nbformat.read(path, as_version=4)
    # A kernel that runs too long writes where its threads are: one run once waited ten
    # minutes in a notebook that takes half a minute.
    stacks = tmp_path / "stacks.txt"
    notebook.cells.insert(
        0,
        nbformat.v4.new_code_cell(WATCHDOG.format(path=str(stacks), seconds=STALL_SECONDS)),
    )
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    with stacks_written_every(STALL_SECONDS, tmp_path / "client_stacks.txt"):
        client.execute()
    seconds = time.perf_counter() - start
    print(f"{path.name}: {seconds:.1f} s")
    if stacks.exists() and stacks.stat().st_size:
        STALLS.mkdir(parents=True, exist_ok=True)
        (STALLS / f"{path.stem}.txt").write_text(
            f"{path.name} took {seconds:.0f} s; its kernel's threads every {STALL_SECONDS} s:\n"
            f"{stacks.read_text()}\nthis test's threads (the notebook client):\n"
            f"{(tmp_path / 'client_stacks.txt').read_text()}"
        )


@contextlib.contextmanager
def stacks_written_every(seconds: float, path: Path):
    """Append this process's thread stacks to ``path`` every ``seconds`` while the block runs."""
    path.touch()
    done = threading.Event()

    def write() -> None:
        while not done.wait(seconds):
            with path.open("a") as stacks:
                stacks.write(thread_stacks())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield
    finally:
        done.set()
        writer.join()
