"""Shared fixtures. Real third-party data comes only through ``shared_data``."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real third-party data (``../shared/data`` beside the repo).

    Set ``WORKBENCH_SHARED_DATA`` to point elsewhere. Tests that need it skip when it is absent,
    as it is in a fresh clone.
    """
    folder = Path(os.environ.get("WORKBENCH_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not folder.is_dir():
        pytest.skip(f"real-data test: {folder} is absent (set WORKBENCH_SHARED_DATA to its path)")
    return folder
