"""``workbench compare``, ``backtest`` and ``calibrate``: several laws on one run table, compared
by PSIS-LOO and leave-future-out, scored on held-out larger runs, or their calibration shown."""

import json
import warnings

from workbench.backtesting import LawEnsemble
from workbench.cli.arguments import (
    UsageError,
    checkpoints_argument,
    ci_prob_arguments,
    json_arguments,
    law_set,
    load_runs,
    print_warnings,
    probability,
    runs_arguments,
    sampler_arguments,
    sampler_options,
)
from workbench.fitting import FitWarning
from workbench.fitting.structure import CHECKPOINT_POLICIES
from workbench.predict.calibration import describe_calibration
from workbench.runs import parse_quantity


def law_set_arguments(laws_required: bool = True):
    """The runs, laws and sampler options of `compare`, `backtest` and `calibrate`."""
    parser = runs_arguments()
    parser.add_argument(
        "--laws",
        required=laws_required,
        help="comma-separated family names or formula:EXPRESSION laws, e.g. "
        "chinchilla,kaplan_joint,'formula:E + A*C**-a'"
        + ("" if laws_required else " (default: every family the columns allow)"),
    )
    parser.add_argument(
        "--covariate", choices=("N", "D", "C"), help="covariate of one-variable laws"
    )
    checkpoints_argument(parser, "which checkpoints every fit uses, as for `fit` (default: final)")
    return parser


def register(commands) -> None:
    shared = [sampler_arguments(), ci_prob_arguments(), json_arguments()]
    calibrate = commands.add_parser(
        "calibrate",
        help="nested leave-future-out calibration report: nominal vs observed coverage, LFO-PIT",
        parents=[law_set_arguments(laws_required=False), *shared],
    )
    calibrate.set_defaults(handler=calibrate_command)
    compare = commands.add_parser(
        "compare",
        help="fit several laws to one run table and compare them by PSIS-LOO",
        parents=[law_set_arguments(), *shared],
    )
    compare.set_defaults(handler=compare_command)
    backtest = commands.add_parser(
        "backtest",
        help="fit laws on the smaller runs and score them on the largest",
        parents=[law_set_arguments(), *shared],
    )
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
    backtest.set_defaults(handler=backtest_command)


def compare_command(arguments) -> int:
    from workbench.predict import ParetoKWarning, compare

    laws = law_set(arguments)
    if len(laws) < 2:
        raise UsageError("compare needs two or more laws, e.g. --laws chinchilla,kaplan_joint")
    runs = load_runs(arguments)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        warnings.simplefilter("always", ParetoKWarning)
        # One fit per law serves both PSIS-LOO and the nested leave-future-out backtests.
        ensemble = LawEnsemble(list(laws.values()), sampler=sampler_options(arguments)).fit(
            runs, random_seed=arguments.seed, **CHECKPOINT_POLICIES[arguments.checkpoints]
        )
        fits = dict(zip(laws, ensemble.candidates_.values(), strict=True))
        comparison = compare(fits)
    report = comparison.to_dict()
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
    print_warnings(caught, (FitWarning, ParetoKWarning))
    return 0


def backtest_command(arguments) -> int:
    from workbench.backtesting import backtest

    laws = law_set(arguments)
    runs = load_runs(arguments)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        result = backtest(
            runs,
            laws,
            holdout_top_frac=arguments.holdout_top_frac,
            by=arguments.by,
            cut=None if arguments.cut is None else parse_quantity(arguments.cut),
            fit_options=CHECKPOINT_POLICIES[arguments.checkpoints],
            sampler=sampler_options(arguments),
            ci_prob=arguments.ci_prob,
            random_seed=arguments.seed,
        )
    report = result.to_dict()
    if arguments.json:
        print(json.dumps(report))
    else:
        print(f"Backtest: {result.holdout.describe()}; each law fitted to the other runs.")
        shown = result.table.rename(columns={"are": "ARE", "seconds": "time (s)"})
        print(shown.to_string(float_format="{:.4g}".format))
    print_warnings(caught, FitWarning)
    return 0


def calibrate_command(arguments) -> int:
    runs = load_runs(arguments)
    laws = list(law_set(arguments).values()) if arguments.laws else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        ensemble = LawEnsemble(laws, sampler=sampler_options(arguments)).fit(
            runs, random_seed=arguments.seed, **CHECKPOINT_POLICIES[arguments.checkpoints]
        )
    report = ensemble.calibration_report()
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
    print_warnings(caught, FitWarning)
    return 0
