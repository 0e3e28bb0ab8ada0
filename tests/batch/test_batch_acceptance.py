"""The batch engine end to end: 3 laws x 2 checkpoint policies x 3 holdout cuts on Li et al.'s
open_lm runs, on a 2-worker LocalCluster; killed mid-way, resumed, and compared with an
uninterrupted run. A data set whose file is absent is the deliberately broken part.

It takes about 2 minutes on 2 busy cores (12 compiles per run, two runs).
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench.batch import read_results, run_batch

pytestmark = [pytest.mark.slow, pytest.mark.sampling]

SCORES = ["are", "coverage_50", "coverage_90", "elpd"]
KILL_AFTER_FITS = 4
TIMEOUT_SECONDS = 600
JOBS_PER_DATASET = 3 * 2 * 3


@pytest.fixture(scope="module")
def spec_path(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("acceptance")
    url = (shared_data / "misfitting_li2025" / "scaling_results.csv").as_uri()
    spec = {
        "datasets": {
            "li2025": {"loader": "misfitting_li2025", "url": url, "cache_dir": str(folder)},
            "broken": {"path": "absent.csv"},
        },
        "laws": ["chinchilla", "kaplan_joint", "power_law"],
        "checkpoints": ["final", "run-effect"],
        "min_fraction": [0.5],
        "holdout_top_frac": [0.1, 0.2, 0.3],
        "draws": 300,
        "seed": 1,
        # Resuming and failure isolation are under test here, not the scores: law-only
        # intervals spare each job its three nested refits.
        "interval": "law",
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def fitted_rows(out) -> int:
    try:
        rows = read_results(out)
    except (OSError, ValueError):  # read while being replaced
        return 0
    return int((rows["dataset"] == "li2025").sum())


def test_killed_batch_resumes_to_the_uninterrupted_results(spec_path, tmp_path):
    interrupted = tmp_path / "interrupted"
    command = [sys.executable, "-m", "workbench.cli", "batch", str(spec_path)]
    command += ["--workers", "2", "--out", str(interrupted)]
    process = subprocess.Popen(command, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while fitted_rows(interrupted) < KILL_AFTER_FITS and process.poll() is None:
        assert time.monotonic() < deadline, "the batch made no progress"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its worker processes, mid-way
    process.wait()
    kept = read_results(interrupted)
    assert KILL_AFTER_FITS <= (kept["dataset"] == "li2025").sum() < JOBS_PER_DATASET

    resumed = run_batch(spec_path, interrupted, workers=2, progress=False)
    assert resumed.n_skipped == len(kept) and resumed.n_run == 2 * JOBS_PER_DATASET - len(kept)
    uninterrupted = run_batch(spec_path, tmp_path / "uninterrupted", workers=2, progress=False)

    left = resumed.results.set_index("job_id").sort_index()
    right = uninterrupted.results.set_index("job_id").sort_index()
    assert list(left.index) == list(right.index) and len(left) == 2 * JOBS_PER_DATASET
    pd.testing.assert_series_equal(left["status"], right["status"])
    broken = left[left["dataset"] == "broken"]
    assert len(broken) == JOBS_PER_DATASET and (broken["status"] == "failed").all()
    fitted = left["dataset"] == "li2025"
    assert left.loc[fitted, "status"].isin(["ok", "untrustworthy"]).all()
    np.testing.assert_allclose(
        left.loc[fitted, SCORES].to_numpy(float), right.loc[fitted, SCORES].to_numpy(float)
    )
    # Each worker compiles a (law, structure) at most once: 6 models on each of 2 workers.
    assert right["compiled"].sum() <= 12
