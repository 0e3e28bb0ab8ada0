"""Batch throughput: many ``chinchilla`` fits on bootstrap resamples of Epoch's Chinchilla data.

Runs the batch engine (``workbench.batch.run_batch``) over ``--fits`` resamples, each job a fit
(2 chains x 1000 draws by default), scored on its top 10 % by compute and saved to netCDF. Then a
naive loop fits ``--naive-fits`` resamples the way a script without the engine would: build and
compile the PyMC model for every fit. Prints fits per second of both and their ratio. Usage:

    .venv/bin/python benchmarks/batch_throughput.py [--fits 200] [--naive-fits 5]
        [--workers 2] [--scheduler tcp://127.0.0.1:8786] [--out DIR] [--no-save]

With ``--scheduler`` the same jobs run on an existing cluster, e.g. one started by hand with
``dask scheduler`` and ``dask worker tcp://127.0.0.1:8786 --nworkers 2 --nthreads 1``; the job
ids, and so the rows, are the same as on the default LocalCluster.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
LOCAL_COPY = REPO.parent / "shared" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=200)
    parser.add_argument("--naive-fits", type=int, default=5)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler")
    parser.add_argument("--out", help="batch folder (default: a new temporary one)")
    parser.add_argument("--no-save", action="store_true", help="do not write each fit's netCDF")
    arguments = parser.parse_args()

    from workbench.batch import run_batch
    from workbench.runs.datasets import chinchilla_epoch

    runs = chinchilla_epoch(url=LOCAL_COPY.as_uri()) if LOCAL_COPY.exists() else chinchilla_epoch()
    scratch = Path(tempfile.mkdtemp(prefix="batch-throughput-"))
    spec = {
        "datasets": write_resamples(runs, arguments.fits, scratch),
        "laws": ["chinchilla"],
        "holdout_top_frac": [0.1],
        "draws": arguments.draws,
        "chains": 2,
        "save_fits": not arguments.no_save,
    }
    out = Path(arguments.out) if arguments.out else scratch / "out"
    batch = run_batch(
        spec, out, scheduler=arguments.scheduler, workers=arguments.workers, progress=True
    )
    rows = batch.results
    batch_rate = batch.n_run / batch.seconds
    naive = naive_fits(scratch, arguments.naive_fits, arguments.draws)
    naive_rate = 1 / float(np.mean(naive))
    print(f"batch: {batch.n_run} fits in {batch.seconds:.1f} s = {batch_rate:.2f} fits/s")
    print(f"  statuses: {rows['status'].value_counts().to_dict()}")
    print(f"  compiles: {int(rows['compiled'].sum())} over {rows['worker'].nunique()} workers")
    print(f"  median job time on a worker: {rows['seconds'].median():.2f} s")
    print(f"naive loop: {len(naive)} fits, {np.mean(naive):.2f} s each = {naive_rate:.3f} fits/s")
    print(f"ratio batch / naive: {batch_rate / naive_rate:.1f}x")
    print(f"results: {out / 'results.parquet'}")


if __name__ == "__main__":
    main()
