"""The ipywidgets quick explorer: the slider drives the readout and the plot."""

import numpy as np
import pytest

from workbench.fitting import ScalingLawFit
from workbench.runs import demo
from workbench.widgets import Explorer, explore


@pytest.fixture(scope="module")
def demo_fit():
    return ScalingLawFit("chinchilla").fit(demo().final_checkpoints(), random_seed=0)


def test_slider_updates_readout_with_the_library_prediction(demo_fit):
    explorer = Explorer(demo_fit)
    # The default target, 10x the largest run, lies 1.4 decades out: past the default
    # calibration's reach (1.2 decades), which the readout says instead of warning.
    assert "1.4 decades past the data, beyond the evidence" in explorer.readout.value
    explorer.size.value = 7e10
    explorer.tokens_per_parameter.value = 20.0
    row = (
        demo_fit.predict(N=[7e10], D=[1.4e12], ci_prob=0.9, warn=False)
        .query("kind == 'observation'")
        .iloc[0]
    )
    assert f"{row['median']:.4f}" in explorer.readout.value
    assert f"{row['ci_low_90']:.4f}" in explorer.readout.value
    assert "N = 7e+10" in explorer.readout.value
    assert not row["beyond_evidence"] and "beyond" not in explorer.readout.value
    (marker,) = [
        e for e in explorer.figure if e.label == "targets" and type(e).__name__ == "Scatter"
    ]
    assert marker.dimension_values(1)[0] == pytest.approx(row["median"])


def test_explore_returns_a_widget_box(demo_fit):
    box = explore(demo_fit)
    assert box.children[0].description == "target N"
    np.testing.assert_allclose(
        box.children[0].value, 10 * demo_fit.idata["constant_data"]["N"].values.max()
    )
