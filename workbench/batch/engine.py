"""Run a batch spec on Dask distributed: one task per job, one row per job in results.parquet.

Each worker process keeps the compile cache of ``workbench.fitting.model``, so a (law, priors,
likelihood, structure) compiles once per worker and every later job only swaps its data in. Data
sets are loaded once, on the client, and broadcast to every worker before the jobs start.
"""

import dataclasses
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.atomic import replacing
from workbench.batch.spec import (
    CHECKPOINT_POLICIES,
    JOB_KEYS,
    BatchSpec,
    Job,
    load_runs,
    load_spec,
    parse_spec,
)
from workbench.intervals import INNER_PROB, interval_levels, resolve_ci_prob

RESULTS_FILE = "results.parquet"
FITS_FOLDER = "fits"
FINISHED = ("ok", "untrustworthy", "failed")
SCHEDULER_TIMEOUT = "20s"
DIAGNOSTIC_COLUMNS = ("rhat_max", "ess_bulk_min", "ess_tail_min", "divergences")
SCORE_COLUMNS = ("are", "elpd")
"""Scores of every job; ``coverage_<level>`` columns follow ``are``, one per scored level."""
RESULT_COLUMNS = (
    "job_id",
    *JOB_KEYS,
    "status",
    "error",
    "seconds",
    "compiled",
    "worker",
    "n_train",
    "n_test",
    *DIAGNOSTIC_COLUMNS,
    *SCORE_COLUMNS,
    "interval",
    "fit_path",
)
"""Columns of results.parquet, besides the coverage columns. ``compiled`` says whether the job
compiled its model (False: the worker reused one); ``elpd`` is the mean log predictive density
of a held-out run's target; ``fit_path`` is relative to the batch folder."""


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did: the whole results table and how many jobs ran or were skipped."""

    results: pd.DataFrame
    n_run: int
    n_skipped: int
    seconds: float
    out_dir: Path


def run_batch(
    spec,
    out_dir,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: bool | Callable[[int, int, dict], None] = True,
    retry_failed: bool = False,
    ci_prob: float | None = None,
) -> BatchResult:
    """Fit every job of a batch spec on Dask and score it on its held-out runs.

    Parameters
    ----------
    spec : BatchSpec, mapping or path
        The grid (see :mod:`workbench.batch.spec`); a path is read as YAML.
    out_dir : path
        Gets ``results.parquet`` (rewritten after every finished job, so an interrupted batch
        keeps its rows) and ``fits/<job_id>.nc``, written by the workers: on a cluster of
        several machines it must be on a file system they share.
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://127.0.0.1:8786"``. By default an
        in-process ``LocalCluster`` with one single-threaded worker process per core.
    workers : int, optional
        Workers of the default ``LocalCluster`` (ignored with ``scheduler``).
    progress : bool or callable
        True prints a progress line to stderr (terminal and Jupyter); a callable is called with
        (jobs finished, jobs to run, the finished row).
    retry_failed : bool
        Run jobs whose recorded status is "failed" again. Other finished jobs are always skipped.
    ci_prob : float, optional
        The credible level to score, in place of the spec's ``ci_prob``.

    Returns
    -------
    BatchResult
        ``results`` has one row per job of the spec that has finished, now or before.
    """
    spec = as_spec(spec)
    if ci_prob is not None:
        spec = dataclasses.replace(spec, ci_prob=resolve_ci_prob(ci_prob))
    # Absolute, because workers of a cluster may run in another directory.
    out_dir = Path(out_dir).resolve()
    (out_dir / FITS_FOLDER).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = read_results(out_dir)
    skip_statuses = [status for status in FINISHED if not (retry_failed and status == "failed")]
    done = set(rows.loc[rows["status"].isin(skip_statuses), "job_id"]) if len(rows) else set()
    rows = rows[rows["job_id"].isin(done)] if len(rows) else rows
    todo = {spec.job_id(job): job for job in spec.jobs() if spec.job_id(job) not in done}
    report = progress if callable(progress) else (_TextProgress(len(todo)) if progress else None)
    writer = _ResultsWriter(out_dir, rows)
    try:
        if todo:
            _run_jobs(spec, todo, out_dir, scheduler, workers, writer, report)
    finally:
        if isinstance(report, _TextProgress):
            report.close()
    return BatchResult(
        results=writer.frame(),
        n_run=len(todo),
        n_skipped=len(done & {spec.job_id(job) for job in spec.jobs()}),
        seconds=time.perf_counter() - start,
        out_dir=out_dir,
    )


def as_spec(spec) -> BatchSpec:
    if isinstance(spec, BatchSpec):
        return spec
    if isinstance(spec, Mapping):
        return parse_spec(spec)
    return load_spec(spec)


def read_results(out_dir) -> pd.DataFrame:
    """The results table of a batch folder (empty, with the columns, when there is none yet)."""
    path = Path(out_dir) / RESULTS_FILE
    if not path.exists():
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    return pd.read_parquet(path)


def result_columns(coverage: list[str]) -> list[str]:
    """Columns of results.parquet with the given coverage columns, placed after ``are``."""
    columns = list(RESULT_COLUMNS)
    at = columns.index("are") + 1
    return columns[:at] + sorted(coverage) + columns[at:]


def _run_jobs(spec, todo, out_dir, scheduler, workers, writer, report) -> None:
    from distributed import as_completed

    payloads, broken = {}, {}
    for name in sorted({job.dataset for job in todo.values()}):
        try:
            payloads[name] = pack_runs(load_runs(spec.datasets[name]))
        except Exception as error:  # any loader failure fails that data set's jobs, not the batch
            broken[name] = _error_text(error)
    finished = 0
    for job_id, job in todo.items():
        if job.dataset in broken:
            finished += 1
            row = failed_row(
                job_id, job, f"loading data set {job.dataset!r}: {broken[job.dataset]}"
            )
            writer.add(row)
            if report:
                report(finished, len(todo), row)
    runnable = {job_id: job for job_id, job in todo.items() if job.dataset not in broken}
    if not runnable:
        return
    with DaskConnection(scheduler, workers) as client:
        # One scatter for every data set: a round trip each (~10 ms) keeps the workers waiting.
        names = list(payloads)
        scattered = client.scatter([payloads[name] for name in names], broadcast=True, hash=False)
        shipped = dict(zip(names, scattered, strict=True))
        futures = {}
        for job_id, job in runnable.items():
            future = client.submit(
                fit_job,
                job_id,
                job.keys,
                shipped[job.dataset],
                spec.priors[job.priors],
                spec.sampler,
                spec.seed,
                spec.holdout_by,
                spec.interval,
                spec.ci_prob,
                str(out_dir / FITS_FOLDER) if spec.save_fits else None,
                key=f"fit-{job_id}",
                pure=False,
                retries=0,
            )
            futures[future] = (job_id, job)
        for future in as_completed(list(futures)):
            job_id, job = futures[future]
            try:
                row = future.result()
            except Exception as error:  # a worker that died or could not run the task
                row = failed_row(job_id, job, _error_text(error))
            finished += 1
            writer.add(row)
            if report:
                report(finished, len(todo), row)


class DaskConnection:
    """A client of the given scheduler, or of a new LocalCluster closed on exit."""

    def __init__(self, scheduler, workers):
        self.scheduler, self.workers, self.cluster = scheduler, workers, None

    def __enter__(self):
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=SCHEDULER_TIMEOUT)
            except (OSError, TimeoutError) as error:
                raise ConnectionError(
                    f"cannot reach the Dask scheduler at {self.scheduler}: {error}"
                ) from None
        else:
            # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, so glibc maps and unmaps
            # each of a job's few-MB predictive arrays afresh (~20,000 page faults, ~4 % of a
            # job). Jobs keep no data between them: glibc's adaptive default serves them better.
            with dask.config.set(
                {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
            ):
                self.cluster = LocalCluster(
                    n_workers=self.workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # Without a dashboard the scheduler still serves /health and /metrics, by
                    # default on port 8787: a second batch at once would clash there.
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                )
            self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc_info):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def fit_job(
    job_id: str,
    keys: dict,
    payload: dict,
    priors_json: str | None,
    sampler: dict,
    seed: int,
    holdout_by: str | None,
    interval: str,
    ci_prob: float,
    fits_folder: str | None,
) -> dict:
    """Fit one job on a worker, score it on its held-out runs, save the fit (unless
    ``fits_folder`` is None); never raises."""
    start = time.perf_counter()
    row = {"job_id": job_id, **keys, "worker": f"{os.uname().nodename}:{os.getpid()}"}
    try:
        row |= _fit_and_score(
            job_id, keys, payload, priors_json, sampler, seed, holdout_by, interval, ci_prob
        )
        fit = row.pop("fit")
        if fits_folder is not None:
            _save_fit(fit, Path(fits_folder) / f"{job_id}.nc")
            row["fit_path"] = f"{FITS_FOLDER}/{job_id}.nc"
    except Exception as error:  # failure isolation: the error is the row's result
        row |= {"status": "failed", "error": _error_text(error)}
    row["seconds"] = time.perf_counter() - start
    return _complete(row)


def _save_fit(fit, path: Path) -> None:
    """Save with a process-local file lock. On a worker, xarray would otherwise lock every
    variable's write through the scheduler (a distributed lock), which costs more than the write;
    each job writes a file of its own, so no other process needs to wait for it."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        fit.save(path)


