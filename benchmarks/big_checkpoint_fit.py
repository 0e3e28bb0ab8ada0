"""A 100,000-row checkpoint table fitted with a run effect through the command line.

Simulates a sweep from Chinchilla's published law (Hoffmann et al.: E = 1.69, A = 406.4,
B = 410.7, α = 0.34, β = 0.28): model sizes from 2e7 to 2e9 parameters, each trained on 5, 10, 20,
40 and 80 tokens per parameter, with log-normal noise (a per-run offset, sd 0.01, and
per-checkpoint noise, sd 0.005). Every run of one size saves a checkpoint every fixed number of
steps, so its checkpoints share the (N, D) design points of the longer runs of that size, as the
open_lm runs of Li et al. do (1663 checkpoints at 907 distinct (N, D)); ``--grid distinct`` gives
each run its own checkpoint interval instead.

Each table is fitted by ``workbench fit TABLE --law chinchilla --checkpoints run-effect --json -o
FIT.nc`` in a new process, as a user would: reading, compiling, sampling, the three nested refits
of the calibration, and saving. The stages are timed from the progress lines the command writes
on stderr. The saved fit is then read back, each in a new process: by ``workbench predict``, which
reads the posterior alone, and by ``ScalingLawFit.load``, which recomputes the pointwise groups
(the file leaves them out). A table of a tenth the rows (the same sweep, a tenth the
checkpoints) is fitted first in the same run as the baseline. Usage:

    .venv/bin/python -m benchmarks.big_checkpoint_fit [--longest 2581] [--grid shared|distinct]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
TOKENS_PER_PARAMETER = (5, 10, 20, 40, 80)
TOKENS_PER_STEP = 2**19
RUN_OFFSET_SD = 0.01
NOISE_SD = 0.005
MEASURES = (
    ("rows", "rows", "{:.0f}"),
    ("runs", "runs", "{:.0f}"),
    ("distinct (N, D) design points", "design points", "{:.0f}"),
    ("wall seconds, whole command", "wall", "{:.1f}"),
    ("CPU seconds (user + system)", "cpu", "{:.1f}"),
    ("peak memory (GB)", "peak_gb", "{:.2f}"),
    ("saved fit (MB)", "file_mb", "{:.1f}"),
    ("progress lines on stderr", "progress_lines", "{:.0f}"),
    ("workbench predict FIT.nc: wall seconds", "predict_wall", "{:.1f}"),
    ("workbench predict FIT.nc: peak memory (GB)", "predict_peak_gb", "{:.2f}"),
    ("ScalingLawFit.load (pointwise recomputed): s", "load_wall", "{:.1f}"),
    ("ScalingLawFit.load: peak memory (GB)", "load_peak_gb", "{:.2f}"),
)
STAGES = (
    ("start-up, reading the table, compiling", "workbench: fitting chinchilla ("),
    ("sampling (2 chains x 2000)", "workbench: fitting chinchilla: "),
    ("diagnostics", "workbench: calibrating ("),
    ("calibration: 3 nested refits", "workbench: calibrating: "),
    ("report", "workbench: saving to"),
)
"""Each stage and the stderr line that ends it (the last such line)."""
STAGE_LABELS = (*(label for label, _ in STAGES), "saving the fit")


def checkpoint_table(longest: int, sizes: int = 20, grid: str = "shared", seed: int = 0):
    """Runs × checkpoints as a frame: run, step, N, D (tokens seen), loss.

    The longest run of each size saves ``longest`` checkpoints. With the ``shared`` grid every
    run of a size checkpoints every ``interval`` steps, so a shorter run's checkpoints are the
    first ones of the longer runs; with ``distinct`` each run spreads ``longest · ratio / 80``
    checkpoints evenly over its own steps.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for parameters in np.geomspace(2e7, 2e9, sizes):
        for ratio in TOKENS_PER_PARAMETER:
            count = longest * ratio // max(TOKENS_PER_PARAMETER)
            total_steps = ratio * parameters / TOKENS_PER_STEP
            if grid == "shared":
                interval = max(
                    1, round(max(TOKENS_PER_PARAMETER) * parameters / TOKENS_PER_STEP / longest)
                )
                steps = interval * np.arange(1, count + 1)
            else:
                steps = np.unique(np.round(np.linspace(total_steps / count, total_steps, count)))
            tokens = steps * TOKENS_PER_STEP
            law = (
                TRUTH["E"]
                + TRUTH["A"] / parameters ** TRUTH["alpha"]
                + TRUTH["B"] / tokens ** TRUTH["beta"]
            )
            noise = rng.normal(0, RUN_OFFSET_SD) + rng.normal(0, NOISE_SD, steps.size)
            frames.append(
                pd.DataFrame(
                    {
                        "run": f"N{parameters:.3g}-x{ratio}",
                        "step": steps.astype(int),
                        "N": parameters,
                        "D": tokens,
                        "loss": law * np.exp(noise),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def timed_fit(table: Path, output: Path, code: Path | None = None) -> dict:
    """Run ``workbench fit`` in a new process, with the package in ``code`` if given; wall
    seconds, CPU seconds, peak memory, stage times (from the progress lines on stderr, when the
    code writes them) and the JSON report."""
    command = [
        *(str(REPO / ".venv" / "bin" / "workbench"), "fit", str(table)),
        *("--law", "chinchilla", "--checkpoints", "run-effect", "--json", "-o", str(output)),
    ]
    environment = os.environ | ({"PYTHONPATH": str(code)} if code else {})
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = {}
    for line in process.stderr:
        seen.setdefault(line.strip(), time.perf_counter() - start)
    report = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise RuntimeError(f"{' '.join(command)} failed:\n" + "\n".join(seen))
    ends = [
        max((t for line, t in seen.items() if line.startswith(prefix)), default=None)
        for _, prefix in STAGES
    ]
    stages = {}
    if None not in ends:
        starts = [0.0, *ends]
        stages = {
            label: end - begin for (label, _), begin, end in zip(STAGES, starts, ends, strict=False)
        }
        stages[STAGE_LABELS[-1]] = wall - ends[-1]
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_gb": usage.ru_maxrss / 2**20,
        "stages": stages,
        "report": json.loads(report),
        "file_mb": output.stat().st_size / 2**20,
        "progress_lines": sum(line.startswith("workbench: ") for line in seen),
    }


def timed_command(command: list[str], code: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak memory (GB) of a command in a new process."""
    environment = os.environ | ({"PYTHONPATH": str(code)} if code else {})
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status:
        raise RuntimeError(f"{' '.join(command)} failed")
    return time.perf_counter() - start, usage.ru_maxrss / 2**20


def timed_reads(output: Path, code: Path | None = None) -> dict:
    """What reading the saved fit back costs: a prediction from the command line, which reads
    the posterior alone, and a load in Python, which recomputes the pointwise groups."""
    predict = [
        *(str(REPO / ".venv" / "bin" / "workbench"), "predict", str(output)),
        *("--N", "1e10", "--D", "2e11", "--json"),
    ]
    load = [
        str(REPO / ".venv" / "bin" / "python"),
        "-c",
        f"from workbench.fitting import ScalingLawFit; ScalingLawFit.load({str(output)!r})",
    ]
    (predict_wall, predict_peak), (load_wall, load_peak) = (
        timed_command(predict, code),
        timed_command(load, code),
    )
    return {
        "predict_wall": predict_wall,
        "predict_peak_gb": predict_peak,
        "load_wall": load_wall,
        "load_peak_gb": load_peak,
    }


def describe(frame: pd.DataFrame) -> dict:
    return {
        "rows": len(frame),
        "runs": frame["run"].nunique(),
        "design points": len(frame[["N", "D"]].drop_duplicates()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--longest", type=int, default=2581, help="checkpoints of a longest run")
    parser.add_argument("--sizes", type=int, default=20, help="model sizes in the sweep")
    parser.add_argument("--grid", choices=("shared", "distinct"), default="shared")
    parser.add_argument(
        "--before",
        type=Path,
        help="a folder holding the workbench package before a change (e.g. from `git archive`): "
        "the baseline table is also fitted with it",
    )
    arguments = parser.parse_args()
    baseline = max(1, arguments.longest // 10)
    fits = {"baseline: a tenth of the checkpoints": (baseline, None)}
    if arguments.before:
        fits["the same, code before the change"] = (baseline, arguments.before)
    fits["the big table"] = (arguments.longest, None)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, (longest, code) in fits.items():
            frame = checkpoint_table(longest, arguments.sizes, arguments.grid)
            path = Path(folder) / f"{longest}.csv"
            frame.to_csv(path, index=False)
            output = Path(folder) / f"{longest}.nc"
            results[label] = (
                describe(frame) | timed_fit(path, output, code) | timed_reads(output, code)
            )
            print(f"{label}: {results[label]['wall']:.1f} s", file=sys.stderr, flush=True)

    print(f"workbench fit --law chinchilla --checkpoints run-effect --json; grid {arguments.grid}")
    print_row("measure", list(results))
    for label, key, form in MEASURES:
        print_row(label, [form.format(result[key]) for result in results.values()])
    for stage in STAGE_LABELS:
        cells = [f"{result['stages'].get(stage, float('nan')):.1f}" for result in results.values()]
        print_row(f"  {stage} (s)", cells)
    for name in ("alpha", "beta", "E"):
        cells = [interval(result["report"]["params"][name]) for result in results.values()]
        print_row(f"{name} (truth {TRUTH[name]:g})", cells)
    cells = [interval(result["report"]["noise"]["run_sd"]) for result in results.values()]
    print_row(f"run_sd (truth {RUN_OFFSET_SD:g})", cells)
    diagnostics = [result["report"]["diagnostics"] for result in results.values()]
    cells = ["{rhat_max:.3f} / {ess_bulk_min:.0f} / {divergences}".format(**d) for d in diagnostics]
    print_row("R-hat max / bulk ESS min / divergences", cells)


def interval(row: dict) -> str:
    return f"{row['median']:.4g} [{row['ci_low_90']:.4g}, {row['ci_high_90']:.4g}]"


def print_row(label: str, cells) -> None:
    print(f"{label:<40s}" + "".join(f"{cell:>38s}" for cell in cells))


if __name__ == "__main__":
    main()
