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

from workbench.backtesting import Backtest, LawEnsemble, backtest, calibrate
from workbench.emergence import EmergenceVerdict, PassUntilLogs, emergence_test
from workbench.emergence.model import PassCountFit
from workbench.fitting import FitCancelled, ScalingLawFit
from workbench.fitting.model import is_compiled
from workbench.fitting.structure import Structure
from workbench.runs import RunTable

POLL_SECONDS = 0.2
MAX_FITS_VARIABLE = "WORKBENCH_MAX_FITS"
FIT_TIMEOUT_VARIABLE = "WORKBENCH_FIT_TIMEOUT"
DEFAULT_MAX_FITS = 2
DEFAULT_FIT_TIMEOUT = 600.0


def limit_from_environment(variable: str, default: float) -> float:
    """A positive number from ``$variable`` (set by a ``workbench serve`` option), else
    ``default``."""
    try:
        value = float(os.environ.get(variable, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def check_draws(draws: int, chains: int, max_draws: int) -> None:
    """``ValueError`` naming ``workbench serve --max-draws`` when draws × chains exceed it."""
    if draws * chains > max_draws:
        raise ValueError(
            f"{draws:,} draws × {chains} chains = {draws * chains:,} is above this server's limit "
            f"of {max_draws:,} (workbench serve --max-draws raises it)"
        )


class FitQueue:
    """Server-wide admission of jobs: at most ``limit`` run at once, the others wait in order.

    Sessions share one event loop but tests run jobs from several loops, so a lock guards it.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._running = 0
        self._waiting: list[object] = []

    def admit(self, ticket: object) -> int:
        """0 if ``ticket`` may start now (it then holds a slot until ``release``), else how many
        fits must finish before it starts; the ticket keeps its place in the queue."""
        with self._lock:
            if ticket not in self._waiting:
                self._waiting.append(ticket)
            place = self._waiting.index(ticket)
            # The first ``free`` tickets in line may start, whichever of them asks first: a
            # later ticket that asks before the one ahead of it must neither wait for nothing
            # nor start without taking a slot.
            free = self.limit - self._running
            if place < free:
                self._waiting.pop(place)
                self._running += 1
                return 0
            return place - free + 1

    def leave(self, ticket: object) -> None:
        """Give up the place of a ticket that never started."""
        with self._lock:
            if ticket in self._waiting:
                self._waiting.remove(ticket)

    def release(self) -> None:
        with self._lock:
            self._running -= 1


FIT_QUEUE = FitQueue(int(limit_from_environment(MAX_FITS_VARIABLE, DEFAULT_MAX_FITS)))

# With the fit queue, the only mutable module-level objects of the app besides the library's
# compile cache: threads are shared by all sessions, the jobs they run are not. One thread more
# than the fits allowed, so reading an upload never waits for a fit.
EXECUTOR = ThreadPoolExecutor(max_workers=FIT_QUEUE.limit + 1, thread_name_prefix="workbench-job")


class FitTimedOut(Exception):
    """A job ran longer than the server allows and was cancelled."""


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
    timeout: float = field(
        default_factory=lambda: limit_from_environment(FIT_TIMEOUT_VARIABLE, DEFAULT_FIT_TIMEOUT)
    )
    """Seconds of work after which the job is cancelled (``workbench serve --fit-timeout``)."""
    queue: FitQueue = field(default_factory=lambda: FIT_QUEUE)

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
        self,
        on_progress: Callable[[float], None] | None = None,
        poll: float = POLL_SECONDS,
        on_wait: Callable[[int], None] | None = None,
    ):
        """Wait for a place in ``queue``, calling ``on_wait(fits_ahead)`` meanwhile, then run on
        ``EXECUTOR``, calling ``on_progress(fraction)`` on the event loop; raises ``FitTimedOut``
        after ``timeout`` seconds of work."""
        await self._wait_for_place(on_wait, poll)
        try:
            future = asyncio.wrap_future(EXECUTOR.submit(self.run))
            deadline = time.perf_counter() + self.timeout
            timed_out = False
            while not future.done():
                if on_progress is not None:
                    on_progress(self.fraction)
                if not timed_out and time.perf_counter() > deadline:
                    timed_out = True
                    self.cancel.set()
                await asyncio.wait([future], timeout=poll)
            # The slot is held until the thread ends, so no more fits than allowed ever sample.
        finally:
            self.queue.release()
        if on_progress is not None:
            on_progress(self.fraction)
        if timed_out:
            raise FitTimedOut(
                f"it ran longer than this server's limit of {self.timeout:g} s and was cancelled "
                "(workbench serve --fit-timeout raises it)"
            )
        return future.result()

    async def _wait_for_place(self, on_wait: Callable[[int], None] | None, poll: float) -> None:
        ticket = object()  # a job's dataclass equality would compare its run tables
        try:
            while ahead := self.queue.admit(ticket):
                if self.cancel.is_set():
                    raise FitCancelled("the fit was cancelled while it waited")
                if on_wait is not None:
                    on_wait(ahead)
                await asyncio.sleep(poll)
        finally:
            self.queue.leave(ticket)

    def _report(self, fraction: float) -> None:
        self.fraction = float(fraction)


FIT_SHARE = 0.25
"""Share of a calibrated fit's progress bar taken by the fit itself."""


@dataclass
class FitJob(Job):
    """One fit: a ``ScalingLawFit`` on a run table (``options`` are ``fit`` keywords such as
    ``groups``), or a PassUntil model on its logs."""

    fit: "ScalingLawFit | PassCountFit"
    runs: "RunTable | PassUntilLogs"
    random_seed: int | None = None
    options: dict = field(default_factory=dict)

    @property
    def needs_compiling(self) -> bool:
        """Whether this law and these priors are compiled for the first time in this process."""
        fit = self.fit
        return not is_compiled(fit.law, fit.effective_priors, fit.likelihood_for(Structure()))

    calibrate: bool = True
    """Whether a scaling-law fit also learns its extrapolation error by nested backtests."""

    @property
    def calibrates(self) -> bool:
        return self.calibrate and isinstance(self.fit, ScalingLawFit)

    def work(self) -> "ScalingLawFit | PassCountFit":
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
    """A backtest of several laws (:func:`workbench.backtesting.backtest`); ``options`` are its
    keywords (``holdout_top_frac``, ``sampler``, ...)."""

    runs: RunTable
    laws: dict
    options: dict = field(default_factory=dict)

    def work(self) -> Backtest:
        return backtest(
            self.runs, self.laws, progress=self._report, cancel=self.cancel, **self.options
        )


@dataclass
class EmergenceJob(Job):
    """The emergence test of PassUntil logs (:func:`workbench.emergence.emergence_test`), whose
    three task-law fits report progress and can be cancelled."""

    logs: PassUntilLogs
    sampler: dict = field(default_factory=dict)
    random_seed: int | None = None

    def work(self) -> EmergenceVerdict:
        return emergence_test(
            self.logs,
            sampler=self.sampler,
            random_seed=self.random_seed,
            progress=self._report,
            cancel=self.cancel,
        )
