"""Speed of ``law="auto"`` with calibration on Epoch AI's 240 Chinchilla runs.

Prints one table: ``LawEnsemble.fit`` (chinchilla, kaplan_joint and a power law in compute, each
fitted and calibrated by three nested leave-future-out refits, then stacked) cold — in a new
process, so every law compiles — and warm (laws compiled, new seeds), beside the baseline of one
law-only ``chinchilla`` fit, warm, in the same process.

Usage:

    .venv/bin/python -m benchmarks.auto_speed [--data PATH_OR_URL] [--repeats 3]
"""

import time
import warnings

import numpy as np

from benchmarks.backtest_speed import epoch_arguments, load, time_in_fresh_process


def cold_auto(url) -> dict:
    """``LawEnsemble().fit`` in a fresh interpreter; time the call and the whole process."""
    return time_in_fresh_process(
        "from workbench.backtesting import LawEnsemble",
        url,
        "LawEnsemble().fit(runs, random_seed=0)",
    )


def warm_auto(runs, repeats: int):
    """Compile every law once, then time ``LawEnsemble.fit`` and one chinchilla fit per seed."""
    from workbench.backtesting import LawEnsemble
    from workbench.fitting import ScalingLawFit

    ensemble = LawEnsemble().fit(runs, random_seed=0)
    auto_times, single_times = [], []
    for repeat in range(repeats):
        start = time.perf_counter()
        ensemble = LawEnsemble().fit(runs, random_seed=repeat + 1)
        auto_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ScalingLawFit("chinchilla").fit(runs, random_seed=repeat + 1)
        single_times.append(time.perf_counter() - start)
    return auto_times, single_times, ensemble


def main():
    arguments, url = epoch_arguments(__doc__.splitlines()[0])
    warnings.simplefilter("ignore")

    runs = load(url)
    cold = cold_auto(url)
    auto_times, single_times, ensemble = warm_auto(runs, arguments.repeats)
    print(f"law='auto' on Epoch's {len(runs)} points: {ensemble!r}")
    print(f"{'measure':<58s}{'value':>10s}  target")
    rows = [
        ("cold: LawEnsemble.fit in a new process (s)", cold["call"], "<= 30"),
        ("cold: whole process incl. imports (s)", cold["process"], ""),
        ("warm: LawEnsemble.fit, median over new seeds (s)", np.median(auto_times), "<= 10"),
        ("warm: LawEnsemble.fit, slowest (s)", np.max(auto_times), ""),
        ("baseline: one law-only chinchilla fit, warm, median (s)", np.median(single_times), ""),
    ]
    for label, value, target in rows:
        print(f"{label:<58s}{float(value):>10.2f}  {target}")


if __name__ == "__main__":
    main()
