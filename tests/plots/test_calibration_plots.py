"""The calibration report's plots: coverage, LFO-PIT and error against distance."""

import holoviews as hv
import numpy as np
import pandas as pd

from workbench.plots import plot_calibration
from workbench.predict import Calibration


def simulated_calibration(seed: int = 0) -> Calibration:
    rng = np.random.default_rng(seed)
    distance = rng.uniform(0.05, 1.0, 60)
    spread = np.full(distance.size, 0.004)
    residual = rng.normal(0.0, np.hypot(spread, 0.02 * distance + 0.005))
    return Calibration(
        evidence=pd.DataFrame(
            {
                "cut": np.repeat([0.1, 0.2, 0.3], 20),
                "run": [f"r{i}" for i in range(distance.size)],
                "distance": distance,
                "residual": residual,
                "spread": spread,
                "weight": 1.0,
            }
        )
    )


def test_report_has_coverage_pit_and_error_panels():
    layout = plot_calibration(simulated_calibration())
    coverage, pit, errors = layout
    assert coverage.opts.get().kwargs["title"] == "Coverage on held-out larger runs"
    law, calibrated = (coverage.get(index) for index in (1, 2))
    # Overconfident law-only intervals sit below the diagonal; calibrated ones close to it.
    observed = {c.label: c.dimension_values("observed") for c in (law, calibrated)}
    nominal = law.dimension_values("nominal")
    assert np.mean(nominal - observed["law only"]) > 0.2
    assert np.max(np.abs(nominal - observed["calibrated"])) < 0.2
    assert isinstance(pit.get(0), hv.Histogram)
    assert errors.get(0).dimension_values("error").size == 60


def test_default_calibration_draws_the_default_error_alone():
    (errors,) = plot_calibration(Calibration())
    assert "default" in errors.opts.get().kwargs["title"]
