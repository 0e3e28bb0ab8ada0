"""``workbench ledger``: record a saved fit's prediction before the run, score it when the run
lands, report how good the predictions have been, and exchange ledgers as Parquet."""

import json
import warnings

from workbench.cli.arguments import (
    UsageError,
    ci_prob_arguments,
    json_arguments,
    parent,
    print_warnings,
    target_arguments,
)
from workbench.cli.fitting import check_targets_used, other_covariates
from workbench.intervals import percent
from workbench.ledger import Ledger, describe_targets, plural, recorded_interval

SUBCOMMANDS = "add, resolve, report, list, export, import"


def ledger_arguments():
    parser = parent()
    parser.add_argument(
        "--ledger",
        metavar="FILE",
        help="the ledger's SQLite file (default: $WORKBENCH_LEDGER, else "
        "~/.local/share/scaling-workbench/ledger.sqlite)",
    )
    return parser


def register(commands) -> None:
    ledger = commands.add_parser(
        "ledger",
        help="record predictions before the run and score them when it lands",
        description="Record a saved fit's prediction before paying for the run (add), store the "
        "outcome when it lands (resolve), and see how good the predictions have been (report).",
    )
    actions = ledger.add_subparsers(dest="action", required=True, metavar=f"{{{SUBCOMMANDS}}}")
    add = actions.add_parser(
        "add",
        help="record a saved fit's prediction at targets",
        parents=[ledger_arguments(), json_arguments(), ci_prob_arguments(), target_arguments()],
    )
    add.add_argument("fit", help="netCDF file written by `workbench fit -o`")
    add.add_argument("--note", help="what this prediction is for, e.g. the run's name")
    add.add_argument(
        "--kind", default="observation", choices=("observation", "mean"), help="as for predict"
    )
    add.add_argument(
        "--interval", default="calibrated", choices=("calibrated", "law"), help="as for predict"
    )
    add.set_defaults(handler=add_command)

    resolve = actions.add_parser(
        "resolve",
        help="store a prediction's outcome and score it",
        parents=[ledger_arguments(), json_arguments()],
    )
    resolve.add_argument("id", type=int, help="the prediction's id, as `add` printed it")
    resolve.add_argument("--observed", type=float, required=True, help="the measured value")
    resolve.set_defaults(handler=resolve_command)

    report = actions.add_parser(
        "report",
        help="coverage, errors and a reliability diagram over the resolved predictions",
        parents=[ledger_arguments(), json_arguments()],
    )
    report.add_argument(
        "--plot", metavar="FILE.html", help="also save the reliability diagram and PIT histogram"
    )
    report.set_defaults(handler=report_command)

    listing = actions.add_parser(
        "list", help="every prediction, one line each", parents=[ledger_arguments()]
    )
    listing.set_defaults(handler=list_command)

    export = actions.add_parser(
        "export", help="write the ledger to a Parquet file", parents=[ledger_arguments()]
    )
    export.add_argument("parquet", help="the file to write")
    export.set_defaults(handler=export_command)

    merge = actions.add_parser(
        "import",
        help="merge a Parquet export into the ledger (by each prediction's uid)",
        parents=[ledger_arguments()],
    )
    merge.add_argument("parquet", help="a file written by `workbench ledger export`")
    merge.set_defaults(handler=import_command)


def open_ledger(arguments) -> Ledger:
    return Ledger(arguments.ledger)


def add_command(arguments) -> int:
    from workbench.backtesting import load_fit
    from workbench.backtesting.auto import AUTO
    from workbench.ledger import LEVELS, predictions_of
    from workbench.predict import ExtrapolationWarning

    if arguments.ci_prob not in LEVELS:
        raise UsageError(f"the ledger keeps intervals at {', '.join(map(str, LEVELS))}")
    fit = load_fit(arguments.fit, pointwise=False)
    covariates = {name: getattr(arguments, name) for name in ("N", "D", "C")}
    covariates |= other_covariates(arguments.at)
    if all(values is None for values in covariates.values()):
        raise UsageError("give the targets to predict at, e.g. --N 7e10 --D 1.4e12")
    members = getattr(fit, "fits_", None)
    law_covariates = fit.covariates if members else fit.law.covariates
    check_targets_used(covariates, law_covariates, AUTO if members else fit.law.label)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExtrapolationWarning)
        records = predictions_of(
            fit,
            arguments.fit,
            kind=arguments.kind,
            interval=arguments.interval,
            ci_prob=arguments.ci_prob,
            note=arguments.note,
            **covariates,
        )
    ledger = open_ledger(arguments)
    ids = ledger.add_many(records)
    entries = [ledger.entry(entry) for entry in ids]
    if arguments.json:
        print(json.dumps({"ledger": str(ledger.path), "added": [public(e) for e in entries]}))
    else:
        level = percent(arguments.ci_prob)
        for entry in entries:
            low, high = recorded_interval(entry)
            print(
                f"prediction {entry['id']}: {entry['target']} {entry['median']:.4f} at "
                f"{describe_targets(entry)}, {level} % interval [{low:.4f}, {high:.4f}] "
                f"({entry['interval']}), in {ledger.path}"
            )
    print_warnings(caught, ExtrapolationWarning)
    return 0


