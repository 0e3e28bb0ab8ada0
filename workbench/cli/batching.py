"""``workbench batch`` and ``batch-report``: a YAML grid of fits on Dask, and its ranking."""

import sys
from pathlib import Path

from workbench.atomic import replacing
from workbench.cli.arguments import UsageError, ci_prob_arguments, whole_number


def register(commands) -> None:
    batch = commands.add_parser(
        "batch",
        help="fit a YAML grid of laws and choices on Dask",
        parents=[
            ci_prob_arguments(
                "scored credible level (default: the spec's ci_prob, else the project's)",
                project_default=False,
            )
        ],
    )
    batch.add_argument("spec", help="YAML batch spec (see workbench.batch.spec)")
    batch.add_argument("--scheduler", help="address of a running Dask scheduler, tcp://host:8786")
    batch.add_argument(
        "--workers", type=whole_number(1), help="workers of the local cluster (default: cores)"
    )
    batch.add_argument(
        "--out", default="batch-results", help="results folder (default: %(default)s)"
    )
    batch.add_argument("--retry-failed", action="store_true", help="run failed jobs again")
    batch.set_defaults(handler=batch_command)

    report = commands.add_parser(
        "batch-report", help="rank the fitting choices of a batch's results"
    )
    report.add_argument("out", help="results folder written by `workbench batch`")
    report.add_argument("--html", help="HTML page to write (default: OUT/report.html)")
    report.set_defaults(handler=batch_report_command)


def batch_command(arguments) -> int:
    from workbench.batch import run_batch

    try:
        result = run_batch(
            arguments.spec,
            arguments.out,
            scheduler=arguments.scheduler,
            workers=arguments.workers,
            retry_failed=arguments.retry_failed,
            ci_prob=arguments.ci_prob,
        )
    except ConnectionError as error:
        raise UsageError(str(error)) from None
    except ModuleNotFoundError as error:
        if error.name not in ("distributed", "dask", "yaml"):
            raise
        raise UsageError(
            f"workbench batch needs {error.name}: install the batch extra, "
            "pip install 'scaling-workbench[batch]'"
        ) from None
    counts = result.results["status"].value_counts().to_dict()
    shown = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    print(
        f"Batch: {result.n_run} jobs run, {result.n_skipped} already finished ({shown}) in "
        f"{result.seconds:.0f} s; results in {Path(arguments.out) / 'results.parquet'}"
    )
    failed = result.results[result.results["status"] == "failed"]
    for row in failed.itertuples():
        print(f"failed: {row.job_id}: {row.error}", file=sys.stderr)
    # A batch that produced nothing is an error for scripts, whatever the reasons.
    return 1 if len(result.results) and len(failed) == len(result.results) else 0


def batch_report_command(arguments) -> int:
    from workbench.batch import batch_summary, read_results

    if not (Path(arguments.out) / "results.parquet").exists():
        raise FileNotFoundError(f"{arguments.out} has no results.parquet: run `workbench batch`")
    summary = batch_summary(read_results(arguments.out))
    print("Fitting choices ranked by held-out ARE, coverage error and elpd (1 is best):")
    print(summary.to_string(float_format="{:.4g}".format))
    html = Path(arguments.html or Path(arguments.out) / "report.html")
    page = report_html(summary)
    with replacing(html) as partial:
        partial.write_text(page, encoding="utf-8")
    print(f"Report: {html}")
    return 0


def report_html(summary) -> str:
    """The batch report page: the plots of ``summary`` (a ``batch_summary``), with every
    script and stylesheet inline so that it opens offline."""
    import holoviews as hv

    # The dashboard's helper: hv.save(..., resources="inline") still links Panel's stylesheets.
    from workbench.app.offline import standalone_html
    from workbench.plots.batch import plot_batch_summary

    hv.extension("bokeh", logo=False)
    return standalone_html(plot_batch_summary(summary), title="Batch report")
