"""Run once when the server starts: compile the default law in the background.

The first visitor's fit then takes about a second instead of waiting for compilation. Also,
``kill -USR1 <server pid>`` prints every thread's stack to the server's log: the way to see
where a fit that never ends is stuck.
"""

import signal
import sys
import threading
import warnings

from workbench.fitting import FitWarning, ScalingLawFit
from workbench.runs import demo
from workbench.threads import thread_stacks


def _compile_default_law() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        ScalingLawFit("chinchilla").fit(demo().final_checkpoints(), random_seed=0)


threading.Thread(target=_compile_default_law, name="workbench-warmup", daemon=True).start()
signal.signal(
    signal.SIGUSR1, lambda signum, frame: print(thread_stacks(), file=sys.stderr, flush=True)
)
