"""Dashboard parts that work offline: as ipywidgets in JupyterLab, and as saved HTML pages.

Panel links its stylesheets (Tabulator's theme, its widget styles) to its CDN. Its own notebook
output points them at the Jupyter server instead, but ``pn.ipywidget`` and ``pn.save`` (also
with ``resources="inline"``, which inlines only the scripts) keep the links, so offline the
pages lose their layout. Here their text is read from the installed Panel instead.
"""

import io
import re

import panel as pn
from bokeh.document import Document
from bokeh.models import ImportedStyleSheet, InlineStyleSheet
from panel.io.resources import CDN_DIST, DIST_DIR, set_resource_mode

CDN_ICON = re.compile(
    rf'<link rel="(?:apple-touch-)?icon"[^>]*href="{re.escape(CDN_DIST)}[^>]*>\n?'
)


def ipywidget(component, **options):
    """``pn.ipywidget(component, **options)`` with Panel's stylesheets inline, whose views show
    the component as it is when they open (see ``workbench.app.jupyter_widget``)."""
    from workbench.app.jupyter_widget import PanelWidget  # needs the jupyter extra

    return PanelWidget(component, **options)


def standalone_html(component, title: str) -> str:
    """A page showing ``component`` with every script and stylesheet inline."""
    document = Document()
    with set_resource_mode("inline"):
        model = pn.panel(component).get_root(document)
    document.add_root(model)
    inline_stylesheets(model)
    page = io.StringIO()
    pn.io.save.save(document, page, title=title, resources="inline")
    # Panel's page template links its icons on the CDN; offline the browser asks for them in vain.
    return CDN_ICON.sub("", page.getvalue())


def inline_stylesheets(model) -> None:
    """Replace each stylesheet in ``model``'s tree that links to Panel's CDN by its text."""
    for part in model.references():
        sheets = getattr(part, "stylesheets", None)
        if sheets and any(linked_to_cdn(sheet) for sheet in sheets):
            part.stylesheets = [
                InlineStyleSheet(css=cdn_text(sheet.url)) if linked_to_cdn(sheet) else sheet
                for sheet in sheets
            ]


def linked_to_cdn(sheet) -> bool:
    return isinstance(sheet, ImportedStyleSheet) and sheet.url.startswith(CDN_DIST)


def cdn_text(url: str) -> str:
    """The text of a file on Panel's CDN, from the installed copy of its dist folder."""
    path = url.removeprefix(CDN_DIST).split("?")[0]
    return (DIST_DIR / path).read_text(encoding="utf-8")
