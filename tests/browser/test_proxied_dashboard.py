"""The dashboard through jupyter-server-proxy, as on Binder.

A Jupyter server with a Binder-style base URL starts ``workbench serve`` when ``dashboard/`` is
first opened; the page, its static files and its websocket all go through the proxy.
"""

import json
import re
import urllib.request

from playwright.sync_api import Page, expect

from workbench.jupyter_proxy import NAME

START_MILLISECONDS = 180_000  # the proxy starts the server, then the page fits on load


def test_the_launcher_lists_the_dashboard(jupyter):
    with urllib.request.urlopen(f"{jupyter}server-proxy/servers-info", timeout=30) as response:
        servers = {server["name"]: server for server in json.load(response)["server_processes"]}
    assert servers[NAME]["launcher_entry"]["title"] == "Scaling Workbench"


def test_the_dashboard_works_through_the_proxy(jupyter, page: Page, artifacts):
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.goto(f"{jupyter}{NAME}/", timeout=START_MILLISECONDS)
    expect(page).to_have_url(re.compile(rf"{re.escape(jupyter)}{NAME}/main$"))
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=START_MILLISECONDS)
    # The fit on load runs in the server and reports over the proxied websocket.
    page.get_by_text("Fit", exact=True).first.click()
    expect(page.get_by_text("Fit finished: chinchilla on 40 runs")).to_be_visible(
        timeout=START_MILLISECONDS
    )
    page.screenshot(path=artifacts / "jupyter_proxy.png")
    # A failed script, style or data request would mean a path that ignores the prefix. The
    # browser asks for a favicon on its own, which Panel does not serve under a prefix.
    broken = [url for url in failed if not url.endswith("/favicon.ico")]
    assert not broken, broken
