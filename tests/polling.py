"""Waiting for a dashboard job from a test, with a bound."""

import asyncio
import time

WAIT_SECONDS = 120


async def wait_until(condition, task: asyncio.Future, timeout: float = WAIT_SECONDS) -> None:
    """Poll ``condition`` while ``task`` runs; fail if the task ends first or time runs out,
    rather than wait forever for a moment that will not come."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert not task.done(), "the job ended before the moment the test waits for"
        assert time.monotonic() < deadline, f"waited {timeout} s for the job"
        await asyncio.sleep(0.05)
