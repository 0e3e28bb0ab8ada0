"""Settings shared by the tutorial notebooks, so the test suite can shrink them in one place.

The notebooks call :func:`sampler` for every fit and :func:`local_source` for public data. Tests set
``WORKBENCH_TUTORIAL_DRAWS`` to cap draws and tuning steps, and ``WORKBENCH_SHARED_DATA`` to a
folder of local copies of the public data sets, so nothing is downloaded.
"""

import os
from pathlib import Path

DRAWS_VARIABLE = "WORKBENCH_TUTORIAL_DRAWS"
SHARED_DATA_VARIABLE = "WORKBENCH_SHARED_DATA"


def sampler(draws: int = 1000, tune: int = 1000, **options) -> dict:
    """nutpie options for a tutorial fit; ``$WORKBENCH_TUTORIAL_DRAWS`` caps draws and tuning."""
    cap = os.environ.get(DRAWS_VARIABLE)
    if cap:
        draws, tune = min(draws, int(cap)), min(tune, int(cap))
    return {"draws": draws, "tune": tune, **options}


def local_source(relative: str) -> str | None:
    """A ``file://`` URL of a local copy of public data (``$WORKBENCH_SHARED_DATA/relative``),
    or None, in which case the loaders download from the original source."""
    folder = os.environ.get(SHARED_DATA_VARIABLE)
    if not folder:
        return None
    path = Path(folder).expanduser() / relative
    return path.resolve().as_uri() if path.exists() else None
