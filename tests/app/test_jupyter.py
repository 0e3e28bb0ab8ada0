"""The dashboard renders inline in Jupyter, as an ipywidget."""

import json

import ipywidgets
import panel as pn
from panel.io.resources import CDN_DIST

from workbench.app import Workbench, ipywidget
from workbench.runs import demo


def test_workbench_becomes_an_ipywidget():
    widget = pn.ipywidget(Workbench(runs=demo().final_checkpoints()))
    assert isinstance(widget, ipywidgets.DOMWidget)


def test_tables_as_ipywidgets_carry_their_stylesheets():
    """``pn.ipywidget`` links stylesheets to Panel's CDN, and offline in JupyterLab the tables
    fall apart; ``workbench.app.ipywidget`` sends their text with the widget."""
    table = pn.Column(pn.widgets.Tabulator(demo().final_checkpoints().data))
    sent = json.dumps(ipywidget(table).render_bundle, default=str)
    assert CDN_DIST not in sent
    assert ".tabulator-tableholder" in sent  # Tabulator's theme, inline
