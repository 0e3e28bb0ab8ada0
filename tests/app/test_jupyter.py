"""Components render inline in Jupyter and interoperate with ipywidgets."""

import ipywidgets
import panel as pn

from workbench.app import Workbench
from workbench.app.fit_view import FitView
from workbench.app.state import WorkbenchState
from workbench.runs import demo


def test_workbench_becomes_an_ipywidget():
    widget = pn.ipywidget(Workbench(runs=demo().final_checkpoints()))
    assert isinstance(widget, ipywidgets.DOMWidget)


def test_an_ipywidget_drives_a_panel_component():
    state = WorkbenchState(runs=demo().final_checkpoints())
    view = FitView(state=state)
    slider = ipywidgets.IntSlider(value=500, min=100, max=2000)
    slider.observe(lambda change: setattr(view, "draws", change["new"]), names="value")
    slider.value = 1500
    assert view.draws == 1500
    assert isinstance(pn.ipywidget(view), ipywidgets.DOMWidget)
