"""``plot_hyperparameter_law``: located optima and posterior bands of the Step Law fit."""

import holoviews as hv
import numpy as np
import pytest
from bokeh.models import LogScale

from workbench.hyperparameters import StepLawFit, simulate_sweeps
from workbench.plots import plot_hyperparameter_law

hv.extension("bokeh")

# The same design as tests/hyperparameters, so one compiled model serves both.
SETTINGS = [(N, N * ratio) for N in (1e8, 2.5e8, 5e8, 1e9) for ratio in (20, 60, 200)]


@pytest.fixture(scope="module")
def fit():
    return StepLawFit().fit(simulate_sweeps(SETTINGS, random_seed=1), random_seed=1)


def of_type(overlay, kind):
    return [element for element in overlay if type(element) is kind]


def test_batch_size_law_has_one_band_and_the_optima(fit):
    overlay = plot_hyperparameter_law(fit, "batch_size", ci_prob=0.9, inner_prob=0.5)
    assert isinstance(overlay, hv.Overlay)
    assert len(of_type(overlay, hv.Area)) == 2
    (curve,) = of_type(overlay, hv.Curve)
    (scatter,) = of_type(overlay, hv.Scatter)
    (bars,) = of_type(overlay, hv.ErrorBars)
    optima = fit.optima(ci_prob=0.9)
    np.testing.assert_allclose(scatter.dimension_values("D"), optima["D"])
    np.testing.assert_allclose(scatter.dimension_values("batch_size"), optima["batch_size"])
    np.testing.assert_allclose(
        bars.dimension_values("above"), optima["batch_size_ci_high_90"] - optima["batch_size"]
    )
    # The band is the law's median across (and a little beyond) the settings' D.
    assert curve.dimension_values("D").min() < optima["D"].min()
    assert curve.dimension_values("D").max() > optima["D"].max()
    assert overlay.get_dimension("D").unit == "tokens"


def test_learning_rate_law_has_a_band_per_model_size(fit):
    overlay = plot_hyperparameter_law(fit)
    sizes = sorted({N for N, _ in SETTINGS})
    assert len(of_type(overlay, hv.Curve)) == len(sizes)
    assert len(of_type(overlay, hv.Area)) == 2 * len(sizes)
    assert [element.label for element in of_type(overlay, hv.Scatter)] == [
        f"N={N:.3g}" for N in sizes
    ]
    against_n = plot_hyperparameter_law(fit, x="N", ci_prob=0.9)
    assert len(of_type(against_n, hv.Curve)) == len({D for _, D in SETTINGS})


def test_axes_are_logarithmic(fit):
    figure = hv.render(plot_hyperparameter_law(fit), backend="bokeh")
    assert isinstance(figure.x_scale, LogScale)
    assert isinstance(figure.y_scale, LogScale)


def test_unknown_quantity_or_axis_is_refused(fit):
    with pytest.raises(ValueError, match="batch_size"):
        plot_hyperparameter_law(fit, "momentum")
    with pytest.raises(ValueError, match="x='C'"):
        plot_hyperparameter_law(fit, "batch_size", x="C")
