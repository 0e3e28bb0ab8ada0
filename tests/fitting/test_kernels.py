"""Compiled models kept on disk: the same draws as a fresh compile, and never a wrong model's."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from project_files import REPO

from workbench.fitting import ScalingLawFit, kernels
from workbench.fitting.model import build_model, model_data
from workbench.fitting.structure import Structure
from workbench.laws import Prior
from workbench.runs import demo

SAMPLER = {"draws": 60, "tune": 60, "chains": 2, "cores": 1}
FIT_IN_A_NEW_PROCESS = """
import json, sys
from nutpie import compile_pymc
from workbench.fitting import ScalingLawFit
from workbench.runs import demo

if sys.argv[1] == "warm":
    def no_compile(*args, **kwargs):
        raise AssertionError("a warm cache must not compile the model again")
    compile_pymc._make_functions = no_compile
fit = ScalingLawFit("chinchilla", sampler={sampler!r}).fit(demo(), random_seed=7)
posterior = fit.idata["posterior"]
print(json.dumps({{name: posterior[name].values.tolist() for name in sorted(posterior.data_vars)}}))
"""


def fit_in_new_process(cache, warmth: str) -> dict:
    environment = os.environ | {"WORKBENCH_CACHE": str(cache)}
    code = FIT_IN_A_NEW_PROCESS.format(sampler=SAMPLER)
    result = subprocess.run(
        [sys.executable, "-c", code, warmth],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.sampling
def test_a_fit_from_the_disk_cache_draws_what_a_fresh_compile_draws(tmp_path):
    fresh = fit_in_new_process(tmp_path, "cold")
    assert list((tmp_path / "kernels").glob("*.json"))
    cached = fit_in_new_process(tmp_path, "warm")
    assert cached.keys() == fresh.keys()
    for name in fresh:
        np.testing.assert_array_equal(np.array(cached[name]), np.array(fresh[name]), name)


def law_model(law: str, runs, priors=None):
    fit = ScalingLawFit(law, priors=priors)
    x = {name: runs.column(name) for name in fit.law.covariates}
    data = model_data(fit.law, x, runs.y, fit.law.centres(x, runs.y))
    return build_model(fit.law, fit.priors_for(Structure()), "normal", data)


def test_a_changed_model_gets_another_key():
    runs = demo()
    key = kernels.model_key(law_model("chinchilla", runs))
    assert kernels.model_key(law_model("chinchilla", runs)) == key
    wider = {"sigma": Prior("HalfNormal", sigma=0.5)}
    assert kernels.model_key(law_model("chinchilla", runs, priors=wider)) != key
    fewer_runs = runs.filter(np.arange(len(runs)) < 10)
    assert kernels.model_key(law_model("chinchilla", fewer_runs)) != key
    assert kernels.model_key(law_model("kaplan_joint", runs)) != key
