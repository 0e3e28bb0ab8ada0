"""The dashboard renders inline in Jupyter, as an ipywidget."""

import json

import ipywidgets
import panel as pn
import pytest
from bokeh.core.serialization import UnknownReferenceError
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


def opened_view(widget) -> None:
    """What the browser reports when JupyterLab draws a view of the widget."""
    widget._view_count = (widget._view_count or 0) + 1


def test_a_view_opened_after_a_change_shows_the_change():
    """JupyterLab may draw a widget after later cells changed its component (Run All), or
    draw it again later; jupyter_bokeh's views build the component from the bundle the widget
    was made with and lose the patches sent before they opened (issue 14 §7)."""
    content = pn.Column(pn.pane.Markdown("before the change"))
    widget = ipywidget(content)
    content[:] = [pn.pane.Markdown("after the change")]
    opened_view(widget)
    sent = json.dumps(widget.render_bundle, default=str)
    assert "after the change" in sent
    assert "before the change" not in sent
    assert CDN_DIST not in sent


def test_an_unchanged_widget_is_not_sent_again():
    widget = ipywidget(pn.Column(pn.pane.Markdown("text")))
    bundle = widget.render_bundle
    opened_view(widget)
    assert widget.render_bundle is bundle


def report(widget, model_id: str) -> None:
    """A view's report of a model's size, as BokehJS sends it after laying the model out."""
    message = {"kind": "ModelChanged", "model": {"id": model_id}, "attr": "width", "new": 866}
    widget._sync_model(widget, {**message, "event": "jsevent"}, [])


def test_reports_on_replaced_models_are_dropped():
    """A view drawn from an old bundle reports on models the kernel has replaced since:
    dropped, as Bokeh's ``Document.apply_json_patch`` drops them, not raised as
    ``UnknownReferenceError`` tracebacks in JupyterLab's log."""
    old = pn.pane.Markdown("before the change")
    content = pn.Column(old)
    widget = ipywidget(content)
    (old_model,) = [
        model for model in widget._model.references() if "before" in str(getattr(model, "text", ""))
    ]
    content[:] = [pn.pane.Markdown("after the change")]
    report(widget, old_model.id)
    with pytest.raises(UnknownReferenceError):
        report(widget, "never-in-the-document")
