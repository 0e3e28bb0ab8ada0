"""`workbench fit <data set> --json` on the public data sets of Muennighoff et al. and ParScale.

The data sets are read from the download cache, filled beforehand from the local copies.
"""

import contextlib
import io
import json
import warnings

import pytest

from workbench.cli import main
from workbench.runs import datasets

SHORT = ["--draws", "200", "--tune", "300", "--seed", "1", "--no-calibrate", "--json"]


@pytest.fixture
def cached(shared_data, tmp_path, monkeypatch):
    """The cache the CLI reads, holding both data sets' pinned files."""
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    datasets.muennighoff2023(
        url=shared_data / "muennighoff2023_data_constrained" / "raw" / "parametric_fit.ipynb"
    )
    datasets.parscale2025(
        url=shared_data / "parscale2025_parallel_scaling" / "source_parametric_fit.py"
    )


def fit_json(argv) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        # Short chains on real data: the report carries the diagnostics.
        warnings.simplefilter("ignore")
        assert main(argv) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("dataset", "law", "n_runs", "parameter"),
    [
        ("muennighoff2023", "data_constrained", 182, "R_D_star"),
        ("parscale2025", "parscale", 48, "k"),
    ],
)
def test_fit_a_public_data_set_by_name(cached, dataset, law, n_runs, parameter):
    report = fit_json(["fit", dataset, "--law", law, *SHORT])
    assert report["law"] == law
    assert report["n_obs"] == n_runs
    interval = report["params"][parameter]
    assert 0 < interval["ci_low_90"] < interval["median"] < interval["ci_high_90"]
