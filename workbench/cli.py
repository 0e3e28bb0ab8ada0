"""The ``workbench`` command line: list laws, fit runs, predict from saved fits, compare and
backtest laws, run the demo."""

import argparse
import difflib
import json
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.atomic import replacing
from workbench.backtesting import LawEnsemble, calibrate, load_fit
from workbench.backtesting.auto import AUTO
from workbench.fitting import FitFileError, FitWarning, ScalingLawFit
from workbench.intervals import (
    INNER_PROB,
    interval_columns,
    interval_levels,
    interval_names,
    percent,
    resolve_ci_prob,
    summarize_draws,
)
from workbench.laws import LAWS, get_law, law_table
from workbench.predict import ExtrapolationWarning, calibration_of
from workbench.predict.calibration import describe_calibration
from workbench.runs import DEMO_TRUTH, RunTableError, demo, parse_quantity, read_runs
from workbench.runs.datasets import DATASETS, DatasetError, load_dataset

ROLE_OPTIONS = ("run", "N", "D", "C", "step", "group")
APP_SCRIPT = Path(__file__).parent / "app" / "main.py"
APP_SETUP = Path(__file__).parent / "app" / "warmup.py"
SERVE_LIMITS = {
    "max_upload_mb": "WORKBENCH_MAX_UPLOAD_MB",
    "max_rows": "WORKBENCH_MAX_ROWS",
    "max_draws": "WORKBENCH_MAX_DRAWS",
    "fit_timeout": "WORKBENCH_FIT_TIMEOUT",
    "max_fits": "WORKBENCH_MAX_FITS",
}
"""``workbench serve`` options and the environment variables that carry them to the app, which
``panel serve`` runs in this process after ``exec``."""
CHECKPOINT_POLICIES = {
    "final": {"checkpoints": False},
    "run-effect": {"checkpoints": True},
    "independent": {"checkpoints": True, "run_effect": False},
}


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read "--N -7e10" or "--D -2T" as a (bad) value, which the target check then names,
        # rather than as an unknown option leaving --N without one.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[A-Za-z]?$")

    def error(self, message):
        raise UsageError(message)


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse type: an integer of at least ``minimum`` (and at most ``maximum``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, not {value}")
        return value

    return parse


def quantity(text: str) -> float:
    """An argparse type: a number, or a number with a suffix such as 7B or 1.4T."""
    try:
        return parse_quantity(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def probability(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workbench", description="Bayesian scaling laws with honest uncertainty.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    laws = commands.add_parser("laws", help="list the law families with their formulas")
    laws.add_argument(
        "--markdown", action="store_true", help="print the README's table of law families"
    )

    fit = commands.add_parser("fit", help="fit a law to a run table")
    fit.add_argument(
        "runs", help="CSV/Parquet/JSON file, or a dataset name: demo, " + ", ".join(DATASETS)
    )
    fit.add_argument(
        "--law",
        required=True,
        help="family name (see `workbench laws`), or auto: every family the columns allow, "
        "stacked by leave-future-out",
    )
    fit.add_argument("--covariate", choices=("N", "D", "C"), help="covariate of one-variable laws")
    fit.add_argument("--target", default="loss", help="metric column to fit (default: loss)")
    for role in ROLE_OPTIONS:
        fit.add_argument(
            f"--{role}",
            dest=f"column_{role}",
            metavar="COLUMN",
            help=f"column holding {role} (overrides auto-detection)",
        )
    fit.add_argument(
        "--checkpoints",
        default="final",
        choices=tuple(CHECKPOINT_POLICIES),
        help="final: last checkpoint of each run (default); run-effect: every checkpoint, "
        "sharing an offset per run; independent: every checkpoint as its own observation",
    )
    fit.add_argument(
        "--min-fraction",
        type=float,
        help="with --checkpoints, drop checkpoints before this fraction of their run",
    )
    fit.add_argument("--groups", metavar="COLUMN", help="fit one curve per group, partially pooled")
    fit.add_argument(
        "--likelihood",
        choices=("student_t", "normal"),
        help="noise model (default: student_t; run-effect fits are normal)",
    )
    fit.add_argument("--draws", type=whole_number(1), default=1000)
    fit.add_argument("--tune", type=whole_number(0), default=1000)
    fit.add_argument("--chains", type=whole_number(1), default=2)
    fit.add_argument("--seed", type=int, default=0)
    add_ci_prob_argument(fit)
    fit.add_argument(
        "--no-calibrate",
        action="store_true",
        help="skip the nested leave-future-out backtests that calibrate the extrapolation error "
        "(predictions then use the default one)",
    )
    fit.add_argument("-o", "--output", help="save the fit to this netCDF file")
    fit.add_argument("--json", action="store_true", help="print one JSON object")

    predict = commands.add_parser("predict", help="predict from a saved fit")
    predict.add_argument("fit", help="netCDF file written by `workbench fit -o`")
    for name in ("N", "D", "C"):
        predict.add_argument(
            f"--{name}", nargs="+", type=quantity, help=f"target {name} values (7e10 or 70B)"
        )
    predict.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="values of another covariate of the law, comma-separated, e.g. --at U=25B "
        "(repeat for more)",
    )
    predict.add_argument(
        "--kind",
        default="observation",
        choices=("observation", "mean"),
        help="interval of a new run's measurement, or of the law's mean",
    )
    predict.add_argument(
        "--interval",
        default="calibrated",
        choices=("calibrated", "law"),
        help="calibrated (default): widened by the extrapolation error past the training runs; "
        "law: the law's own interval, as if it held at any scale",
    )
    add_ci_prob_argument(predict)
    predict.add_argument("--json", action="store_true", help="print one JSON object")

    calibrate_command = commands.add_parser(
        "calibrate",
        help="nested leave-future-out calibration report: nominal vs observed coverage, LFO-PIT",
    )
    _add_law_set_arguments(calibrate_command, laws_required=False)

    passuntil = commands.add_parser(
        "passuntil", help="PassUntil logs: task scaling law, predictions and the emergence test"
    )
    passuntil.add_argument(
        "logs", help="CSV/Parquet/JSON with model, N, instance, attempts, passes"
    )
    passuntil.add_argument(
        "--target-N",
        dest="target_N",
        nargs="+",
        metavar="N",
        help="model sizes to predict at (default: 10x the largest)",
    )
    passuntil.add_argument("--k", nargs="+", type=int, default=[1, 10], help="pass@k to report")
    _add_model_sampler_arguments(passuntil)
    passuntil.add_argument("--json", action="store_true", help="print one JSON object")

    steplaw = commands.add_parser(
        "steplaw",
        help="optimal learning rate and batch size from LR/batch sweeps (Li et al.'s Step Law)",
    )
    steplaw.add_argument(
        "source",
        help="sweeps (CSV/Parquet/JSON: N, D, learning rate, batch size, loss), or a fit saved "
        "with -o (.nc) to report and predict from without sampling again",
    )
    steplaw.add_argument("--lr", default="lr", help="the learning-rate column (default lr)")
    steplaw.add_argument(
        "--batch", default="B", help="the batch-size column, in tokens (default B)"
    )
    steplaw.add_argument("--target", help="the loss column (default loss)")
    for name in ("N", "D"):
        steplaw.add_argument(
            f"--{name}", nargs="+", type=quantity, help=f"target {name} values (7e9 or 7B)"
        )
    steplaw.add_argument(
        "--seq-len", type=quantity, help="tokens per sequence: also report the batch in sequences"
    )
    _add_model_sampler_arguments(steplaw)
    steplaw.add_argument("-o", "--output", help="save the fit to this netCDF file")
    steplaw.add_argument("--json", action="store_true", help="print one JSON object")

    compare = commands.add_parser(
        "compare", help="fit several laws to one run table and compare them by PSIS-LOO"
    )
    _add_law_set_arguments(compare)

    backtest = commands.add_parser(
        "backtest", help="fit laws on the smaller runs and score them on the largest"
    )
    _add_law_set_arguments(backtest)
    backtest.add_argument(
        "--holdout-top-frac",
        type=probability,
        help="hold out this fraction of the runs, the largest by --by (default 0.2)",
    )
    backtest.add_argument(
        "--by",
        choices=("C", "N", "D", "step"),
        help="what 'largest' means (default: C, or N without C)",
    )
    backtest.add_argument(
        "--cut", help="instead of a fraction, hold out runs whose final --by is at least this"
    )

    serve = commands.add_parser("serve", help="serve the dashboard")
    serve.add_argument(
        "--port", type=whole_number(0, 65535), default=5006, help="0 picks a free port"
    )
    serve.add_argument("--address", default="127.0.0.1")
    serve.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="extra origins allowed to connect (the serving address is always allowed)",
    )
    serve.add_argument(
        "--max-upload-mb", type=float, default=50.0, help="largest run file a user may upload"
    )
    serve.add_argument(
        "--max-rows",
        type=whole_number(1),
        default=200_000,
        help="most rows of an uploaded table (default: %(default)s)",
    )
    serve.add_argument(
        "--max-draws",
        type=whole_number(1),
        default=40_000,
        help="most draws × chains of one fit (default: %(default)s)",
    )
    serve.add_argument(
        "--fit-timeout",
        type=whole_number(1),
        default=600,
        metavar="SECONDS",
        help="a fit running longer is cancelled (default: %(default)s)",
    )
    serve.add_argument(
        "--max-fits",
        type=whole_number(1),
        default=2,
        help="fits running at once on the server; later ones wait in a queue "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--prefix",
        default="",
        metavar="PATH",
        help="URL path the dashboard is served under, e.g. /user/me/dashboard behind "
        "jupyter-server-proxy",
    )

    demo_command = commands.add_parser("demo", help="fit the built-in demo runs and extrapolate")
    demo_command.add_argument("--law", default="chinchilla")
    demo_command.add_argument("--seed", type=int, default=0)

    batch = commands.add_parser("batch", help="fit a YAML grid of laws and choices on Dask")
    batch.add_argument("spec", help="YAML batch spec (see workbench.batch.spec)")
    batch.add_argument("--scheduler", help="address of a running Dask scheduler, tcp://host:8786")
    batch.add_argument(
        "--workers", type=whole_number(1), help="workers of the local cluster (default: cores)"
    )
    batch.add_argument(
        "--out", default="batch-results", help="results folder (default: %(default)s)"
    )
    batch.add_argument("--retry-failed", action="store_true", help="run failed jobs again")
    add_ci_prob_argument(
        batch, "scored credible level (default: the spec's ci_prob, else the project's)"
    )

    batch_report = commands.add_parser(
        "batch-report", help="rank the fitting choices of a batch's results"
    )
    batch_report.add_argument("out", help="results folder written by `workbench batch`")
    batch_report.add_argument("--html", help="HTML page to write (default: OUT/report.html)")
    return parser


def add_ci_prob_argument(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    parser.add_argument(
        "--ci-prob",
        type=probability,
        help=help
        or "credible level of every interval (default: the project's, workbench.intervals.CI_PROB)",
    )


def main(argv=None) -> int:
    try:
        arguments = build_parser().parse_args(argv)
        if getattr(arguments, "ci_prob", None) is None and arguments.command != "batch":
            # Resolved at run time, so that the project's level set in one place applies here.
            arguments.ci_prob = resolve_ci_prob(None) if hasattr(arguments, "ci_prob") else None
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return COMMANDS[arguments.command](arguments)
    except RunTableError as error:
        # A problem found after reading, such as too few distinct runs, is still about the file.
        runs = getattr(arguments, "runs", None)
        if error.file is None and runs and Path(runs).is_file():
            error = error.in_file(runs)
        print(f"workbench: error: {error}".replace("\n", " "), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Whatever read stdout stopped early (`workbench laws | head`): not an error to report.
        # Python would also fail flushing stdout at exit, so it is pointed at /dev/null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a process killed by SIGPIPE, what shells expect
    except (
        UsageError,
        FitFileError,
        DatasetError,
        ValueError,
        KeyError,
        OSError,
    ) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"workbench: error: {message}".replace("\n", " "), file=sys.stderr)
        return 2


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings no command collects print as one line, not with their source line."""
    print(f"warning: {message}", file=sys.stderr)


def _laws(arguments) -> int:
    if arguments.markdown:
        print(law_table())
        return 0
    width = max(map(len, LAWS)) + 2
    for name in sorted(LAWS):
        law = get_law(name)
        print(f"{name:{width}s}{law.plain_formula}")
        print(f"{'':{width}s}{law.purpose}")
        print(
            f"{'':{width}s}covariates: {', '.join(law.covariates)}; "
            f"parameters: {', '.join(law.parameters)}; {law.reference}"
        )
    return 0


def _load_runs(arguments):
    mapping = {role: getattr(arguments, f"column_{role}") for role in ROLE_OPTIONS}
    mapping = {role: column for role, column in mapping.items() if column}
    builtin = arguments.runs == "demo" or arguments.runs in DATASETS
    if builtin and (mapping or arguments.target != "loss"):
        raise UsageError(
            f"column options apply to files, not to the built-in {arguments.runs!r} runs"
        )
    if arguments.runs == "demo":
        runs = demo()
    elif arguments.runs in DATASETS:
        runs = load_dataset(arguments.runs)
    else:
        check_run_source(arguments.runs)
        if mapping and arguments.target != "loss":
            mapping[arguments.target] = arguments.target
        runs = read_runs(arguments.runs, mapping=mapping or None, target=arguments.target)
    return runs


def check_output_path(path) -> None:
    """Refuse an output file that cannot be written, before any sampling is spent on it."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"-o {path} is a folder; name a file in it, e.g. {path / 'fit.nc'}")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: there is no folder {path.parent}")
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror} in {path.parent}") from None


