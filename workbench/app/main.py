"""The served app: ``panel serve workbench/app/main.py`` (what ``workbench serve`` runs).

Panel runs this script once per browser session, so everything built here belongs to that
session. The upload limit comes from ``$WORKBENCH_MAX_UPLOAD_MB`` (default 50).
"""

import panel as pn

from workbench.app.dashboard import Workbench
from workbench.runs import demo

pn.extension("tabulator", "katex")

Workbench(runs=demo().final_checkpoints(), fit_on_start=True).servable(title="Scaling Workbench")
