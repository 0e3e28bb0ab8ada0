"""A Panel component as an ipywidget in JupyterLab, drawn after a later cell changed it.

Run All runs the next cells before JupyterLab draws a widget, and a widget may be shown again
later. jupyter_bokeh's views build the component from the bundle the widget was made with, so
they drew it as it was, and reported on models the kernel had replaced: ``UnknownReferenceError``
tracebacks in Lab's log (issue 14 §7, notebook 05). Here the widget is shown only after the
change, so the old bundle is certain to be stale.
"""

import json
import urllib.request

import nbformat
from playwright.sync_api import Page, expect

LAB_MILLISECONDS = 60_000

CELLS = [
    """import ipywidgets as widgets
import panel as pn
from bokeh.plotting import figure

from workbench.app import ipywidget

pn.extension()
reported = widgets.Label("no width reported yet")


def plot(title):
    shown = figure(title=title, height=150, sizing_mode="stretch_width")
    shown.line([0, 1], [0, 1])
    note = f"{title}: width reported"
    shown.on_change("inner_width", lambda attr, old, new: setattr(reported, "value", note))
    return pn.pane.Bokeh(shown, sizing_mode="stretch_width")


content = pn.Column(pn.pane.Markdown("Made before the change"), plot("old plot"))
widget = ipywidget(content)""",
    'content[:] = [pn.pane.Markdown("Made after the change"), plot("new plot")]',
    "widgets.VBox([reported, widget])",
]


def test_a_widget_drawn_after_a_change_shows_it_and_logs_no_error(lab, page: Page, artifacts):
    url, root, token = lab
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "widget.ipynb")

    # A session started beforehand: with none, Lab may ask for a kernel in a dialog, at a
    # moment of its own choosing, over the menus.
    start_session(url, token, "widget.ipynb")
    page.goto(f"{url}lab/tree/widget.ipynb?token={token}", timeout=LAB_MILLISECONDS)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=LAB_MILLISECONDS)
    # The first cell loads BokehJS, which jupyter_bokeh's views need when they are made.
    with page.expect_console_message(
        lambda message: "all callbacks have finished" in message.text, timeout=LAB_MILLISECONDS
    ):
        menu(page, "Run", "Run Selected Cell")
    # The change and the display of the widget, back to back, as Run All runs them.
    menu(page, "Run", "Run Selected Cell and All Below")

    outputs = page.locator(".jp-OutputArea")
    expect(outputs.get_by_text("Made after the change")).to_be_visible(timeout=LAB_MILLISECONDS)
    # The kernel handles the view's messages in order: once it has the new plot's width, it
    # has handled every report the view sent before.
    expect(outputs.get_by_text("new plot: width reported")).to_be_visible(timeout=LAB_MILLISECONDS)
    expect(outputs.get_by_text("Made before the change")).to_have_count(0)
    page.screenshot(path=artifacts / "jupyterlab_widget.png")

    menu(page, "View", "Show Log Console")
    log = page.locator(".jp-LogConsolePanel")
    expect(log).to_contain_text("No log messages", timeout=LAB_MILLISECONDS)


def menu(page: Page, name: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel").get_by_text(name, exact=True).click()
    page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def start_session(url: str, token: str, path: str) -> None:
    session = {"path": path, "name": path, "type": "notebook", "kernel": {"name": "python3"}}
    request = urllib.request.Request(
        f"{url}api/sessions",
        data=json.dumps(session).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
