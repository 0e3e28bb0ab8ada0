"""A Panel component as an ipywidget whose views open on the component as it is now.

``pn.ipywidget`` returns jupyter_bokeh's ``BokehModel``. That widget keeps the Bokeh document
in each browser view, not in its model: a view builds the document from ``render_bundle``, made
once when the widget was, then applies the patches the kernel sends while it is open. A patch
sent while no view is open is lost. So a view that opens after the component changed (Run All
runs the next cells before JupyterLab has drawn the widget; or the widget is shown again later)
draws the component as it was made, then reports the sizes of models the kernel has since
replaced, and jupyter_bokeh answers each report with an ``UnknownReferenceError`` traceback in
JupyterLab's log. ``PanelWidget`` sends a new bundle when a view opens on a changed component,
and drops reports about replaced models, as Bokeh's own ``Document.apply_json_patch`` does.

jupyter_bokeh comes with the ``jupyter`` extra, so ``workbench.app`` imports this module only
when a widget is made.
"""

from typing import Any

import panel as pn
from bokeh.core.serialization import UnknownReferenceError
from bokeh.document import Document
from jupyter_bokeh.widgets import BokehModel
from traitlets import observe

from workbench.app.offline import inline_stylesheets


class PanelWidget(BokehModel):
    """``pn.ipywidget(component, **options)`` with Panel's stylesheets inline, whose new views
    show the component's current state.

    As with ``pn.ipywidget``, the browser counts the widget's views: when the last one closes
    (its output cleared), the component stops updating the widget's models, and a view opened
    after that gets a freshly made root.
    """

    def __init__(self, component, **options: Any) -> None:
        self._component = pn.panel(component, **options)
        self._bundle_current = False
        self._root_live = True
        super().__init__(self._new_root(), combine_events=True)
        self._view_count = 0  # not None: the browser reports its views

    def _new_root(self):
        model = self._component.get_root(Document())
        inline_stylesheets(model)
        return model

    def update_from_model(self, model) -> None:
        super().update_from_model(model)
        self._bundle_current = True

    def _document_patched(self, event) -> None:
        self._bundle_current = False  # a view opened from now on would miss this change
        super()._document_patched(event)

    @observe("_view_count")
    def _views_changed(self, change) -> None:
        old, new = change["old"] or 0, change["new"] or 0
        if old > 0 and new == 0:
            self._component._cleanup(self._model)
            self._root_live = False
        elif new > old and not self._root_live:
            self._document.remove_on_change(self)
            self.update_from_model(self._new_root())
            self._root_live = True
        elif new > old and not self._bundle_current:
            inline_stylesheets(self._model)  # models added since may link to the CDN again
            self.update_from_model(self._model)

    def _sync_model(self, _model, content: dict[str, Any], _buffers: list[Any]) -> None:
        try:
            super()._sync_model(_model, content, _buffers)
        except UnknownReferenceError as error:
            # A view reporting on a model the kernel replaced since: the view has been, or is
            # about to be, sent the change. A model the document never held is a real error.
            if not self._document.models.seen(error.id):
                raise
