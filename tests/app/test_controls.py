"""JobControls: the run, cancel and progress controls every long job of the dashboard shares."""

import asyncio
import threading
from dataclasses import dataclass, field

import pytest
from polling import wait_until

from workbench.app.controls import JobControls
from workbench.app.jobs import FitQueue, Job
from workbench.fitting import FitCancelled


@dataclass
class StepJob(Job):
    """Reports half done, then waits for ``release`` (or cancel) and returns ``result``."""

    result: str = "done"
    release: threading.Event = field(default_factory=threading.Event)

    def work(self) -> str:
        self._report(0.5)
        while not (self.release.is_set() or self.cancel.is_set()):
            self.release.wait(0.01)
        return self.result


def job(result="done") -> StepJob:
    return StepJob(result=result, queue=FitQueue(1))


def test_running_job_disables_run_shows_progress_and_status_then_restores():
    controls = JobControls(lambda event: None, label="Go")
    running = job("answer")

    async def scenario():
        task = asyncio.ensure_future(controls.run(running, "Working ..."))
        await wait_until(lambda: controls.progress.value == 50, task)
        seen = (
            controls.running,
            controls.run_button.disabled,
            controls.cancel_button.disabled,
            controls.progress.visible,
            controls._status.object,
            controls.job is running,
        )
        running.release.set()
        return seen, await asyncio.wait_for(task, timeout=10)

    seen, result = asyncio.run(scenario())
    assert seen == (True, True, False, True, "Working ...", True)
    assert result == "answer"
    assert not controls.running and not controls.run_button.disabled
    assert controls.cancel_button.disabled and not controls.progress.visible
    assert controls.job is None and controls.run_button.label == "Go"


def test_cancel_stops_the_job_and_says_so():
    controls = JobControls(lambda event: None)
    running = job()

    async def scenario():
        task = asyncio.ensure_future(controls.run(running))
        await wait_until(lambda: running.fraction > 0, task)
        controls.cancel_button.clicks += 1
        assert controls.status == "Cancelling ..."
        await asyncio.wait_for(task, timeout=10)

    with pytest.raises(FitCancelled):
        asyncio.run(scenario())
    assert running.cancel.is_set() and controls.cancelled and not controls.running


def test_several_jobs_in_turn_hold_the_running_state_and_one_cancel_stops_them():
    controls = JobControls(lambda event: None, progress_width=None)
    states = []

    async def scenario():
        with controls.busy():
            for result in ("first", "second"):
                running = job(result)
                running.release.set()
                await controls.run(running)
                states.append(controls.running)
            controls.cancel()
            states.append(controls.cancelled)

    asyncio.run(scenario())
    assert states == [True, True, True]
    assert not controls.running and not controls.progress.visible


def test_a_job_waiting_for_its_place_says_how_many_are_ahead():
    queue = FitQueue(1)
    controls = JobControls(lambda event: None)
    first, second = StepJob(queue=queue), StepJob(queue=queue)
    waiting = []

    async def scenario():
        ahead = asyncio.ensure_future(first.run_async())
        await wait_until(lambda: first.fraction > 0, ahead)
        task = asyncio.ensure_future(controls.run(second, "Working ..."))
        await wait_until(lambda: controls.status.startswith("Waiting"), task)
        waiting.append(controls.status)
        first.release.set()
        await asyncio.wait_for(ahead, timeout=10)
        await wait_until(lambda: second.fraction > 0, task)
        waiting.append(controls.status)
        second.release.set()
        await asyncio.wait_for(task, timeout=10)

    asyncio.run(scenario())
    assert waiting == ["Waiting: 1 job ahead of yours on this server ...", "Working ..."]
