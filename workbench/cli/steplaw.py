"""``workbench steplaw``: the optimal learning rate and batch size from LR/batch sweeps."""

import json
import warnings
from pathlib import Path

from workbench.cli.arguments import (
    UsageError,
    check_output_path,
    ci_prob_arguments,
    json_arguments,
    model_sampler,
    model_sampler_arguments,
    output_arguments,
    print_warnings,
    quantity,
)
from workbench.intervals import interval_names, percent


def register(commands) -> None:
    steplaw = commands.add_parser(
        "steplaw",
        help="optimal learning rate and batch size from LR/batch sweeps (Li et al.'s Step Law)",
        parents=[
            model_sampler_arguments(),
            ci_prob_arguments(),
            output_arguments(),
            json_arguments(),
        ],
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
    steplaw.set_defaults(handler=steplaw_command)


def steplaw_command(arguments) -> int:
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
        print_warnings(caught)
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