def check_run_source(name: str) -> None:
    """A name that is no file but close to a built-in data set is a typo of it: say which."""
    if Path(name).exists() or Path(name).is_symlink():
        return
    match = difflib.get_close_matches(name, ["demo", *DATASETS], n=1)
    if match:
        raise UsageError(f"no such file or data set: {name!r}; did you mean {match[0]}?")


def _fit(arguments) -> int:
    if arguments.output:
        check_output_path(arguments.output)
    runs = _load_runs(arguments)
    sampler = {
        "draws": arguments.draws,
        "tune": arguments.tune,
        "chains": arguments.chains,
        "progress_bar": not arguments.json and sys.stderr.isatty(),
    }
    fit_options = {
        "min_fraction": arguments.min_fraction,
        "groups": arguments.groups,
        **CHECKPOINT_POLICIES[arguments.checkpoints],
    }
    progress = StderrProgress(enabled=arguments.json)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        if arguments.law == AUTO:
            if arguments.covariate or arguments.likelihood or arguments.no_calibrate:
                raise UsageError(
                    "--law auto chooses covariates, likelihood and calibration itself; drop "
                    "--covariate, --likelihood and --no-calibrate"
                )
            fit = LawEnsemble(sampler=sampler).fit(
                runs,
                random_seed=arguments.seed,
                progress=progress.stage("fitting every law", "each calibrated by nested refits"),
                **fit_options,
            )
            report = fit.report(arguments.ci_prob)
        else:
            options = {"covariate": arguments.covariate} if arguments.covariate else {}
            law = get_law(arguments.law, **options)
            fit = ScalingLawFit(law, likelihood=arguments.likelihood, sampler=sampler)
            fit.fit(
                runs,
                random_seed=arguments.seed,
                # The report reads the posterior, and a file leaves the pointwise groups out.
                pointwise=False,
                progress=progress.stage(f"fitting {law.label}", "sampling"),
                **fit_options,
            )
            if not arguments.no_calibrate:
                calibrate(
                    fit,
                    runs,
                    fit_options=fit_options,
                    random_seed=arguments.seed,
                    progress=progress.stage(
                        "calibrating", "nested refits without the largest runs"
                    ),
                )
            report = fit.report(arguments.ci_prob)
    if arguments.output:
        progress.line(f"saving to {arguments.output}")
        fit.save(arguments.output)
    if arguments.json:
        print(json.dumps(report))
    else:
        print(format_ensemble(fit, report) if arguments.law == AUTO else format_report(fit, report))
        if arguments.output:
            print(f"saved to {arguments.output}")
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return 0


