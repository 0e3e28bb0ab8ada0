"""A real batch on a 2-worker LocalCluster: rows, statuses, compile reuse, resume, failures."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.batch import parse_spec, read_results, run_batch
from workbench.cli import main
from workbench.runs import demo

# Jobs sample in Dask worker processes.
pytestmark = pytest.mark.sampling

DRAWS = 200
SCORES = ["are", "coverage_50", "coverage_90", "elpd"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    demo().data.to_csv(folder / "demo.csv", index=False)
    # Runs without token counts: chinchilla needs D, so these jobs raise on the worker.
    demo().final_checkpoints().data[["run", "N", "loss"]].to_csv(
        folder / "no_tokens.csv", index=False
    )
    return folder


@pytest.fixture(scope="module")
def spec(folder):
    return parse_spec(
        {
            "datasets": {
                "demo": {"path": "demo.csv"},
                "no_tokens": {"path": "no_tokens.csv"},
                "absent": {"path": "absent.csv"},
            },
            "laws": ["chinchilla"],
            "holdout_top_frac": [0.1, 0.2, 0.3],
            "draws": DRAWS,
            "seed": 3,
        },
        base=folder,
    )


@pytest.fixture(scope="module")
def first_run(spec, folder):
    seen = []
    result = run_batch(spec, folder / "out", workers=2, progress=lambda *args: seen.append(args))
    return result, seen


def test_every_job_has_a_row_with_status_and_finite_scores(first_run, spec):
    result, seen = first_run
    rows = result.results.set_index("job_id")
    assert len(rows) == len(spec.jobs()) == 9 and result.n_run == 9
    assert [finished for finished, _, _ in seen] == list(range(1, 10))
    fitted = rows[rows["dataset"] == "demo"]
    assert set(fitted["status"]) <= {"ok", "untrustworthy"}
    assert np.isfinite(fitted[SCORES].to_numpy(dtype=float)).all()
    assert ((fitted["coverage_90"] >= 0) & (fitted["coverage_90"] <= 1)).all()
    assert (fitted["interval"] == "calibrated").all()  # the default: nested LFO per fit
    assert (fitted["n_test"] > 0).all() and (fitted["seconds"] > 0).all()
    untrustworthy = fitted[fitted["status"] == "untrustworthy"]
    assert untrustworthy["error"].str.contains("R-hat|effective sample size|divergent").all()
    assert all((result.out_dir / "fits" / f"{job_id}.nc").exists() for job_id in fitted.index)


def test_broken_jobs_are_recorded_as_failed_while_the_rest_finish(first_run):
    rows = first_run[0].results
    absent = rows[rows["dataset"] == "absent"]
    assert (absent["status"] == "failed").all()
    assert absent["error"].str.contains("no such file").all()
    no_tokens = rows[rows["dataset"] == "no_tokens"]
    assert (no_tokens["status"] == "failed").all()
    assert no_tokens["error"].str.contains("'D'").all(), no_tokens["error"].tolist()
    assert (rows[rows["dataset"] == "demo"]["status"] != "failed").all()


def test_each_worker_compiles_the_law_once(first_run):
    fitted = first_run[0].results.query("dataset == 'demo'")
    # 3 jobs on 2 workers: at most one compile per worker, and some job reused a compiled model.
    assert 1 <= fitted["compiled"].sum() <= 2
    assert fitted.groupby("worker")["compiled"].sum().max() == 1


def test_rerun_skips_finished_jobs_without_fitting(first_run, spec, folder):
    calls = []
    again = run_batch(spec, folder / "out", workers=2, progress=lambda *args: calls.append(args))
    assert again.n_run == 0 and again.n_skipped == 9 and calls == []
    pd.testing.assert_frame_equal(again.results, first_run[0].results)


def test_resume_after_an_interruption_matches_the_uninterrupted_rows(first_run, spec, folder):
    # A batch killed mid-way leaves only the rows it finished; simulate one unfinished fit.
    original = first_run[0].results.set_index("job_id")
    out = folder / "resumed"
    out.mkdir()
    unfinished = original.index[original["dataset"] == "demo"][0]
    original.drop(index=unfinished).reset_index().to_parquet(out / "results.parquet")
    resumed = run_batch(spec, out, workers=1, progress=False)
    assert resumed.n_run == 1 and resumed.n_skipped == 8
    row = resumed.results.set_index("job_id").loc[unfinished]
    assert row["status"] == original.loc[unfinished, "status"]
    np.testing.assert_allclose(
        row[SCORES].to_numpy(dtype=float),
        original.loc[unfinished, SCORES].to_numpy(dtype=float),
        rtol=1e-9,
    )
    assert len(read_results(out)) == 9


def test_cli_report_ranks_choices_and_writes_html(first_run, capsys):
    out = first_run[0].out_dir
    assert main(["batch-report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "chinchilla" in printed and "coverage_error" in printed
    assert (out / "report.html").stat().st_size > 1000


def test_cli_bad_spec_is_one_line_and_exit_2(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("datasets: {a: {path: a.csv}}\nlaws: [nope]\nholdout_top_frac: 0.2\ndraws: 9\n")
    assert main(["batch", str(spec), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unknown law 'nope'" in error


@pytest.fixture
def started_cluster(tmp_path):
    """A `dask scheduler` and one `dask worker` process on 127.0.0.1, started by hand."""
    bin_folder = Path(sys.executable).parent
    scheduler_file = tmp_path / "scheduler.json"
    dask = str(bin_folder / "dask")
    options = [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
    scheduler = subprocess.Popen(
        [*options, "--scheduler-file", str(scheduler_file)],
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        time.sleep(0.5)  # the file is written before its contents are complete on some systems
        address = json.loads(scheduler_file.read_text())["address"]
        worker = subprocess.Popen(
            [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
            stderr=subprocess.DEVNULL,
        )
        yield address
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def test_same_spec_on_a_separately_started_cluster_gives_the_same_rows(
    first_run, spec, tmp_path, started_cluster
):
    remote = run_batch(spec, tmp_path / "remote", scheduler=started_cluster, progress=False)
    local = first_run[0].results.set_index("job_id").sort_index()
    rows = remote.results.set_index("job_id").sort_index()
    assert list(rows.index) == list(local.index)
    pd.testing.assert_series_equal(rows["status"], local["status"])
    np.testing.assert_allclose(
        rows[SCORES].to_numpy(dtype=float), local[SCORES].to_numpy(dtype=float), rtol=1e-9
    )
    assert rows.loc[rows["dataset"] == "demo", "compiled"].sum() == 1


def test_retry_failed_runs_only_the_failed_jobs_again(first_run, spec, folder, tmp_path):
    out = tmp_path / "retry"
    out.mkdir()
    first_run[0].results.to_parquet(out / "results.parquet")
    again = run_batch(spec, out, workers=1, progress=False, retry_failed=True)
    failed = first_run[0].results["status"] == "failed"
    assert again.n_run == failed.sum() == 6
    assert (again.results["status"] == "failed").sum() == 6 and len(again.results) == 9


def test_cli_batch_that_only_failed_says_why_and_exits_1(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("datasets: {a: {path: absent.csv}}\nlaws: [chinchilla]\n")
    spec.write_text(spec.read_text() + "holdout_top_frac: [0.1, 0.2]\ndraws: 9\n")
    assert main(["batch", str(spec), "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "2 jobs run, 0 already finished (failed 2)" in captured.out
    reasons = [line for line in captured.err.splitlines() if line.startswith("failed: ")]
    assert len(reasons) == 2 and all("no such file" in reason for reason in reasons)
    rows = read_results(tmp_path / "out")
    assert list(rows["status"]) == ["failed", "failed"]
