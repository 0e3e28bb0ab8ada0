"""A job's seed fixes its draws bit for bit, however the batch runs it.

A resumed batch must agree with an uninterrupted one. Between the two, a job may run in a worker
that compiled its model or in one that loaded it from PyTensor's compile cache, first or after
other jobs, on one worker or on two.
"""

import os

import numpy as np
import pytest

from workbench.batch import parse_spec, run_batch
from workbench.fitting import ScalingLawFit
from workbench.runs import demo

# Jobs sample in Dask worker processes.
pytestmark = pytest.mark.sampling


def spec(folder, holdout_top_frac):
    return parse_spec(
        {
            "datasets": {"demo": {"path": "demo.csv"}},
            "laws": ["chinchilla"],
            "holdout_top_frac": holdout_top_frac,
            "draws": 200,
            "seed": 5,
            "interval": "law",
        },
        base=folder,
    )


def posterior(result, job_id):
    fit = ScalingLawFit.load(result.out_dir / "fits" / f"{job_id}.nc")
    return fit.idata["posterior"].to_dataset()


def test_a_job_draws_the_same_bits_whether_its_worker_compiled_or_loaded_the_model(
    tmp_path, monkeypatch
):
    demo().data.to_csv(tmp_path / "demo.csv", index=False)
    # Workers get an empty compile cache: the first batch's worker compiles the model (and fills
    # the cache), the second batch's two workers load it.
    flags = [os.environ.get("PYTENSOR_FLAGS"), f"base_compiledir={tmp_path / 'pytensor'}"]
    monkeypatch.setenv("PYTENSOR_FLAGS", ",".join(filter(None, flags)))
    compiled = run_batch(spec(tmp_path, [0.1, 0.3]), tmp_path / "first", workers=1, progress=False)
    loaded = run_batch(spec(tmp_path, [0.3, 0.1]), tmp_path / "second", workers=2, progress=False)

    rows = compiled.results.set_index("job_id")
    assert rows["compiled"].sum() == 1 and (rows["status"] != "failed").all(), rows["error"]
    assert set(rows.index) == set(loaded.results["job_id"])
    for job_id in rows.index:
        first, second = posterior(compiled, job_id), posterior(loaded, job_id)
        assert list(first.data_vars) == list(second.data_vars)
        for name in first.data_vars:
            np.testing.assert_array_equal(first[name].values, second[name].values, err_msg=name)
