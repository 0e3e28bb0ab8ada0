"""Warm fit time and convergence of the hierarchical PassUntil model at HumanEval size.

Simulates 164 instances × 6 model sizes (HumanEval has 164 problems), compiles the model once,
then times fits on fresh simulated data with the same instance count. Prints one table and how
many fits met R-hat ≤ 1.01. Draws and tune default to PassUntilFit's (2 chains × 2000 draws after
1000 tune). Usage:

    .venv/bin/python benchmarks/passuntil_speed.py [--repeats 10] [--draws N] [--tune N]

Targets: warm fit ≤ 20 s, R-hat ≤ 1.01 in at least 9 of 10 warm fits.
"""

import argparse
import time
import warnings

import numpy as np

from workbench.emergence import InstanceLaw, PassUntilFit, simulate_passuntil
from workbench.fitting.diagnostics import RHAT_LIMIT

SIZES = np.geomspace(1e8, 1e10, 6)
LAW = InstanceLaw(mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9)
INSTANCES = 164
BUDGET = 2000


def timed_fit(seed: int, sampler: dict) -> dict:
    logs = simulate_passuntil(LAW, SIZES, INSTANCES, BUDGET, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = PassUntilFit(sampler=sampler).fit(logs, random_seed=seed)
    seconds = time.perf_counter() - start
    diagnostics = fit.diagnostics()
    return {
        "seconds": seconds,
        "rhat_max": diagnostics.rhat_max,
        "ess_bulk_min": diagnostics.ess_bulk_min,
        "divergences": diagnostics.divergences,
        "censored": int(logs.censored.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--draws", type=int, help="default: PassUntilFit's")
    parser.add_argument("--tune", type=int, help="default: PassUntilFit's")
    arguments = parser.parse_args()
    overrides = {"draws": arguments.draws, "tune": arguments.tune}
    sampler = {name: value for name, value in overrides.items() if value is not None}
    options = PassUntilFit(sampler=sampler).sampler_options
    rows = [("cold (compile + sample)", timed_fit(0, sampler))]
    rows += [
        (f"warm #{seed}", timed_fit(seed, sampler)) for seed in range(1, arguments.repeats + 1)
    ]
    print(
        f"PassUntilFit, {INSTANCES} instances × {SIZES.size} sizes, {options['chains']} chains × "
        f"{options['draws']} draws after {options['tune']} tune, adaptation {options['adaptation']}"
    )
    print(
        f"{'fit':<26}{'seconds':>9}{'R-hat max':>11}{'ESS bulk min':>14}{'divergent':>11}"
        f"{'censored':>10}"
    )
    for label, row in rows:
        print(
            f"{label:<26}{row['seconds']:>9.1f}{row['rhat_max']:>11.4f}"
            f"{row['ess_bulk_min']:>14.0f}{row['divergences']:>11d}{row['censored']:>10d}"
        )

    warm = [row for label, row in rows if label.startswith("warm")]
    met = sum(row["rhat_max"] <= RHAT_LIMIT for row in warm)
    print(f"R-hat ≤ {RHAT_LIMIT}: {met} of {len(warm)} warm fits")
    if warm:
        print(f"warm fit seconds: max {max(row['seconds'] for row in warm):.1f}")


if __name__ == "__main__":
    main()
