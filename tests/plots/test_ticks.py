"""Axis tick labels: linear axes in the dashboard and notebooks (Bokeh) and log axes in exported
PNGs (Matplotlib) write numbers as a reader would."""

import json
import shutil
import subprocess

import holoviews as hv
import numpy as np
import pytest
from bokeh.document import Document
from bokeh.models import LogTickFormatter

import workbench.plots
from workbench.app.export_view import for_matplotlib, plain_log_ticks
from workbench.plots.style import READABLE_TICKS, readable_axes

# (tick, the axis's ticks, label)
LABELS = [
    (2.99999999999e11, [0.0, 1e11, 2e11, 2.99999999999e11], "3e+11"),
    (0.0, [0.0, 1e11, 2e11], "0"),
    (0.25, [0.0, 0.25, 0.5], "0.25"),
    (1100.0, [1000.0, 1100.0, 1200.0], "1100"),
    (1.5e-4, [1e-4, 1.5e-4, 2e-4], "1.5e-4"),
    (3e-5, [1e-5, 2e-5, 3e-5], "3e-5"),
    (-2.5, [-5.0, -2.5, 0.0], "-2.5"),
    (1.002e11, [1e11, 1.001e11, 1.002e11], "1.002e+11"),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the formatter")
def test_linear_ticks_carry_the_digits_their_spacing_needs():
    script = f"""
    const format = (tick, ticks) => {{ {READABLE_TICKS.code} }};
    const cases = {json.dumps([[tick, ticks] for tick, ticks, _ in LABELS])};
    console.log(JSON.stringify(cases.map(([tick, ticks]) => format(tick, ticks))));
    """
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [label for _, _, label in LABELS]


def test_every_plot_function_labels_linear_axes_readably_and_keeps_log_axes():
    for name in workbench.plots.__all__:
        assert hasattr(getattr(workbench.plots, name), "__wrapped__"), name

    @readable_axes
    def plot():
        return hv.Curve(([1e20, 1e21], [3e11, 3e11 + 1])).opts(logx=True) * hv.Scatter(
            ([1e20], [3e11])
        )

    figure = hv.render(plot(), backend="bokeh")
    assert isinstance(figure.xaxis[0].formatter, LogTickFormatter)
    assert figure.yaxis[0].formatter.code == READABLE_TICKS.code


def test_readable_plots_go_to_one_document_each():
    """Each served session, notebook output and exported page is a Bokeh document, and a Bokeh
    model belongs to one document: a formatter shared by every plot failed the second export."""

    @readable_axes
    def plot():
        return hv.Curve([1.0, 2.0, 3.0])

    for _ in range(2):
        Document().add_root(hv.render(plot(), backend="bokeh"))


def test_exported_png_log_axes_write_plain_numbers_within_a_decade():
    curve = hv.Curve((np.geomspace(1e20, 1e22, 20), np.linspace(2.6, 3.4, 20)))
    figure = hv.render(for_matplotlib(curve.opts(logx=True, logy=True)), backend="matplotlib")
    plain_log_ticks(figure)
    figure.canvas.draw()
    (axes,) = figure.axes
    y_labels = [text.get_text() for text in axes.get_yticklabels(which="both")]
    assert "2.8" in y_labels and not any("times" in label for label in y_labels)
    # Beyond 1e4 powers of ten stay as Matplotlib writes them.
    x_labels = [text.get_text() for text in axes.get_xticklabels(which="both") if text.get_text()]
    assert x_labels and all("10^" in label for label in x_labels)
