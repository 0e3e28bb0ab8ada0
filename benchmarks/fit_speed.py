"""Fit speed and sampling efficiency on Epoch AI's Chinchilla data, beside the classic point fit.

Prints one table: a cold fit (new process: compile + sample), warm fits (law compiled, new data),
the minimum bulk ESS over E, A, B, alpha and beta, and the Hoffmann-style Huber/L-BFGS baseline
with its time and estimates. Usage:

    .venv/bin/python benchmarks/fit_speed.py [--data PATH_OR_URL] [--repeats 5]

By default the data come from ``../shared/data/chinchilla_epoch`` when present, else from the
public source through the dataset loader.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LOCAL_COPY = REPO.parent / "shared" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
PARAMETERS = ("E", "A", "B", "alpha", "beta")
SAMPLER = {"draws": 1000, "tune": 1000, "chains": 2, "cores": 2}


def load(url):
    from workbench.runs.datasets import chinchilla_epoch

    return chinchilla_epoch(url=url) if url else chinchilla_epoch()


def cold_fit(url) -> dict:
    """Fit in a fresh interpreter; time the fit call and the whole process."""
    code = f"""
import json, time
start = time.perf_counter()
from benchmarks.fit_speed import load
from workbench.fitting import ScalingLawFit
runs = load({url!r})
imported = time.perf_counter()
ScalingLawFit("chinchilla", sampler={SAMPLER!r}).fit(runs, random_seed=0)
done = time.perf_counter()
print(json.dumps({{"fit": done - imported, "process": done - start}}))
"""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    timings["wall"] = time.perf_counter() - start
    return timings


def warm_fits(runs, repeats: int):
    """Compile once, then time fits on bootstrap resamples (new data, same law)."""
    from workbench.fitting import ScalingLawFit

    ScalingLawFit("chinchilla", sampler=SAMPLER).fit(runs, random_seed=0)
    rng = np.random.default_rng(0)
    times, fits = [], []
    for repeat in range(repeats):
        resample = runs.filter(np.isin(np.arange(len(runs)), rng.choice(len(runs), len(runs))))
        start = time.perf_counter()
        fits.append(ScalingLawFit("chinchilla", sampler=SAMPLER).fit(resample, random_seed=repeat))
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    full = ScalingLawFit("chinchilla", sampler=SAMPLER).fit(runs, random_seed=1)
    times.append(time.perf_counter() - start)
    return times, full


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="path or URL of svg_extracted_data.csv")
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    url = arguments.data or (LOCAL_COPY.as_uri() if LOCAL_COPY.exists() else None)
    if url and "://" not in url:
        url = Path(url).resolve().as_uri()

    from workbench.fitting.point_fit import huber_point_fit
    from workbench.laws import get_law

    runs = load(url)
    cold = cold_fit(url)
    warm_times, fit = warm_fits(runs, arguments.repeats)
    summary = fit.summary(ci_prob=0.9)
    start = time.perf_counter()
    baseline = huber_point_fit(get_law("chinchilla"), runs, delta=1e-3)
    baseline_time = time.perf_counter() - start

    print(f"Chinchilla fit on Epoch's {len(runs)} points; sampler {SAMPLER}")
    print(f"{'measure':<44s}{'value':>12s}  target")
    rows = [
        ("cold fit: fit() in a new process (s)", cold["fit"], "<= 15"),
        ("cold fit: whole process incl. imports (s)", cold["process"], ""),
        ("warm fit: median over resamples (s)", float(np.median(warm_times)), "<= 1.0"),
        ("warm fit: slowest (s)", float(np.max(warm_times)), ""),
        (
            "min bulk ESS over E, A, B, alpha, beta",
            summary.loc[list(PARAMETERS), "ess_bulk"].min(),
            ">= 800",
        ),
        ("divergences", fit.diagnostics().divergences, ""),
        ("baseline Huber + L-BFGS grid fit (s)", baseline_time, ""),
    ]
    for label, value, target in rows:
        print(f"{label:<44s}{value:>12.3f}  {target}")
    print()
    print(f"{'param':<8s}{'Bayes median':>14s}{'90% interval':>26s}{'Huber point':>14s}")
    for name in PARAMETERS:
        row = summary.loc[name]
        interval = f"[{row['ci_low_90']:.4g}, {row['ci_high_90']:.4g}]"
        print(f"{name:<8s}{row['median']:>14.4g}{interval:>26s}{baseline[name]:>14.4g}")


if __name__ == "__main__":
    main()