class StderrProgress:
    """Progress as lines on stderr under ``--json``, where nutpie's progress bar is off so that
    stdout holds the report alone: a line when a stage reports its first progress, then one per
    tenth of it done."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def stage(self, label: str, what: str = ""):
        """The stage's progress callback (None when disabled); ``what`` it does is shown once."""
        if not self.enabled:
            return None
        tenths_done = []

        def report(fraction: float) -> None:
            if not tenths_done:
                tenths_done.append(0)
                self.line(f"{label} ({what})" if what else label)
            tenths = min(10, int(10 * fraction))
            if tenths > tenths_done[-1]:
                tenths_done.append(tenths)
                self.line(f"{label}: {10 * tenths}%")

        return report

    def line(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"workbench: {text}\n")
            sys.stderr.flush()


def format_ensemble(ensemble: LawEnsemble, report: dict) -> str:
    source = {"lfo": "nested leave-future-out", "psis-loo": "PSIS-LOO (too few runs for LFO)"}
    lines = [
        f"law auto: {len(report['considered'])} laws considered, stacking weights from "
        f"{source[report['weights_from']]}:"
    ]
    lines += [f"{weight:8.3f}  {label}" for label, weight in report["considered"].items()]
    for label, fit in ensemble.fits_.items():
        lines += ["", format_report(fit, report["laws"][label])]
    return "\n".join(lines)


