"""What the PassUntil tab's parts share: the logs, their fit and their emergence test."""

import param

from workbench.emergence import EmergenceVerdict, PassUntilFit, PassUntilLogs


class PassUntilSession(param.Parameterized):
    """The PassUntil logs of one browser session and what was made of them; new logs clear
    the fit and the test, which belong to the old ones."""

    passuntil = param.ClassSelector(
        class_=PassUntilLogs,
        default=None,
        allow_None=True,
        doc="The session's PassUntil logs, uploaded or simulated.",
    )
    fit = param.ClassSelector(
        class_=PassUntilFit,
        default=None,
        allow_None=True,
        doc="The hierarchical PassUntil fit of the logs.",
    )
    verdict = param.ClassSelector(
        class_=EmergenceVerdict,
        default=None,
        allow_None=True,
        doc="The emergence test of the logs.",
    )

    @param.depends("passuntil", watch=True, on_init=False)
    def _forget_results(self):
        self.param.update(fit=None, verdict=None)
