"""What one browser session works on: its runs, its fits and its predictions."""

import param

from workbench.backtesting import LawEnsemble
from workbench.fitting import ScalingLawFit
from workbench.intervals import resolve_ci_prob
from workbench.runs import RunTable


class WorkbenchState(param.Parameterized):
    """State shared by the views of one session; each session builds its own instance."""

    runs = param.ClassSelector(
        class_=RunTable, default=None, allow_None=True, doc="The validated run table in use."
    )
    fit = param.ClassSelector(
        class_=ScalingLawFit,
        default=None,
        allow_None=True,
        doc="The current fit, shown by the checks, extrapolation and export views.",
    )
    ensemble = param.ClassSelector(
        class_=LawEnsemble,
        default=None,
        allow_None=True,
        doc="The stacked laws of a law='auto' fit, whose top-weighted law is ``fit``; None after "
        "a fit of one law. The extrapolation predicts with the whole mixture.",
    )
    fits = param.Dict(
        default={}, doc="Fits for comparison by label, e.g. {'chinchilla': ScalingLawFit}."
    )
    predictions = param.DataFrame(
        default=None,
        allow_None=True,
        doc="The latest predict(targets) table of the fit or ensemble, for the prediction and "
        "export downloads.",
    )
    ci_prob = param.Number(
        default=None,
        bounds=(0.5, 0.99),
        step=0.01,
        doc="The credible level of every interval the views show; the project's level "
        "(workbench.intervals.CI_PROB) unless the session sets its own.",
    )
    error = param.String(default="", doc="The latest error, in plain language; empty when none.")
    stale_runs = param.String(
        default="",
        doc="Which previous runs stay in use because loading new ones failed, in a sentence; "
        "empty once a load succeeds.",
    )
    stale_fit = param.String(
        default="",
        doc="Which previous fit is still shown because a new fit failed, in a sentence; empty "
        "once a fit succeeds.",
    )

    def __init__(self, **params):
        # Read when the session starts, so that the project's level set in one place applies.
        params.setdefault("ci_prob", resolve_ci_prob())
        super().__init__(**params)

    @param.depends("fit", watch=True)
    def _forget_predictions(self):
        # Predictions belong to the fit that made them.
        self.predictions = None
