"""``workbench laws``, ``fit``, ``predict`` and ``demo``: the law families, a fit of one law (or
of every law, stacked) with its report, predictions from a saved fit, and the demo."""

import json
import shlex
import sys
import warnings

import numpy as np
import pandas as pd

from workbench.backtesting import LawEnsemble, calibrate, load_fit
from workbench.backtesting.auto import AUTO
from workbench.cli.arguments import (
    UsageError,
    check_output_path,
    checkpoints_argument,
    ci_prob_arguments,
    json_arguments,
    load_runs,
    output_arguments,
    print_warnings,
    runs_arguments,
    sampler_arguments,
    sampler_options,
    target_arguments,
)
from workbench.fitting import FitWarning, ScalingLawFit
from workbench.fitting.structure import CHECKPOINT_POLICIES
from workbench.intervals import (
    INNER_PROB,
    interval_columns,
    interval_levels,
    interval_names,
    percent,
    resolve_ci_prob,
)
from workbench.laws import LAWS, get_law, law_table
from workbench.predict import ExtrapolationWarning, calibration_of
from workbench.predict.calibration import describe_calibration
from workbench.runs import DEMO_TRUTH, demo


def register(commands) -> None:
    laws = commands.add_parser("laws", help="list the law families with their formulas")
    laws.add_argument(
        "--markdown", action="store_true", help="print the README's table of law families"
    )
    laws.set_defaults(handler=laws_command)

    fit = commands.add_parser(
        "fit",
        help="fit a law to a run table",
        parents=[
            runs_arguments(),
            sampler_arguments(),
            ci_prob_arguments(),
            output_arguments(),
            json_arguments(),
        ],
    )
    fit.add_argument(
        "--law",
        required=True,
        help="family name (see `workbench laws`); auto: every family the columns allow, "
        "stacked by leave-future-out; or formula:EXPRESSION, a law you write, such as "
        "'formula:E + A*N**-alpha + B*D**-beta' (N, D and C are covariates, other names "
        "parameters)",
    )
    fit.add_argument(
        "--covariate",
        help="covariate of one-variable laws (N, D or C); with --law formula:..., the run-table "
        "columns the formula reads besides N, D and C, comma-separated (e.g. P)",
    )
    checkpoints_argument(
        fit,
        "final: last checkpoint of each run (default); run-effect: every checkpoint, "
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
    fit.add_argument(
        "--no-calibrate",
        action="store_true",
        help="skip the nested leave-future-out backtests that calibrate the extrapolation error "
        "(predictions then use the default one)",
    )
    fit.set_defaults(handler=fit_command)

    predict = commands.add_parser(
        "predict",
        help="predict from a saved fit",
        parents=[ci_prob_arguments(), json_arguments(), target_arguments()],
    )
    predict.add_argument("fit", help="netCDF file written by `workbench fit -o`")
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
    predict.set_defaults(handler=predict_command)

    demo_parser = commands.add_parser("demo", help="fit the built-in demo runs and extrapolate")
    demo_parser.add_argument("--law", default="chinchilla")
    demo_parser.add_argument("--seed", type=int, default=0)
    demo_parser.set_defaults(handler=demo_command)


def laws_command(arguments) -> int:
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


def fit_command(arguments) -> int:
    if arguments.output:
        check_output_path(arguments.output)
    runs = load_runs(arguments)
    sampler = sampler_options(arguments)
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
            law = get_law(arguments.law, **law_options(arguments))
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
        # The command travels in the file, for the scaling-law card's "reproduce" section.
        for member in fit.fits_.values() if arguments.law == AUTO else [fit]:
            member.idata.attrs["command"] = shlex.join(["workbench", *arguments.command_line])
        fit.save(arguments.output)
    if arguments.json:
        print(json.dumps(report))
    else:
        print(format_ensemble(fit, report) if arguments.law == AUTO else format_report(fit, report))
        if arguments.output:
            print(f"saved to {arguments.output}")
    print_warnings(caught)
    return 0


def law_options(arguments) -> dict:
    """``--covariate`` as the options of the law named by ``--law``."""
    if not arguments.covariate:
        return {}
    if arguments.law.startswith("formula:"):
        names = [name.strip() for name in arguments.covariate.split(",") if name.strip()]
        return {"covariates": tuple(names)}
    if arguments.covariate not in ("N", "D", "C"):
        raise UsageError(
            f"--covariate of a one-variable law is N, D or C, not {arguments.covariate!r}"
        )
    return {"covariate": arguments.covariate}


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
    lines += ["", *(row["sentence"] for row in report["theory"])] if report["theory"] else []
    return "\n".join(lines)


def predict_command(arguments) -> int:
    # Predictions read the posterior only.
    fit = load_fit(arguments.fit, pointwise=False)
    covariates = {name: getattr(arguments, name) for name in ("N", "D", "C")}
    covariates |= other_covariates(arguments.at)
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
                # The ci_prob interval also under level-free names, for scripts that read those.
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


def other_covariates(assignments) -> dict[str, list[str]]:
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


def demo_command(arguments) -> int:
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
