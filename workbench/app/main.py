"""The served app: ``panel serve workbench/app/main.py`` (what ``workbench serve`` runs).

Panel runs this script once per browser session, so everything built here belongs to that
session. The served limits (upload size and rows, draws, fit timeout, fits at once) come from
``$WORKBENCH_*`` variables set by the ``workbench serve`` options
(``workbench.cli.serving.SERVE_LIMITS``).
"""

import panel as pn

from workbench.app.dashboard import Workbench

pn.extension("tabulator", "katex")

workbench = Workbench(fit_on_start=True)
# Bound now: Bokeh may clear this script's globals before the callback runs.
pn.state.on_session_destroyed(lambda session_context, session=workbench: session.close())
workbench.servable(title="Scaling Workbench")
