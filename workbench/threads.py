"""Where every thread of this process is: for work that seems stuck (``workbench serve`` prints
it on SIGUSR1; the test suite writes it for a notebook that runs far too long)."""

import sys
import threading
import traceback


def thread_stacks() -> str:
    """Every thread's stack, innermost call last: where a job that never ends is waiting.

    Read with the interpreter's lock held, so unlike ``faulthandler`` it cannot crash a process
    whose other threads are compiling or sampling.
    """
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(
        f"Thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame))}"
        for ident, frame in sys._current_frames().items()
    )
