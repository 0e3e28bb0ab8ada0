"""The jupyter-server-proxy entry point: registered, valid, and serving the app under its path.

``tests/browser/test_jupyter_proxy.py`` opens the dashboard through a real Jupyter server.
"""

import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from urllib.parse import urlparse

from jupyter_server_proxy.config import ServerProcess
from project_files import REPO

from workbench.cli import build_parser
from workbench.cli.serving import APP_SCRIPT, serve_command
from workbench.jupyter_proxy import NAME, dashboard_server

ENTRY_POINT = "workbench.jupyter_proxy:dashboard_server"
TEMPLATE = {"port": 5123, "base_url": "/user/reader/", "unix_socket": ""}


def rendered_command() -> list[str]:
    """The command as jupyter-server-proxy runs it, templates filled in."""
    return [part.format(**TEMPLATE) for part in dashboard_server()["command"]]


def test_pyproject_registers_the_dashboard():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["jupyter_serverproxy_servers"] == {NAME: ENTRY_POINT}


def test_the_installed_package_exposes_the_entry_point():
    (entry,) = [e for e in entry_points(group="jupyter_serverproxy_servers") if e.name == NAME]
    assert entry.load() is dashboard_server


def test_jupyter_server_proxy_accepts_the_settings():
    process = ServerProcess(name=NAME, **dashboard_server())
    assert process.absolute_url
    assert process.launcher_entry.title == "Scaling Workbench"
    assert process.launcher_entry.path_info == f"{NAME}/"


def test_the_command_is_workbench_serve_under_the_proxy_path():
    command = rendered_command()
    assert command[:3] == [sys.executable, "-m", "workbench.cli"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["workbench"] == "workbench.cli:main"
    panel = serve_command(build_parser().parse_args(command[3:]))
    assert APP_SCRIPT.is_file() and str(APP_SCRIPT) in panel
    assert panel[panel.index("--port") + 1] == str(TEMPLATE["port"])
    # absolute_url: the proxy forwards the full path, so Panel must serve under all of it.
    assert panel[panel.index("--prefix") + 1] == f"{TEMPLATE['base_url']}{NAME}"


def test_the_proxied_origin_is_allowed_without_a_wildcard():
    origin = dashboard_server()["request_headers_override"]["Origin"].format(**TEMPLATE)
    panel = serve_command(build_parser().parse_args(rendered_command()[3:]))
    allowed = [panel[i + 1] for i, part in enumerate(panel) if part == "--allow-websocket-origin"]
    assert urlparse(origin).netloc in allowed
    assert "*" not in allowed


def test_importing_it_loads_neither_pymc_nor_panel():
    # The Jupyter server imports the entry point at start-up.
    heavy = "{'pymc', 'panel'}"
    probe = f"import sys, workbench.jupyter_proxy; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
