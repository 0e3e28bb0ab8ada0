"""The dashboard inside JupyterLab and on Binder, through ``jupyter-server-proxy``.

``pyproject.toml`` registers :func:`dashboard_server` under the ``jupyter_serverproxy_servers``
entry point as ``dashboard``. Wherever the package and jupyter-server-proxy are installed (the
``jupyter`` extra, and the Binder image), JupyterLab's launcher gets a "Scaling Workbench" tile and
``<base_url>dashboard/`` serves the dashboard: the first request starts ``workbench serve`` on a
free local port, and the proxy forwards to it behind Jupyter's login.

The Jupyter server imports this module at start-up, so it imports nothing heavy.
"""

import sys

NAME = "dashboard"
"""The entry point's name in ``pyproject.toml``, which is also the URL path under Jupyter."""

START_SECONDS = 120
"""How long the proxy waits for the server: ``--setup`` imports PyMC before it listens, and
Binder machines are slow."""


def dashboard_server() -> dict:
    """Settings of the ``dashboard`` server for jupyter-server-proxy.

    The proxy substitutes ``{port}`` and ``{base_url}``. It forwards the full path
    (``absolute_url``), and Panel serves under that same prefix, so the page's links and its
    websocket URL point back through the proxy.

    Jupyter checks the browser's origin before it proxies a websocket; the proxy then presents the
    local address as the origin, which ``workbench serve`` allows by default. So the dashboard
    needs no ``--allow-websocket-origin '*'``, which would let any web page the user visits open
    a session on the local port.
    """
    return {
        "command": [
            sys.executable,
            "-m",
            "workbench.cli",
            "serve",
            "--port",
            "{port}",
            "--prefix",
            "{base_url}" + NAME,
        ],
        "absolute_url": True,
        "request_headers_override": {"Origin": "http://localhost:{port}"},
        "timeout": START_SECONDS,
        "launcher_entry": {"title": "Scaling Workbench"},
    }
