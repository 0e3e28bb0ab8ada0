"""Every tutorial notebook runs top to bottom on a fresh kernel, with real (shrunken) sampling."""

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from workbench.tutorial import DRAWS_VARIABLE, SHARED_DATA_VARIABLE

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
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute()
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
