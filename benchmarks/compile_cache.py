"""A cold ``workbench fit`` with an empty and with a warm compile cache, beside the peer library.

Prints one table of wall-clock seconds (median and range over ``--repeats``), all measured in this
run on Epoch AI's 240 Chinchilla runs:
- the first cold CLI fit (empty compile cache: compiles the law), with and without calibration;
- a second cold CLI fit of the same law (new process, cache warm), with and without calibration;
- the imports alone (``import workbench.cli`` in a new process);
- a warm fit in this process (law compiled, ``ScalingLawFit.fit`` only);
- the peer: ``simple-scaling-laws`` (PyPI; least squares with 1000 bootstrap draws), its whole
  ``scaling-laws fit`` process, installed into a throwaway environment, never the project's.

Usage::

    .venv/bin/python -m benchmarks.compile_cache [--repeats 3]
"""

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.throwaway_env import throwaway_environment

REPO = Path(__file__).resolve().parents[1]
EPOCH_POINTS = REPO.parent / "shared" / "data" / "chinchilla_epoch" / "chinchilla_points.csv"
PEER = "simple-scaling-laws==0.2.0"
WORKBENCH = REPO / ".venv" / "bin" / "workbench"


def write_runs(folder: Path) -> tuple[Path, Path]:
    """Epoch's 240 kept runs as our CSV (N, D, loss) and in the peer's column convention."""
    with open(EPOCH_POINTS) as source:
        kept = [row for row in csv.DictReader(source) if row["epoch_outlier_excluded"] == "0"]
    ours, peers = folder / "runs.csv", folder / "peer_runs.csv"
    with open(ours, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["N", "D", "loss"])
        writer.writerows([row["N_params"], row["D_tokens"], row["loss"]] for row in kept)
    with open(peers, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["training_run_id", "model_size__n_params", "dataset_size__n_tokens", "test_loss__loss"]
        )
        writer.writerows(
            [f"run{index}", row["N_params"], row["D_tokens"], row["loss"]]
            for index, row in enumerate(kept)
        )
    return ours, peers


def timed(command: list, environment: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=environment, check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - start


def install_peer(folder: Path) -> Path:
    """The peer's ``scaling-laws`` script, in a throwaway environment under ``folder``."""
    return throwaway_environment(folder, PEER) / "scaling-laws"


def warm_fit_in_process(runs_path: Path, cache: Path, repeats: int) -> list[float]:
    os.environ["WORKBENCH_CACHE"] = str(cache)
    from workbench.fitting import ScalingLawFit
    from workbench.runs import read_runs

    runs = read_runs(runs_path)
    ScalingLawFit("chinchilla").fit(runs, random_seed=0)
    times = []
    for seed in range(1, repeats + 1):
        start = time.perf_counter()
        ScalingLawFit("chinchilla").fit(runs, random_seed=seed)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    folder = Path(tempfile.mkdtemp(prefix="compile-cache-"))
    runs, peer_runs = write_runs(folder)
    peer = install_peer(folder)
    fit = [WORKBENCH, "fit", runs, "--law", "chinchilla", "--seed", "0"]
    rows = {
        name: []
        for name in (
            "first cold CLI fit (empty cache)",
            "first cold CLI fit, --no-calibrate",
            "second cold CLI fit (cache warm)",
            "second cold CLI fit, --no-calibrate",
            "imports alone: import workbench.cli",
            "peer: simple-scaling-laws, whole `scaling-laws fit` process",
        )
    }
    names = list(rows)
    for repeat in range(repeats):
        for calibrate, options in ((0, []), (1, ["--no-calibrate"])):
            cache = folder / f"cache-{repeat}-{calibrate}"
            environment = os.environ | {"WORKBENCH_CACHE": str(cache)}
            rows[names[calibrate]].append(timed(fit + options, environment))
            rows[names[2 + calibrate]].append(timed(fit + options, environment))
        rows[names[4]].append(timed([sys.executable, "-c", "import workbench.cli"]))
        peer_fit = [peer, "fit", peer_runs, "--law", "separable-power", "--quiet"]
        rows[names[5]].append(timed([*peer_fit, "--output", folder / f"peer-{repeat}.slaw"]))
    rows["warm fit in this process (law compiled), ScalingLawFit.fit"] = warm_fit_in_process(
        runs, folder / "cache-0-0", repeats
    )
    print(f"| measure | median (s) | range (s) over {repeats} |")
    print("| --- | --- | --- |")
    for name, times in rows.items():
        spread = f"{min(times):.2f}–{max(times):.2f}"
        print(f"| {name} | {statistics.median(times):.2f} | {spread} |")


if __name__ == "__main__":
    main()
