"""Panel dashboard: ``Viewer`` components sharing one ``WorkbenchState`` per session.

``Workbench`` assembles the views as tabs; ``main.py`` is the script ``workbench serve`` runs.
This is the only package that imports Panel.
"""

from workbench.app.checks_view import ChecksView
from workbench.app.compare_view import CompareView
from workbench.app.dashboard import VIEWS, Workbench
from workbench.app.data_view import DataView
from workbench.app.export_view import ExportView
from workbench.app.extrapolate_view import ExtrapolateView
from workbench.app.fit_view import FitView
from workbench.app.offline import ipywidget
from workbench.app.plan_view import PlanView
from workbench.app.state import WorkbenchState

__all__ = [
    "VIEWS",
    "ChecksView",
    "CompareView",
    "DataView",
    "ExportView",
    "ExtrapolateView",
    "FitView",
    "PlanView",
    "Workbench",
    "WorkbenchState",
    "ipywidget",
]