def format_report(fit: ScalingLawFit, report: dict) -> str:
    low, high = interval_names(report["ci_prob"])
    lines = [
        f"{fit.law.label}: {fit.law.formula}",
        f"{report['n_obs']} observations of {fit.target_}, "
        f"{fit.idata.attrs['likelihood']} likelihood",
        "",
        f"{'parameter':>12s} {'median':>12s}   {percent(report['ci_prob'])}% interval",
    ]
    for group in ("params", "derived", "noise"):
        for name, row in report[group].items():
            lines.append(f"{name:>12s} {row['median']:12.5g}   [{row[low]:.5g}, {row[high]:.5g}]")
    diagnostics = report["diagnostics"]
    lines += [
        "",
        "diagnostics: R-hat max {rhat_max:.3f}, bulk ESS min {ess_bulk_min:.0f}, "
        "tail ESS min {ess_tail_min:.0f}, divergences {divergences}".format(**diagnostics),
    ]
    problems = fit.diagnostics().problems()
    lines.append(
        "do not trust this fit yet: " + "; ".join(problems)
        if problems
        else "diagnostics look healthy"
    )
    lines.append(describe_calibration(report["calibration"]))
    return "\n".join(lines)


def _predict(arguments) -> int:
    # Predictions read the posterior only.
    fit = load_fit(arguments.fit, pointwise=False)
    covariates = {name: getattr(arguments, name) for name in ("N", "D", "C")}
    covariates |= _other_covariates(arguments.at)
    ensemble = isinstance(fit, LawEnsemble)
    law_covariates = fit.covariates if ensemble else fit.law.covariates
    check_targets_used(covariates, law_covariates, AUTO if ensemble else fit.law.label)
    names = tuple(dict.fromkeys(("N", "D", "C", *law_covariates)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExtrapolationWarning)
        table = fit.predict(
            ci_prob=arguments.ci_prob,
            inner_prob=INNER_PROB,
            interval=arguments.interval,
            **covariates,
        )
    table = table[table["kind"] == arguments.kind]
    messages = [str(w.message) for w in caught if issubclass(w.category, ExtrapolationWarning)]
    levels = interval_levels(arguments.ci_prob, INNER_PROB)
    low, high = interval_names(arguments.ci_prob)
    calibrations = (
        fit.calibrations() if ensemble else {fit.law.label: calibration_of(fit).summary()}
    )
    if arguments.json:
        predictions = [
            {
                **{name: row[name] for name in names if name in row},
                "median": row["median"],
                **{name: row[name] for name in interval_columns(levels)},
                # The ci_prob interval under level-free names, for scripts that predate them.
                "ci_low": row[low],
                "ci_high": row[high],
                "distance": row["distance"],
                "interval": row["interval"],
                "beyond_evidence": bool(row["beyond_evidence"]),
                "calibration": calibrations,
            }
            for _, row in table.iterrows()
        ]
        report = {
            "predictions": predictions,
            "ci_prob": arguments.ci_prob,
            "kind": arguments.kind,
            "interval": arguments.interval,
            "law": AUTO if ensemble else fit.law.label,
            "warnings": messages,
        }
        if ensemble:
            report["weights"] = fit.weights_.to_dict()
        print(json.dumps(report))
    else:
        label = fit.label if ensemble else fit.law.label
        print(f"predicted {fit.target_} ({arguments.kind}, {arguments.interval}) from {label}")
        print(prediction_table(table, names).to_string(index=False))
    for message in messages:
        print(f"warning: {message}", file=sys.stderr)
    return 0


def check_targets_used(given: dict, law_covariates, label: str) -> None:
    """Refuse a target covariate the law would ignore: one it does not read, and that no
    covariate it reads is derived from (two of N, D and C give the third)."""
    sizes = {"N", "D", "C"}
    given_names = {name for name, values in given.items() if values is not None}
    needed = set(law_covariates)
    derives = bool((needed & sizes) - given_names)
    unused = sorted(given_names - needed - (sizes if derives else set()))
    if unused:
        options = ", ".join(f"--{name}" if name in sizes else f"--at {name}=" for name in unused)
        raise UsageError(
            f"{label} does not use {', '.join(unused)} (it reads {', '.join(law_covariates)}); "
            f"drop {options}"
        )


def _other_covariates(assignments) -> dict[str, list[str]]:
    """``--at U=25B,50B`` as ``{"U": ["25B", "50B"]}``; values are parsed with the others."""
    values = {}
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        name = name.strip()
        if not equals or not name or not text.strip():
            raise UsageError(f"--at takes NAME=VALUES, e.g. --at U=25B; got {assignment!r}")
        if name in ("N", "D", "C"):
            raise UsageError(f"give {name} with --{name}, not --at")
        values[name] = [part.strip() for part in text.split(",")]
    return values


def prediction_table(table: pd.DataFrame, covariates=("N", "D", "C")) -> pd.DataFrame:
    """A printable copy: covariates in engineering notation, intervals as [low, high]."""
    shown = pd.DataFrame(
        {name: table[name].map("{:.3g}".format) for name in covariates if name in table}
    )
    shown["median"] = table["median"].map("{:.4f}".format)
    if "distance" in table:
        shown["decades past data"] = table["distance"].map("{:.2f}".format)
    for column in [c for c in table.columns if c.startswith("ci_low_")]:
        level = column.removeprefix("ci_low_")
        shown[f"{level}% interval"] = [
            f"[{low:.4f}, {high:.4f}]"
            for low, high in zip(table[column], table[f"ci_high_{level}"], strict=True)
        ]
    return shown


def _demo(arguments) -> int:
    runs = demo(seed=arguments.seed).final_checkpoints()
    print(f"Fitting {arguments.law} to {len(runs)} demo runs (final checkpoints) with NUTS ...")
    fit = ScalingLawFit(arguments.law, sampler={"progress_bar": sys.stderr.isatty()})
    fit.fit(runs, random_seed=arguments.seed)
    calibrate(fit, runs, random_seed=arguments.seed)
    print(format_report(fit, fit.report()))
    largest = runs.data.loc[runs.data["C"].idxmax()]
    scale = np.array([1.0, 3.0, 10.0])
    targets = {"N": largest["N"] * scale, "D": largest["D"] * scale}
    table = fit.predict(targets).query("kind == 'observation'").reset_index(drop=True)
    shown = prediction_table(table)
    shown["true mean"] = get_law("chinchilla").curve(targets, DEMO_TRUTH).round(4)
    print(f"\nExtrapolation to 1x, 3x and 10x the largest run's N and D (new-run {fit.target_},")
    print("calibrated intervals), beside the law the demo was simulated from:")
    print(shown.to_string(index=False))
    if fit.law.has_compute_optimum:
        budgets = largest["C"] * np.array([10.0, 100.0])
        optimum = fit.compute_optimal(budgets)
        low, high = interval_names()
        print("\nCompute-optimal allocation at 10x and 100x the largest run's compute:")
        for _, row in optimum.iterrows():
            print(
                f"  C={row['C']:.3g} {row['quantity']:>21s}: {row['median']:.4g} "
                f"[{row[low]:.4g}, {row[high]:.4g}] ({percent(resolve_ci_prob())}%)"
            )
    return 0


def _passuntil(arguments) -> int:
    from workbench.emergence import (
        PassUntilFit,
        choose_predictions,
        emergence_test,
        extrapolation_distance,
        passuntil_estimate,
        predict_passuntil,
        read_passuntil,
    )

    logs = read_passuntil(arguments.logs)
    sampler = model_sampler(arguments)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        fit = PassUntilFit(sampler=sampler).fit(logs, random_seed=arguments.seed)
        verdict = emergence_test(logs, sampler=sampler, random_seed=arguments.seed)
    choice = choose_predictions(fit, verdict.mixture)
    targets = arguments.target_N or [10 * float(logs.sizes.max())]
    interval = interval_names(arguments.ci_prob)

    def rows(table):
        return [
            {
                **{k: row[k] for k in ("N", "quantity")},
                "median": row["median"],
                **{name: row[name] for name in interval},
            }
            for _, row in table.iterrows()
        ]

    observed = predict_passuntil(fit, logs.sizes, ci_prob=arguments.ci_prob, k=[1])
    naive = passuntil_estimate(logs).set_index("N")
    estimates = [
        {
            **row,
            "instances": int(naive.loc[row["N"], "instances"]),
            "censored": int(naive.loc[row["N"], "censored"]),
        }
        for row in rows(observed[observed["quantity"] == "PU"])
    ]
    predicted = predict_passuntil(choice.model, targets, ci_prob=arguments.ci_prob, k=arguments.k)
    predictions = [
        {**row, "distance_decades": float(extrapolation_distance(row["N"], logs.sizes.max()))}
        for row in rows(predicted)
    ]
    weights = None if choice.weights is None else choice.weights.to_dict()
    report = {
        "n_models": int(logs.sizes.size),
        "n_instances": int(logs.frame["instance"].nunique()),
        "estimates": estimates,
        "params": _population_parameters(fit, arguments.ci_prob),
        "predictions": predictions,
        "prediction_source": choice.source,
        "prediction_text": choice.text,
        "weights": weights,
        "diagnostics": fit.diagnostics().to_dict(),
        "emergence": {
            "verdict": verdict.verdict,
            "p_accelerated": verdict.p_accelerated,
            "p_plain": verdict.p_plain,
            "p_subscaling": verdict.p_subscaling,
            "weights": weights,
            "required_instances": verdict.required_instances,
            "required_sizes": verdict.required_sizes,
            "text": verdict.text,
        },
        "ci_prob": arguments.ci_prob,
    }
    if arguments.json:
        print(json.dumps(report))
    else:
        print(f"PassUntil: {report['n_instances']} instances at {report['n_models']} model sizes")
        level = percent(arguments.ci_prob)
        print(f"\nPU per size (posterior median, {level}% interval):")
        for row in estimates:
            print(
                f"  N={row['N']:.3g}  {row['median']:.3g} [{row[interval[0]]:.3g}, "
                f"{row[interval[1]]:.3g}]  ({row['censored']} of {row['instances']} censored)"
            )
        print(f"\n{choice.text}\nPredictions ({level}% interval):")
        for row in predictions:
            print(
                f"  N={row['N']:.3g} {row['quantity']:>8s}: {row['median']:.4g} "
                f"[{row[interval[0]]:.4g}, {row[interval[1]]:.4g}]"
            )
        print(f"\nEmergence: {verdict.text}")
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return 0


def _population_parameters(fit, ci_prob: float) -> dict:
    """Median and central interval of the population-level task-law parameters."""
    posterior = fit.idata["posterior"]
    return {
        name: {
            key: float(value)
            for key, value in summarize_draws(posterior[name].values.ravel(), (ci_prob,)).items()
        }
        for name in ("mu_b", "mu_alpha", "sd_b", "sd_alpha")
    }


def _add_model_sampler_arguments(parser: argparse.ArgumentParser) -> None:
    """Sampling options of a command whose model sets its own draws and tuning steps."""
    parser.add_argument(
        "--draws", type=whole_number(1), help="posterior draws per chain (model default)"
    )
    parser.add_argument(
        "--tune", type=whole_number(0), help="tuning steps per chain (model default)"
    )
    parser.add_argument("--seed", type=int, default=0)
    add_ci_prob_argument(parser)


def model_sampler(arguments) -> dict:
    """The sampler options given on the command line (the model's defaults fill the rest)."""
    given = {"draws": arguments.draws, "tune": arguments.tune}
    return {name: value for name, value in given.items() if value is not None}


def _add_law_set_arguments(parser: argparse.ArgumentParser, laws_required: bool = True) -> None:
    """The runs, laws and sampler options of `compare`, `backtest` and `calibrate`."""
    parser.add_argument(
        "runs", help="CSV/Parquet/JSON file, or a dataset name: demo, " + ", ".join(DATASETS)
    )
    parser.add_argument(
        "--laws",
        required=laws_required,
        help="comma-separated family names, e.g. chinchilla,kaplan_joint,power_law"
        + ("" if laws_required else " (default: every family the columns allow)"),
    )
    parser.add_argument(
        "--covariate", choices=("N", "D", "C"), help="covariate of one-variable laws"
    )
    parser.add_argument("--target", default="loss", help="metric column to fit (default: loss)")
    for role in ROLE_OPTIONS:
        parser.add_argument(
            f"--{role}",
            dest=f"column_{role}",
            metavar="COLUMN",
            help=f"column holding {role} (overrides auto-detection)",
        )
    parser.add_argument(
        "--checkpoints",
        default="final",
        choices=tuple(CHECKPOINT_POLICIES),
        help="which checkpoints every fit uses, as for `fit` (default: final)",
    )
    parser.add_argument("--draws", type=whole_number(1), default=1000)
    parser.add_argument("--tune", type=whole_number(0), default=1000)
    parser.add_argument("--chains", type=whole_number(1), default=2)
    parser.add_argument("--seed", type=int, default=0)
    add_ci_prob_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _law_set(arguments) -> dict:
    """The laws named in ``--laws``, by name, with ``--covariate`` for one-variable laws."""
    names = [name.strip() for name in arguments.laws.split(",") if name.strip()]
    if len(set(names)) != len(names):
        raise UsageError(f"--laws names a law more than once: {arguments.laws}")
    laws = {}
    for name in names:
        takes_covariate = arguments.covariate and "covariate" in get_law(name).options
        laws[name] = get_law(
            name, **({"covariate": arguments.covariate} if takes_covariate else {})
        )
    return laws


def _law_set_sampler(arguments) -> dict:
    return {
        "draws": arguments.draws,
        "tune": arguments.tune,
        "chains": arguments.chains,
        "progress_bar": not arguments.json and sys.stderr.isatty(),
    }


def _print_warnings(caught, categories) -> None:
    for warning in caught:
        if issubclass(warning.category, categories):
            print(f"warning: {warning.message}", file=sys.stderr)


def _compare(arguments) -> int:
    from workbench.predict import ParetoKWarning, compare

    laws = _law_set(arguments)
    if len(laws) < 2:
        raise UsageError("compare needs two or more laws, e.g. --laws chinchilla,kaplan_joint")
    runs = _load_runs(arguments)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        warnings.simplefilter("always", ParetoKWarning)
        # One fit per law serves both PSIS-LOO and the nested leave-future-out backtests.
        ensemble = LawEnsemble(list(laws.values()), sampler=_law_set_sampler(arguments)).fit(
            runs, random_seed=arguments.seed, **CHECKPOINT_POLICIES[arguments.checkpoints]
        )
        fits = dict(zip(laws, ensemble.candidates_.values(), strict=True))
        comparison = compare(fits)
    report = comparison_report(comparison)
    lfo = ensemble.lfo_table(arguments.ci_prob).rename(
        index=dict(zip(ensemble.candidates_, laws, strict=True))
    )
    report["lfo"] = json.loads(lfo.to_json(orient="index", double_precision=15))
    report["ci_prob"] = arguments.ci_prob
    if arguments.json:
        print(json.dumps(report))
    else:
        print(
            f"PSIS-LOO comparison on {report['n_obs']} observations of "
            f"{next(iter(fits.values())).target_} ({report['method']} weights), best first:"
        )
        print(
            f"{'law':<16s}{'elpd_loo':>10s}{'se':>8s}{'p_loo':>8s}{'elpd_diff':>11s}{'weight':>8s}"
        )
        for name, row in report["laws"].items():
            print(
                f"{name:<16s}{row['elpd_loo']:>10.2f}{row['se']:>8.2f}{row['p_loo']:>8.1f}"
                f"{row['elpd_diff']:>11.2f}{row['weight']:>8.3f}"
            )
        print(
            "\nLeave-future-out (nested backtests on the largest 10/20/30 % of runs; mean per "
            "held-out run, calibrated intervals):"
        )
        print(lfo.to_string(float_format="{:.4g}".format) if len(lfo) else "too few runs")
    _print_warnings(caught, (FitWarning, ParetoKWarning))
    return 0


def comparison_report(comparison) -> dict:
    """The `compare --json` object: per law (best first) ``rank``, ``elpd_loo``, ``se``,
    ``p_loo``, ``elpd_diff``, ``dse`` and ``weight``; the observations with high Pareto k."""
    table, weights = comparison.table, comparison.weights
    laws = {
        name: {
            "rank": int(table.loc[name, "rank"]),
            "elpd_loo": float(table.loc[name, "elpd"]),
            "se": float(table.loc[name, "se"]),
            "p_loo": float(table.loc[name, "p"]),
            "elpd_diff": float(table.loc[name, "elpd_diff"]),
            "dse": float(table.loc[name, "dse"]),
            "weight": float(weights[name]),
        }
        for name in table.index
    }
    first = next(iter(comparison.fits.values()))
    return {
        "n_obs": int(first.idata.attrs["n_obs"]),
        "method": comparison.method,
        "laws": laws,
        "pareto_k_threshold": comparison.pareto_k_threshold,
        "pareto_k": [
            {
                "law": point.law,
                "index": point.index,
                "covariates": point.covariates,
                "observed": point.observed,
                "k": point.k,
            }
            for point in comparison.pareto_k
        ],
        "diagnostics": {name: fit.diagnostics().to_dict() for name, fit in comparison.fits.items()},
    }


def _backtest(arguments) -> int:
    from workbench.backtesting import backtest

    laws = _law_set(arguments)
    runs = _load_runs(arguments)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        result = backtest(
            runs,
            laws,
            holdout_top_frac=arguments.holdout_top_frac,
            by=arguments.by,
            cut=None if arguments.cut is None else parse_quantity(arguments.cut),
            fit_options=CHECKPOINT_POLICIES[arguments.checkpoints],
            sampler=_law_set_sampler(arguments),
            ci_prob=arguments.ci_prob,
            random_seed=arguments.seed,
        )
    report = backtest_report(result)
    if arguments.json:
        print(json.dumps(report))
    else:
        print(f"Backtest: {result.holdout.describe()}; each law fitted to the other runs.")
        shown = result.table.rename(columns={"are": "ARE", "seconds": "time (s)"})
        print(shown.to_string(float_format="{:.4g}".format))
    _print_warnings(caught, FitWarning)
    return 0


def backtest_report(result) -> dict:
    """The `backtest --json` object: the held-out runs; per law ``n_train``, ``n_test``, ``are``,
    ``coverage_50``, ``coverage_90``, ``mean_log_predictive_density``, ``elpd_loo`` and
    ``weight`` (LOO on the training runs; null when not computable) and ``seconds``; and every
    held-out prediction (the rows of ``Backtest.frame``)."""
    holdout = result.holdout
    return {
        "holdout": {
            "by": holdout.by,
            "cut": holdout.cut,
            "n_runs": holdout.n_runs,
            "n_test": len(holdout.runs),
            "runs": list(holdout.runs),
        },
        "laws": json.loads(result.table.to_json(orient="index", double_precision=15)),
        "predictions": json.loads(result.frame.to_json(orient="records", double_precision=15)),
        "ci_prob": result.ci_prob,
        "inner_prob": result.inner_prob,
    }


def _calibrate(arguments) -> int:
    runs = _load_runs(arguments)
    laws = list(_law_set(arguments).values()) if arguments.laws else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        ensemble = LawEnsemble(laws, sampler=_law_set_sampler(arguments)).fit(
            runs, random_seed=arguments.seed, **CHECKPOINT_POLICIES[arguments.checkpoints]
        )
    report = calibration_report(ensemble)
    if arguments.json:
        print(json.dumps(report))
    else:
        titles = {"the stacked mixture (its intervals use this)": report["mixture"]}
        titles |= {
            f"{label} (stacking weight {entry['weight']:.3f})": entry
            for label, entry in report["laws"].items()
        }
        for title, entry in titles.items():
            print(title)
            print("  " + describe_calibration(entry["calibration"]))
            print(f"  {'interval':>10s} {'law-only':>9s} {'calibrated':>11s}")
            for row in entry["coverage"]:
                print(
                    f"  {100 * row['nominal']:>9g}% {row['law']:>9.2f} {row['calibrated']:>11.2f}"
                )
    _print_warnings(caught, FitWarning)
    return 0


def calibration_report(ensemble: LawEnsemble) -> dict:
    """The `calibrate --json` object: under ``mixture``, the calibration the auto fit's intervals
    use (learned from the mixture's selection-free nested backtests); under ``laws``, each law's
    stacking weight and own calibration. Each has its summary, nominal against observed coverage
    on the nested held-out runs, and their LFO-PIT values."""
    laws = {
        label: {"weight": ensemble.considered_[label]} | calibration_entry(calibration)
        for label, calibration in ensemble.calibrations_.items()
    }
    return {
        "weights_from": ensemble.weights_from_,
        "mixture": calibration_entry(ensemble.calibration_),
        "laws": laws,
    }


def calibration_entry(calibration) -> dict:
    return {
        "calibration": calibration.summary(),
        "coverage": calibration.coverage().reset_index().to_dict(orient="records"),
        "pit": {
            "law": calibration.pit(calibrated=False).tolist(),
            "calibrated": calibration.pit().tolist(),
        },
        "evidence": calibration.evidence.to_dict(orient="list"),
    }


def _serve(arguments) -> int:
    command = serve_command(arguments)
    os.environ.update(
        {variable: str(getattr(arguments, option)) for option, variable in SERVE_LIMITS.items()}
    )
    prefix = url_prefix(arguments.prefix)
    print(f"Scaling Workbench: http://{arguments.address}:{arguments.port}{prefix}/", flush=True)
    # Replace this process, so stopping it stops the server.
    os.execv(sys.executable, command)


def serve_command(arguments) -> list[str]:
    """The ``panel serve`` command line that ``workbench serve`` replaces itself with."""
    if arguments.max_upload_mb <= 0:
        raise UsageError("--max-upload-mb must be positive")
    origins = [
        f"{arguments.address}:{arguments.port}",
        f"localhost:{arguments.port}",
        *arguments.allow_websocket_origin,
    ]
    # Websocket messages carry uploads (base64, a third larger) plus protocol overhead.
    message_bytes = int(arguments.max_upload_mb * 1.5 * 2**20) + 2**20
    command = [
        sys.executable,
        "-m",
        "panel",
        "serve",
        str(APP_SCRIPT),
        "--address",
        arguments.address,
        "--port",
        str(arguments.port),
        "--liveness",
        "--websocket-max-message-size",
        str(message_bytes),
        "--setup",
        str(APP_SETUP),
    ]
    if url_prefix(arguments.prefix):
        command += ["--prefix", url_prefix(arguments.prefix)]
    for origin in origins:
        command += ["--allow-websocket-origin", origin]
    return command


def url_prefix(path: str) -> str:
    """``/a/b`` for ``a/b/``, ``/a/b`` or ``/a/b/``; empty for the root."""
    parts = path.strip("/")
    return f"/{parts}" if parts else ""


def _batch(arguments) -> int:
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


def _batch_report(arguments) -> int:
    import holoviews as hv

    from workbench.batch import batch_summary, read_results
    from workbench.plots.batch import plot_batch_summary

    if not (Path(arguments.out) / "results.parquet").exists():
        raise FileNotFoundError(f"{arguments.out} has no results.parquet: run `workbench batch`")
    summary = batch_summary(read_results(arguments.out))
    print("Fitting choices ranked by held-out ARE, coverage error and elpd (1 is best):")
    print(summary.to_string(float_format="{:.4g}".format))
    html = Path(arguments.html or Path(arguments.out) / "report.html")
    hv.extension("bokeh", logo=False)
    with replacing(html) as partial:
        hv.save(
            plot_batch_summary(summary),
            partial,
            backend="bokeh",
            title="Batch report",
            resources="inline",  # the report opens offline
        )
    print(f"Report: {html}")
    return 0


def _steplaw(arguments) -> int:
    from workbench.hyperparameters import StepLawFit

    if (arguments.N is None) != (arguments.D is None):
        raise UsageError("predict at a new setting with both --N and --D")
    if arguments.output:
        check_output_path(arguments.output)
    if Path(arguments.source).suffix == ".nc":
        fit = StepLawFit.load(arguments.source)
    else:
        sampler = model_sampler(arguments)
        fit = StepLawFit(arguments.lr, arguments.batch, arguments.target, sampler=sampler)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit.fit(arguments.source, random_seed=arguments.seed)
        for warning in caught:
            print(f"warning: {warning.message}", file=sys.stderr)
    if arguments.output:
        fit.save(arguments.output)
    report = fit.report(
        ci_prob=arguments.ci_prob,
        targets=None if arguments.N is None else {"N": arguments.N, "D": arguments.D},
        seq_len=arguments.seq_len,
    )
    if arguments.json:
        print(json.dumps(report))
        return 0
    print(f"{fit.label}: {report['n_settings']} (N, D) settings, {report['n_runs']} runs")
    level = f"{percent(arguments.ci_prob)} %"
    low, high = interval_names(arguments.ci_prob)
    print(f"\nParameters (posterior median, {level} interval, R-hat, bulk ESS):")
    for name, row in report["parameters"].items():
        print(
            f"  {name:14s}{row['median']:>11.4g}  [{row[low]:.4g}, {row[high]:.4g}]"
            f"  R-hat {row['r_hat']:.3f}  ESS {row['ess_bulk']:.0f}"
        )
    for row in report["predictions"]:
        print(
            f"{row['quantity']} at N={row['N']:.3g}, D={row['D']:.3g}: {row['median']:.4g} "
            f"[{row[low]:.4g}, {row[high]:.4g}] ({level}, a new setting's optimum)"
        )
    if arguments.output:
        print(f"Saved: {arguments.output}")
    return 0


COMMANDS = {
    "laws": _laws,
    "fit": _fit,
    "predict": _predict,
    "demo": _demo,
    "passuntil": _passuntil,
    "steplaw": _steplaw,
    "compare": _compare,
    "backtest": _backtest,
    "calibrate": _calibrate,
    "serve": _serve,
    "batch": _batch,
    "batch-report": _batch_report,
}

if __name__ == "__main__":
    sys.exit(main())
