"""``workbench filtering``: which data pool gives the lowest error at a compute budget (Goyal et
al.'s effective-utility law), and the budgets where the best pool changes."""

import json

from workbench.cli.arguments import json_arguments, quantity


def register(commands) -> None:
    filtering = commands.add_parser(
        "filtering",
        help="the best data pool (quality versus quantity) per budget of samples seen",
        parents=[json_arguments()],
        description="Goyal et al. 2024's effective-utility law of data filtering: each pool's "
        "utility decays with repetition, so the best pool changes with compute. Uses the authors' "
        "published T-MARS/ImageNet-1k parameters unless --params is given.",
    )
    filtering.add_argument(
        "--budget",
        nargs="+",
        type=quantity,
        required=True,
        metavar="SAMPLES",
        help="budgets in samples seen, e.g. 32M 640M",
    )
    filtering.add_argument(
        "--range",
        nargs=2,
        type=quantity,
        metavar=("LOW", "HIGH"),
        help="budgets searched for crossovers (default 10M 10B)",
    )
    filtering.add_argument(
        "--params",
        metavar="FILE",
        help="JSON of a, d, pools (name, b, tau, samples_per_epoch) and optionally poolable",
    )
    filtering.set_defaults(handler=filtering_command)


def filtering_command(arguments) -> int:
    from workbench.filtering import GOYAL_TMARS_IMAGENET, UtilityParameters
    from workbench.filtering.planner import DEFAULT_RANGE, plan_report

    parameters = (
        UtilityParameters.read(arguments.params) if arguments.params else GOYAL_TMARS_IMAGENET
    )
    report = plan_report(parameters, arguments.budget, tuple(arguments.range or DEFAULT_RANGE))
    if arguments.json:
        print(json.dumps(report))
        return 0
    print(f"Parameters: {report['source'] or arguments.params}")
    print("\nBest pool per budget (error = 1 − accuracy):")
    for row in report["best"]:
        print(
            f"  {row['budget']:.3g} samples: {row['best']} (error {row['error']:.4f}; "
            f"runner-up {row['runner_up']} by {row['margin']:.4f})"
        )
    low, high = report["budget_range"]
    print(f"\nWhere the best pool changes, between {low:.3g} and {high:.3g} samples:")
    for row in report["crossovers"]:
        print(f"  {row['budget']:.4g} samples: {row['before']} → {row['after']}")
    if not report["crossovers"]:
        print("  nowhere: one pool is best throughout")
    return 0