def _fit_and_score(
    job_id, keys, payload, priors_json, sampler, seed, holdout_by, interval, ci_prob
) -> dict:
    from workbench.backtesting.backtest import coverage_columns, score_held_out
    from workbench.backtesting.holdout import holdout_runs
    from workbench.backtesting.nested import calibrate
    from workbench.fitting import FitWarning, ScalingLawFit
    from workbench.fitting.compiling import compile_count
    from workbench.laws.priors import priors_from_json
    from workbench.predict.scores import summarize_scores

    runs = unpack_runs(payload)
    holdout = holdout_runs(runs, holdout_top_frac=keys["holdout_top_frac"], by=holdout_by)
    held = runs.data["run"].astype(str).isin(holdout.runs).to_numpy()
    train, test = runs.filter(~held), runs.filter(held).final_checkpoints()
    options = dict(CHECKPOINT_POLICIES[keys["checkpoints"]])
    if keys["min_fraction"] is not None:
        options["min_fraction"] = keys["min_fraction"]
    fit = ScalingLawFit(
        keys["law"],
        priors=priors_from_json(priors_json) if priors_json else None,
        likelihood=keys["likelihood"],
        sampler=sampler,
    )
    compiled_before = compile_count()
    with warnings.catch_warnings():
        # Untrustworthy diagnostics become the row's status instead of a warning on a worker.
        warnings.simplefilter("ignore", FitWarning)
        fit.fit(train, random_seed=seed, **options)
        if interval == "calibrated":
            calibrate(fit, train, fit_options=options, random_seed=seed)
    diagnostics = fit.diagnostics()
    problems = diagnostics.problems()
    scores = summarize_scores(score_held_out(fit, test, ci_prob, INNER_PROB, interval))
    coverage = coverage_columns(interval_levels(ci_prob, INNER_PROB))
    return {
        "status": "untrustworthy" if problems else "ok",
        "error": "; ".join(problems) or None,
        "compiled": compile_count() > compiled_before,
        "n_train": int(fit.idata.attrs["n_obs"]),
        "n_test": int(scores["n_targets"]),
        **diagnostics.to_dict(),
        "are": scores["are"],
        **{column: scores[column] for column in coverage},
        "elpd": scores["mean_log_predictive_density"],
        "interval": interval,
        "fit": fit,
    }


