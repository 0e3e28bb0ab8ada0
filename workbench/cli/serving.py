"""``workbench serve``: the dashboard, through ``panel serve``."""

import os
import sys
from pathlib import Path

from workbench.cli.arguments import UsageError, whole_number

APP_SCRIPT = Path(__file__).parent.parent / "app" / "main.py"
APP_SETUP = Path(__file__).parent.parent / "app" / "warmup.py"
SERVE_LIMITS = {
    "max_upload_mb": "WORKBENCH_MAX_UPLOAD_MB",
    "max_rows": "WORKBENCH_MAX_ROWS",
    "max_draws": "WORKBENCH_MAX_DRAWS",
    "fit_timeout": "WORKBENCH_FIT_TIMEOUT",
    "max_fits": "WORKBENCH_MAX_FITS",
}
"""``workbench serve`` options and the environment variables that carry them to the app, which
``panel serve`` runs in this process after ``exec``."""


def register(commands) -> None:
    serve = commands.add_parser("serve", help="serve the dashboard")
    serve.add_argument(
        "--port", type=whole_number(0, 65535), default=5006, help="0 picks a free port"
    )
    serve.add_argument("--address", default="127.0.0.1")
    serve.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="extra origins allowed to connect (the serving address is always allowed)",
    )
    serve.add_argument(
        "--max-upload-mb", type=float, default=50.0, help="largest run file a user may upload"
    )
    serve.add_argument(
        "--max-rows",
        type=whole_number(1),
        default=200_000,
        help="most rows of an uploaded table (default: %(default)s)",
    )
    serve.add_argument(
        "--max-draws",
        type=whole_number(1),
        default=40_000,
        help="most draws × chains of one fit (default: %(default)s)",
    )
    serve.add_argument(
        "--fit-timeout",
        type=whole_number(1),
        default=600,
        metavar="SECONDS",
        help="a fit running longer is cancelled (default: %(default)s)",
    )
    serve.add_argument(
        "--max-fits",
        type=whole_number(1),
        default=2,
        help="fits running at once on the server; later ones wait in a queue "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--prefix",
        default="",
        metavar="PATH",
        help="URL path the dashboard is served under, e.g. /user/me/dashboard behind "
        "jupyter-server-proxy",
    )
    serve.set_defaults(handler=serve_dashboard)


def serve_dashboard(arguments) -> int:
    command = serve_command(arguments)
    os.environ.update(
        {variable: str(getattr(arguments, option)) for option, variable in SERVE_LIMITS.items()}
    )
    prefix = url_prefix(arguments.prefix)
    print(f"Scaling Workbench: http://{arguments.address}:{arguments.port}{prefix}/", flush=True)
    # Replace this process, so stopping it stops the server.
    os.execv(sys.executable, command)


def serve_command(arguments) -> list[str]:
    """The ``panel serve`` command line that ``workbench serve`` replaces itself with."""
    if arguments.max_upload_mb <= 0:
        raise UsageError("--max-upload-mb must be positive")
    origins = [
        f"{arguments.address}:{arguments.port}",
        f"localhost:{arguments.port}",
        *arguments.allow_websocket_origin,
    ]
    # Websocket messages carry uploads (base64, a third larger) plus protocol overhead.
    message_bytes = int(arguments.max_upload_mb * 1.5 * 2**20) + 2**20
    command = [
        sys.executable,
        "-m",
        "panel",
        "serve",
        str(APP_SCRIPT),
        "--address",
        arguments.address,
        "--port",
        str(arguments.port),
        "--liveness",
        "--websocket-max-message-size",
        str(message_bytes),
        "--setup",
        str(APP_SETUP),
    ]
    if url_prefix(arguments.prefix):
        command += ["--prefix", url_prefix(arguments.prefix)]
    for origin in origins:
        command += ["--allow-websocket-origin", origin]
    return command


def url_prefix(path: str) -> str:
    """``/a/b`` for ``a/b/``, ``/a/b`` or ``/a/b/``; empty for the root."""
    parts = path.strip("/")
    return f"/{parts}" if parts else ""
