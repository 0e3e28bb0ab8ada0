"""Backtest and compute-optimal speed on Epoch AI's Chinchilla data.

Prints one table:
- a 3-law backtest (chinchilla, kaplan_joint, power_law in C) holding out the top 20 % of runs by
  compute: cold (a new process, so every law compiles) and warm (laws compiled, new seeds);
- ``compute_optimal`` over 4000 posterior draws (2 chains × 2000) × 50 budgets, for chinchilla
  (closed form) and kaplan_joint (numeric search), with the law's allocation alone beside it.

Usage:

    .venv/bin/python benchmarks/backtest_speed.py [--data PATH_OR_URL] [--repeats 3]

By default the data come from ``../shared/data/chinchilla_epoch`` when present, else from the
public source through the dataset loader.
"""

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LOCAL_COPY = REPO.parent / "shared" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
LAWS = ("chinchilla", "kaplan_joint", "power_law")
HOLDOUT_TOP_FRAC = 0.2
OPTIMUM_SAMPLER = {"draws": 2000, "tune": 1000, "chains": 2}
BUDGETS = np.geomspace(1e20, 1e26, 50)


def load(url):
    from workbench.runs.datasets import chinchilla_epoch

    return chinchilla_epoch(url=url) if url else chinchilla_epoch()


def backtest_laws():
    from workbench.laws import get_law

    return {
        name: get_law(name, **({"covariate": "C"} if name == "power_law" else {})) for name in LAWS
    }


def time_in_fresh_process(imports: str, url, call: str) -> dict:
    """Seconds of ``call`` on Epoch's runs (as ``runs``) in a new interpreter, and of the whole
    process with its ``imports``: ``{"call": ..., "process": ...}``."""
    code = f"""
import json, time, warnings
start = time.perf_counter()
from benchmarks.backtest_speed import load
{imports}
runs = load({url!r})
imported = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    {call}
done = time.perf_counter()
print(json.dumps({{"call": done - imported, "process": done - start}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def cold_backtest(url) -> dict:
    """The backtest in a fresh interpreter; time the call and the whole process."""
    return time_in_fresh_process(
        "from benchmarks.backtest_speed import backtest_laws\n"
        "from workbench.backtesting import backtest",
        url,
        f"backtest(runs, backtest_laws(), holdout_top_frac={HOLDOUT_TOP_FRAC}, random_seed=0)",
    )


def warm_backtests(runs, repeats: int):
    """Compile every law once, then time backtests with new seeds."""
    from workbench.backtesting import backtest

    backtest(runs, backtest_laws(), holdout_top_frac=HOLDOUT_TOP_FRAC, random_seed=0)
    times, result = [], None
    for repeat in range(repeats):
        start = time.perf_counter()
        result = backtest(
            runs, backtest_laws(), holdout_top_frac=HOLDOUT_TOP_FRAC, random_seed=repeat + 1
        )
        times.append(time.perf_counter() - start)
    return times, result


def optimum_timings(runs, law: str, repeats: int) -> dict:
    """Median seconds of ``compute_optimal`` and of the law's allocation alone."""
    from workbench.fitting import ScalingLawFit
    from workbench.predict import compute_optimal

    fit = ScalingLawFit(law, sampler=OPTIMUM_SAMPLER).fit(runs, random_seed=0)
    params = fit.draws(fit.law.parameters)
    draws = next(iter(params.values())).shape[0]
    table_times, allocation_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        compute_optimal(fit, BUDGETS)
        table_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        fit.law.optimal_allocation(params, BUDGETS)
        allocation_times.append(time.perf_counter() - start)
    return {
        "draws": draws,
        "table": float(np.median(table_times)),
        "allocation": float(np.median(allocation_times)),
    }


def epoch_arguments(description: str):
    """``--data`` and ``--repeats`` of the Epoch benchmarks, and the data's URL (None: the
    loader's public source)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", help="path or URL of svg_extracted_data.csv")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    url = arguments.data or (LOCAL_COPY.as_uri() if LOCAL_COPY.exists() else None)
    if url and "://" not in url:
        url = Path(url).resolve().as_uri()
    return arguments, url


def main():
    arguments, url = epoch_arguments(__doc__.splitlines()[0])
    warnings.simplefilter("ignore")

    runs = load(url)
    cold = cold_backtest(url)
    warm_times, result = warm_backtests(runs, arguments.repeats)
    optimum = {law: optimum_timings(runs, law, 5) for law in ("chinchilla", "kaplan_joint")}

    print(
        f"Backtest of {', '.join(result.table.index)} on Epoch's {len(runs)} points: "
        f"{result.holdout.describe()}; default sampler (2 chains × 1000 draws)"
    )
    print(f"{'measure':<58s}{'value':>10s}  target")
    rows = [
        ("cold backtest: backtest() in a new process (s)", cold["call"], ""),
        ("cold backtest: whole process incl. imports (s)", cold["process"], ""),
        ("warm backtest: median over new seeds (s)", float(np.median(warm_times)), ""),
        ("warm backtest: slowest (s)", float(np.max(warm_times)), ""),
    ]
    for law, timing in optimum.items():
        label = f"compute_optimal {law}, {timing['draws']} draws × {BUDGETS.size} budgets"
        rows.append((f"{label} (s)", timing["table"], "<= 1.0"))
        rows.append((f"  of which {law} optimal_allocation (s)", timing["allocation"], ""))
    for label, value, target in rows:
        print(f"{label:<58s}{value:>10.3f}  {target}")
    print()
    print(result.table.to_string(float_format="{:.4g}".format))


if __name__ == "__main__":
    main()
