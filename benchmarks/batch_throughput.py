"""Batch throughput: many ``chinchilla`` fits on bootstrap resamples of Epoch's Chinchilla data.

Runs the batch engine (``workbench.batch.run_batch``) over ``--fits`` resamples, each job a fit
(2 chains x 1000 draws by default), scored on its top 10 % by compute and saved to netCDF. Then a
naive loop fits ``--naive-fits`` resamples the way a script without the engine would: build and
compile the PyMC model for every fit. Prints fits per second of both and their ratio, then the CPU
seconds of each stage of a job (``--stage-jobs`` jobs run in this process, model compiled) and
the load average before and after. Usage:

    .venv/bin/python benchmarks/batch_throughput.py [--fits 200] [--naive-fits 5]
        [--stage-jobs 5] [--workers 2] [--scheduler tcp://127.0.0.1:8786] [--out DIR] [--no-save]

With ``--scheduler`` the same jobs run on an existing cluster, e.g. one started by hand with
``dask scheduler`` and ``dask worker tcp://127.0.0.1:8786 --nworkers 2 --nthreads 1``; the job
ids, and so the rows, are the same as on the default LocalCluster: compare the printed results
digest of the two runs.
"""

import argparse
import hashlib
import os
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LOCAL_COPY = REPO.parent / "shared" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
HOLDOUT_TOP_FRAC = 0.1


def write_resamples(runs, count: int, folder: Path) -> dict:
    """``count`` bootstrap resamples as CSV files; run ids get a suffix, so repeats stay apart."""
    rng = np.random.default_rng(0)
    datasets = {}
    for index in range(count):
        rows = rng.choice(len(runs), len(runs))
        frame = runs.data.iloc[rows][["run", "N", "D", "C", "loss"]].copy()
        frame["run"] = [f"{run}-{copy}" for copy, run in enumerate(frame["run"])]
        path = folder / f"resample_{index:03d}.csv"
        frame.to_csv(path, index=False)
        datasets[f"resample_{index:03d}"] = {"path": str(path)}
    return datasets


def naive_fits(folder: Path, count: int, draws: int) -> list[float]:
    """Per fit: read the data, build and compile the model, sample; nothing cached."""
    from workbench.fitting import ScalingLawFit
    from workbench.fitting import model as model_module

    times = []
    for index in range(count):
        model_module._compiled.clear()
        start = time.perf_counter()
        fit = ScalingLawFit("chinchilla", sampler={"draws": draws, "tune": draws, "cores": 1})
        fit.fit(folder / f"resample_{index:03d}.csv", random_seed=0)
        times.append(time.perf_counter() - start)
    return times


def job_stages(folder: Path, count: int, draws: int) -> dict[str, list[float]]:
    """CPU seconds of each stage of a batch job on the first ``count`` resamples, in this process
    with the model compiled: the share of a job that is not sampling, and where it goes."""
    from workbench.backtesting.backtest import score_held_out
    from workbench.backtesting.holdout import holdout_runs
    from workbench.fitting import FitWarning, ScalingLawFit
    from workbench.predict.scores import summarize_scores
    from workbench.runs import read_runs

    seconds = {}

    @contextmanager
    def stage(name):
        start = time.process_time()
        yield
        seconds.setdefault(name, []).append(time.process_time() - start)

    for index in range(count):
        runs = read_runs(folder / f"resample_{index:03d}.csv")
        holdout = holdout_runs(runs, holdout_top_frac=HOLDOUT_TOP_FRAC)
        held = runs.data["run"].astype(str).isin(holdout.runs).to_numpy()
        sampler = {"draws": draws, "tune": draws, "chains": 2, "cores": 1}
        fit = ScalingLawFit("chinchilla", sampler=sampler)
        with stage("fit: NUTS, predictive draws, diagnostics"), warnings.catch_warnings():
            warnings.simplefilter("ignore", FitWarning)
            fit.fit(runs.filter(~held), random_seed=0)
        with stage("scores of the held-out runs"):
            summarize_scores(score_held_out(fit, runs.filter(held), (0.5, 0.9)))
        with stage("netCDF save"):
            fit.save(folder / f"stages_{index:03d}.nc")
    return seconds


def results_digest(rows) -> str:
    """A fingerprint of every job's outcome, equal for equal results on any cluster (job ids are
    left out: they hash the resamples' paths, new for every run)."""
    keys = ["dataset", "law", "holdout_top_frac"]
    outcome = rows.sort_values(keys)[
        [*keys, "status", "are", "coverage_50", "coverage_90", "elpd"]
    ].to_csv(index=False, float_format="%.12g")
    return hashlib.sha256(outcome.encode()).hexdigest()[:16]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=200)
    parser.add_argument("--naive-fits", type=int, default=5)
    parser.add_argument("--stage-jobs", type=int, default=5)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler")
    parser.add_argument("--out", help="batch folder (default: a new temporary one)")
    parser.add_argument("--no-save", action="store_true", help="do not write each fit's netCDF")
    arguments = parser.parse_args()

    from workbench.batch import run_batch
    from workbench.runs.datasets import chinchilla_epoch

    load_before = os.getloadavg()
    runs = chinchilla_epoch(url=LOCAL_COPY.as_uri()) if LOCAL_COPY.exists() else chinchilla_epoch()
    scratch = Path(tempfile.mkdtemp(prefix="batch-throughput-"))
    spec = {
        "datasets": write_resamples(runs, arguments.fits, scratch),
        "laws": ["chinchilla"],
        "holdout_top_frac": [HOLDOUT_TOP_FRAC],
        "draws": arguments.draws,
        "chains": 2,
        "save_fits": not arguments.no_save,
        # One fit per job, as in the naive loop and the recorded figures: calibrated scoring
        # would add three nested refits to every job.
        "interval": "law",
    }
    out = Path(arguments.out) if arguments.out else scratch / "out"
    batch = run_batch(
        spec, out, scheduler=arguments.scheduler, workers=arguments.workers, progress=True
    )
    rows = batch.results
    batch_rate = batch.n_run / batch.seconds
    naive = naive_fits(scratch, arguments.naive_fits, arguments.draws)
    naive_rate = 1 / float(np.mean(naive))
    stages = job_stages(scratch, min(arguments.stage_jobs, arguments.fits), arguments.draws)
    print(f"batch: {batch.n_run} fits in {batch.seconds:.1f} s = {batch_rate:.2f} fits/s")
    print(f"  statuses: {rows['status'].value_counts().to_dict()}")
    print(f"  compiles: {int(rows['compiled'].sum())} over {rows['worker'].nunique()} workers")
    print(f"  median job time on a worker: {rows['seconds'].median():.2f} s")
    print(f"naive loop: {len(naive)} fits, {np.mean(naive):.2f} s each = {naive_rate:.3f} fits/s")
    print(f"ratio batch / naive: {batch_rate / naive_rate:.1f}x")
    print(f"job stages, CPU seconds per job (median of {len(next(iter(stages.values())))} jobs):")
    for stage, seconds in stages.items():
        print(f"  {stage:<48s}{np.median(seconds):6.3f}")
    total = np.sum(list(stages.values()), axis=0)
    print(f"  {'whole job':<48s}{np.median(total):6.3f}")
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    print(f"results: {out / 'results.parquet'} (digest {results_digest(rows)})")


if __name__ == "__main__":
    main()