def failed_row(job_id: str, job: Job, error: str) -> dict:
    return _complete({"job_id": job_id, **job.keys, "status": "failed", "error": error})


def _complete(row: dict) -> dict:
    return {column: row.get(column) for column in result_columns(coverage_of(row))}


def coverage_of(row) -> list[str]:
    return [column for column in row if column.startswith("coverage_")]


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".replace("\n", " ")


def pack_runs(runs) -> dict:
    """A run table as plain picklable parts, to ship to workers."""
    return {
        "data": runs.data,
        "target": runs.target,
        "derived": sorted(runs.derived),
        "source_columns": dict(runs.source_columns),
    }


def unpack_runs(payload: dict):
    from workbench.runs import RunTable

    return RunTable(
        data=payload["data"],
        target=payload["target"],
        derived=frozenset(payload["derived"]),
        source_columns=dict(payload["source_columns"]),
    )


class _ResultsWriter:
    """Keeps the rows and rewrites results.parquet atomically after each one."""

    def __init__(self, out_dir: Path, rows: pd.DataFrame):
        self.path = out_dir / RESULTS_FILE
        self.rows = rows.to_dict("records")

    def add(self, row: dict) -> None:
        self.rows.append(row)
        with replacing(self.path) as partial:
            self.frame().to_parquet(partial, index=False)

    def frame(self) -> pd.DataFrame:
        coverage = sorted({column for row in self.rows for column in coverage_of(row)})
        frame = pd.DataFrame(self.rows, columns=result_columns(coverage))
        for column in ("min_fraction", "holdout_top_frac", "seconds", *SCORE_COLUMNS, *coverage):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        for column in ("n_train", "n_test", "divergences"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
        for column in ("rhat_max", "ess_bulk_min", "ess_tail_min"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        frame["compiled"] = frame["compiled"].astype("boolean")
        return frame


class _TextProgress:
    """One self-overwriting line on stderr; works in a terminal and in a Jupyter cell."""

    def __init__(self, total: int):
        self.total, self.start, self.counts = total, time.perf_counter(), {}

    def __call__(self, finished: int, total: int, row: dict) -> None:
        self.counts[row["status"]] = self.counts.get(row["status"], 0) + 1
        width = 30
        filled = int(width * finished / max(total, 1))
        counts = ", ".join(f"{status} {count}" for status, count in sorted(self.counts.items()))
        elapsed = time.perf_counter() - self.start
        print(
            f"\rbatch [{'#' * filled}{'.' * (width - filled)}] {finished}/{total} jobs "
            f"({counts}) {elapsed:.0f} s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.counts:
            print(file=sys.stderr, flush=True)
