"""Run once when the server starts: compile the default law in the background.

The first visitor's fit then takes about a second instead of waiting for compilation. Also,
``kill -USR1 <server pid>`` prints every thread's stack to the server's log: the way to see
where a fit that never ends is stuck.
"""

import signal
import sys
import threading
import traceback
import warnings

from workbench.fitting import FitWarning, ScalingLawFit
from workbench.runs import demo


def _compile_default_law() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        ScalingLawFit("chinchilla").fit(demo().final_checkpoints(), random_seed=0)


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


threading.Thread(target=_compile_default_law, name="workbench-warmup", daemon=True).start()
signal.signal(
    signal.SIGUSR1, lambda signum, frame: print(thread_stacks(), file=sys.stderr, flush=True)
)