def resolve_command(arguments) -> int:
    entry = open_ledger(arguments).resolve(arguments.id, arguments.observed)
    if arguments.json:
        print(json.dumps(public(entry)))
        return 0
    level = percent(entry["ci_prob"])
    inside = "inside" if entry[f"covered_{level}"] else "outside"
    print(
        f"prediction {entry['id']}: observed {entry['observed']:g} against a median of "
        f"{entry['median']:.4f} (error {entry['error']:+.4f}, "
        f"{100 * entry['relative_error']:.2f} %), {inside} the {level} % interval; "
        f"interval score {entry['interval_score']:.4f}, PIT {entry['pit']:.2f}"
    )
    return 0


def report_command(arguments) -> int:
    ledger = open_ledger(arguments)
    report = ledger.report()
    if arguments.plot:
        write_report_page(report, arguments.plot)
    if arguments.json:
        print(json.dumps(report))
        return 0
    print(
        f"{plural(report['predictions'], 'prediction')} in {report['ledger']}: "
        f"{report['resolved']} resolved, {report['unresolved']} waiting for their run"
    )
    if not report["resolved"]:
        print("nothing to score yet: `workbench ledger resolve ID --observed VALUE`")
        return 0
    print(
        f"coverage: {report['coverage_50']:.2f} at 50 %, {report['coverage_90']:.2f} at 90 %; "
        f"mean error {report['mean_error']:+.4f}, mean relative error "
        f"{100 * report['mean_relative_error']:.2f} %, mean interval score "
        f"{report['mean_interval_score']:.4f}, mean PIT {report['mean_pit']:.2f}"
    )
    print("nominal  observed  honest range")
    for row in report["reliability"]:
        print(
            f"{row['nominal']:>7.2f}  {row['observed']:>8.2f}  "
            f"[{row['honest_low']:.2f}, {row['honest_high']:.2f}]"
        )
    return 0


def write_report_page(report: dict, path) -> None:
    """The reliability diagram and PIT histogram as one page that opens offline."""
    import holoviews as hv

    from workbench.app.offline import standalone_html
    from workbench.atomic import replacing
    from workbench.plots import plot_ledger

    hv.extension("bokeh", logo=False)
    page = standalone_html(plot_ledger(report), title="Prediction ledger")
    with replacing(path) as partial:
        partial.write_text(page, encoding="utf-8")


def list_command(arguments) -> int:
    entries = open_ledger(arguments).records()
    if not entries:
        print("the ledger is empty")
        return 0
    for entry in entries:
        outcome = "waiting" if entry["observed"] is None else f"observed {entry['observed']:g}"
        print(
            f"{entry['id']:>5}  {entry['created']}  {entry['law']}  {describe_targets(entry)}  "
            f"median {entry['median']:.4f}  {outcome}  {entry['note'] or ''}".rstrip()
        )
    return 0


def export_command(arguments) -> int:
    count = open_ledger(arguments).export_parquet(arguments.parquet)
    print(f"wrote {plural(count, 'prediction')} to {arguments.parquet}")
    return 0


def import_command(arguments) -> int:
    ledger = open_ledger(arguments)
    counts = ledger.import_parquet(arguments.parquet)
    print(
        f"merged {arguments.parquet} into {ledger.path}: {counts['added']} added, "
        f"{counts['resolved']} resolved, {counts['unchanged']} already there"
    )
    return 0


def public(entry: dict) -> dict:
    """An entry as JSON, with its interval at its level under the level-free names."""
    low, high = recorded_interval(entry)
    return {**entry, "targets": json.loads(entry["targets"]), "ci_low": low, "ci_high": high}
