"""``workbench report``: a saved fit's scaling-law card, one HTML page that opens offline."""

from workbench.cli.arguments import (
    UsageError,
    check_output_path,
    ci_prob_arguments,
    target_arguments,
)
from workbench.cli.fitting import check_targets_used, other_covariates


def register(commands) -> None:
    report = commands.add_parser(
        "report",
        help="the scaling-law card of a saved fit: one HTML page that opens offline",
        description="Write a saved fit's scaling-law card: its data, law, posterior, checks, "
        "calibration, predictions (at the targets given, else ten times the largest run), "
        "compute-optimal allocation and how to reproduce it.",
        parents=[ci_prob_arguments(), target_arguments()],
    )
    report.add_argument("fit", help="netCDF file written by `workbench fit -o`")
    report.add_argument("-o", "--output", required=True, help="the HTML file to write")
    report.set_defaults(handler=report_command)


def report_command(arguments) -> int:
    from workbench.app.card import save_card
    from workbench.backtesting import LawEnsemble, load_fit
    from workbench.backtesting.auto import AUTO

    check_output_path(arguments.output)
    if not arguments.output.endswith((".html", ".htm")):
        raise UsageError(f"-o {arguments.output}: the card is a web page; name a .html file")
    fitted = load_fit(arguments.fit)
    covariates = {name: getattr(arguments, name) for name in ("N", "D", "C")}
    covariates |= other_covariates(arguments.at)
    given = {name: values for name, values in covariates.items() if values is not None}
    if given:
        ensemble = isinstance(fitted, LawEnsemble)
        law_covariates = fitted.covariates if ensemble else fitted.law.covariates
        check_targets_used(given, law_covariates, AUTO if ensemble else fitted.law.label)
    path = save_card(fitted, arguments.output, given or None, arguments.ci_prob)
    size = path.stat().st_size / 1e6
    print(f"wrote the scaling-law card of {arguments.fit} to {arguments.output} ({size:.1f} MB)")
    return 0
