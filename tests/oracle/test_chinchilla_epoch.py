"""Real-data oracle: Chinchilla on Epoch AI's extraction of Hoffmann et al.'s runs.

Reference numbers from ``../shared/data/chinchilla_epoch/README.md`` (Besiroglu et al. 2024).
"""

import pytest

from workbench.fitting import ScalingLawFit
from workbench.runs.datasets import chinchilla_epoch

# Epoch's 95 % bootstrap intervals (notebook cell 26).
EPOCH_CI95 = {
    "A": (285.2, 743.6),
    "B": (1042.4, 5810.3),
    "E": (1.769, 1.871),
    "alpha": (0.317, 0.373),
    "beta": (0.331, 0.415),
}
HOFFMANN_E = 1.69
CHINCHILLA_COMPUTE = 5.88e23


@pytest.fixture(scope="module")
def epoch_fit(shared_data, tmp_path_factory):
    url = (shared_data / "chinchilla_epoch" / "svg_extracted_data.csv").as_uri()
    runs = chinchilla_epoch(url=url, cache_dir=tmp_path_factory.mktemp("cache"))
    assert len(runs) == 240
    return ScalingLawFit("chinchilla").fit(runs, random_seed=2024)


@pytest.mark.parametrize("parameter", sorted(EPOCH_CI95))
def test_posterior_median_inside_epoch_bootstrap_interval(epoch_fit, parameter):
    low, high = EPOCH_CI95[parameter]
    median = epoch_fit.summary().loc[parameter, "median"]
    assert low < median < high, f"{parameter} median {median:.4g} outside ({low}, {high})"


def test_hoffmann_irreducible_loss_is_excluded(epoch_fit):
    interval = epoch_fit.summary(ci_prob=0.99).loc["E"]
    assert not interval["ci_low_99"] <= HOFFMANN_E <= interval["ci_high_99"]


def test_tokens_per_parameter_at_chinchilla_compute(epoch_fit):
    table = epoch_fit.compute_optimal(CHINCHILLA_COMPUTE, ci_prob=0.9)
    ratio = table.query("quantity == 'tokens_per_parameter'").iloc[0]
    assert 10 < ratio["median"] < 35
    assert ratio["ci_low_90"] < ratio["median"] < ratio["ci_high_90"]


def test_epoch_fit_diagnostics_are_healthy(epoch_fit):
    diagnostics = epoch_fit.diagnostics()
    assert diagnostics.rhat_max < 1.01
    assert diagnostics.ess_bulk_min > 400
