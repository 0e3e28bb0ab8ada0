"""The dashboard renders inline in Jupyter, as an ipywidget."""

import ipywidgets
import panel as pn

from workbench.app import Workbench
from workbench.runs import demo


def test_workbench_becomes_an_ipywidget():
    widget = pn.ipywidget(Workbench(runs=demo().final_checkpoints()))
    assert isinstance(widget, ipywidgets.DOMWidget)
