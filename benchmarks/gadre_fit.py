"""Fit time of every law in N, D or C on Gadre et al.'s 104 runs (final C4 eval losses).

Prints one table: per law, the first fit in this process (compile + sample), the median and
maximum of warm fits (law compiled, new seed), and the fit's diagnostics. The three training
sets are pooled into one fit, as a quick look at a new data set would. Usage:

    .venv/bin/python benchmarks/gadre_fit.py [--data PATH_OR_URL] [--repeats 3]

By default the data come from ``../shared/data/gadre_overtraining`` when present, else from the
authors' repository through the dataset loader.
"""

import argparse
import statistics
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCAL_COPY = REPO.parent / "shared" / "data" / "gadre_overtraining"
SIZE_COVARIATES = {"N", "D", "C"}
SKIPPED = {"optimal_hyperparameters": "its target is a hyperparameter, not the loss"}


def load(base_url):
    from workbench.runs.datasets import gadre_overtraining

    return gadre_overtraining(base_url=base_url) if base_url else gadre_overtraining()


def timed_fit(law, runs, seed):
    from workbench.fitting import ScalingLawFit

    start = time.perf_counter()
    with warnings.catch_warnings():
        # Diagnostics are reported in the table instead.
        warnings.simplefilter("ignore")
        fit = ScalingLawFit(law).fit(runs, random_seed=seed)
    return time.perf_counter() - start, fit


def benchmark(name, runs, repeats):
    first, _ = timed_fit(name, runs, seed=0)
    warm = [timed_fit(name, runs, seed=seed) for seed in range(1, repeats + 1)]
    diagnostics = warm[-1][1].diagnostics()
    times = [seconds for seconds, _ in warm]
    return {
        "law": name,
        "first fit (s)": f"{first:.1f}",
        "warm median (s)": f"{statistics.median(times):.2f}",
        "warm max (s)": f"{max(times):.2f}",
        "R-hat max": f"{diagnostics.rhat_max:.3f}",
        "bulk ESS min": f"{diagnostics.ess_bulk_min:.0f}",
        "divergences": str(diagnostics.divergences),
    }


def print_table(rows):
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for row in rows:
        print("| " + " | ".join(row[column] for column in columns) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder or URL holding models/ and evals/")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    base_url = arguments.data or (LOCAL_COPY if LOCAL_COPY.is_dir() else None)

    from workbench.laws import LAWS, get_law

    runs = load(base_url)
    names = [name for name in sorted(LAWS) if set(get_law(name).covariates) <= SIZE_COVARIATES]
    print(f"{len(runs)} runs; nutpie, 2 chains x 1000 draws after 1000 tuning steps\n")
    rows = []
    for name in names:
        if name in SKIPPED:
            print(f"skipped {name}: {SKIPPED[name]}")
            continue
        rows.append(benchmark(name, runs, arguments.repeats))
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
