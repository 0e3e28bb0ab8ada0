"""The per-choice plots: the choices' probability and both routes' accuracy against compute."""

import holoviews as hv

from workbench.plots import plot_accuracy_routes, plot_choice_masses


def labels(overlay: hv.Overlay) -> list[str]:
    return [element.label for element in overlay]


def test_choice_masses_show_laws_and_models(perchoice_comparison):
    overlay = plot_choice_masses(perchoice_comparison)
    assert overlay.opts["title"] == "Probability on the choices"
    assert {"correct choice 90 %", "incorrect choices 90 %"} <= set(labels(overlay))
    points = [element for element in overlay if isinstance(element, hv.Scatter)]
    # Eight fitted and five held-out models for each of the two masses.
    assert sorted(len(element) for element in points) == [5, 5, 8, 8]
    figure = hv.render(overlay, backend="bokeh")
    assert figure.xaxis[0].axis_label == "C (FLOPs)"


def test_accuracy_routes_show_both_bands_at_the_chosen_level(perchoice_comparison):
    overlay = plot_accuracy_routes(perchoice_comparison, ci_prob=0.8)
    assert {"per-choice laws 80 %", "direct accuracy law 80 %", "observed, held out"} <= set(
        labels(overlay)
    )
    bands = {element.label: element for element in overlay if isinstance(element, hv.Area)}
    per_choice, direct = bands["per-choice laws 80 %"], bands["direct accuracy law 80 %"]
    # At the largest compute the direct law's band lies above the per-choice one.
    assert direct.data.iloc[-1, 1] > per_choice.data.iloc[-1, 2]
    hv.render(overlay, backend="bokeh")
