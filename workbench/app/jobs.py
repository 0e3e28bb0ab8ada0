"""Long work off the server's event loop: one process-wide thread pool and awaitable jobs.

Panel serves every browser session from one asyncio loop. A NUTS fit or a download that ran on
that loop would freeze every open tab, so each runs on ``EXECUTOR`` while the session's coroutine
awaits it and polls its progress.
"""

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from workbench.emergence import PassUntilLogs
from workbench.emergence.model import CountFit
from workbench.fitting import FitCancelled, ScalingLawFit
from workbench.fitting.model import is_compiled
from workbench.fitting.structure import Structure
from workbench.predict import Backtest, LawEnsemble, backtest, calibrate
from workbench.runs import RunTable

POLL_SECONDS = 0.2
WORKERS_ENVIRONMENT_VARIABLE = "WORKBENCH_FIT_WORKERS"

# The only mutable module-level object of the app besides the library's compile cache: threads
# are shared by all sessions, the jobs they run are not.
EXECUTOR = ThreadPoolExecutor(
    max_workers=int(os.environ.get(WORKERS_ENVIRONMENT_VARIABLE, "2")),
    thread_name_prefix="workbench-job",
)


async def run_in_thread(function: Callable, *args, **kwargs):
    """Await ``function(*args, **kwargs)`` run on ``EXECUTOR``."""
    return await asyncio.wrap_future(EXECUTOR.submit(function, *args, **kwargs))


@dataclass(kw_only=True)
class Job:
    """Long work with progress and cancellation, run on ``EXECUTOR``.

    ``fraction`` is written by the worker thread and read by the session's coroutine; a float
    assignment is atomic, so no lock is needed. Subclasses define ``work``.
    """

    cancel: threading.Event = field(default_factory=threading.Event)
    fraction: float = 0.0
    seconds: float = 0.0

    def work(self):
        raise NotImplementedError

    def run(self):
        """Work in the calling thread; raises ``FitCancelled`` if ``cancel`` is set meanwhile."""
        start = time.perf_counter()
        try:
            result = self.work()
        finally:
            self.seconds = time.perf_counter() - start
        # The sampler looks at the event only while it samples, so a cancel during compiling,
        # the last short refits or the stacking can go unnoticed; the user asked for no result.
        if self.cancel.is_set():
            raise FitCancelled("the fit was cancelled")
        return result

    async def run_async(
        self, on_progress: Callable[[float], None] | None = None, poll: float = POLL_SECONDS
    ):
        """Run on ``EXECUTOR``, calling ``on_progress(fraction)`` on the event loop meanwhile."""
        future = asyncio.wrap_future(EXECUTOR.submit(self.run))
        while not future.done():
            if on_progress is not None:
                on_progress(self.fraction)
            await asyncio.wait([future], timeout=poll)
        if on_progress is not None:
            on_progress(self.fraction)
        return future.result()

    def _report(self, fraction: float) -> None:
        self.fraction = float(fraction)


FIT_SHARE = 0.25
"""Share of a calibrated fit's progress bar taken by the fit itself."""


@dataclass
class FitJob(Job):
    """One fit: a ``ScalingLawFit`` on a run table (``options`` are ``fit`` keywords such as
    ``groups``), or a PassUntil model on its logs."""

    fit: "ScalingLawFit | CountFit"
    runs: "RunTable | PassUntilLogs"
    random_seed: int | None = None
    options: dict = field(default_factory=dict)

    @property
    def needs_compiling(self) -> bool:
        """Whether this law and these priors are compiled for the first time in this process."""
        fit = self.fit
        return not is_compiled(fit.law, fit.priors_, fit.likelihood_for(Structure()))

    calibrate: bool = True
    """Whether a scaling-law fit also learns its extrapolation error by nested backtests."""

    @property
    def calibrates(self) -> bool:
        return self.calibrate and isinstance(self.fit, ScalingLawFit)

    def work(self) -> "ScalingLawFit | CountFit":
        # The three nested refits take about three times the fit; progress is split to match.
        share = FIT_SHARE if self.calibrates else 1.0
        fitted = self.fit.fit(
            self.runs,
            random_seed=self.random_seed,
            progress=lambda fraction: self._report(share * fraction),
            cancel=self.cancel,
            **self.options,
        )
        if self.calibrates:
            calibrate(
                fitted,
                self.runs,
                fit_options=self.options,
                random_seed=self.random_seed,
                progress=lambda fraction: self._report(share + (1 - share) * fraction),
                cancel=self.cancel,
            )
        return fitted


@dataclass
class EnsembleJob(Job):
    """``law="auto"``: fit, calibrate and stack every law the runs allow (a ``LawEnsemble``).

    Progress is the fraction of candidate laws whose nested backtests are done.
    """

    ensemble: LawEnsemble
    runs: RunTable
    random_seed: int | None = None

    def work(self) -> LawEnsemble:
        return self.ensemble.fit(
            self.runs, random_seed=self.random_seed, progress=self._report, cancel=self.cancel
        )


@dataclass
class BacktestJob(Job):
    """A backtest of several laws (:func:`workbench.predict.backtest`); ``options`` are its
    keywords (``holdout_top_frac``, ``sampler``, ...)."""

    runs: RunTable
    laws: dict
    options: dict = field(default_factory=dict)

    def work(self) -> Backtest:
        return backtest(
            self.runs, self.laws, progress=self._report, cancel=self.cancel, **self.options
        )
