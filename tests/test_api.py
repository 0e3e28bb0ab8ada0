"""The package's front door: ``import workbench as wb``."""

import importlib
import subprocess
import sys

import pytest

import workbench as wb
from workbench.predict import calibration_of
from workbench.runs import DEMO_TRUTH

FAST = {"draws": 500, "tune": 500}


def test_importing_the_package_loads_no_sampler():
    # The Jupyter server imports the dashboard's proxy entry point, and with it this package.
    code = "import sys, workbench; print(sorted({'pymc', 'nutpie', 'panel'} & set(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


def test_every_public_name_resolves_and_is_listed():
    for name, module in wb.PUBLIC_API.items():
        assert getattr(wb, name) is getattr(importlib.import_module(module), name)
        assert name in dir(wb)
    with pytest.raises(AttributeError, match="no attribute 'fitt'"):
        getattr(wb, "fitt")  # noqa: B009 - the attribute access is what is tested


def test_fit_is_calibrated_like_the_command_line():
    fit = wb.fit(wb.demo(seed=0).final_checkpoints(), law="chinchilla", random_seed=1, sampler=FAST)
    assert isinstance(fit, wb.ScalingLawFit)
    assert calibration_of(fit).summary()["source"] == "nested_lfo"
    summary = fit.summary(ci_prob=0.9)
    assert summary.loc["E", "ci_low_90"] < DEMO_TRUTH["E"] < summary.loc["E", "ci_high_90"]
    table = fit.predict(N=[7e10], D=[1.4e12])
    assert (table["interval"] == "calibrated").all()


def test_auto_cannot_be_uncalibrated():
    with pytest.raises(ValueError, match="always calibrated"):
        wb.fit(wb.demo(seed=0), law="auto", calibrated=False)
