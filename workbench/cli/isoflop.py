"""``workbench isoflop``: compute-optimal N and D from IsoFLOP runs (Hoffmann's approach 2)."""

import json
import warnings
from pathlib import Path

import numpy as np

from workbench.cli.arguments import (
    UsageError,
    check_output_path,
    ci_prob_arguments,
    json_arguments,
    load_runs,
    model_sampler,
    model_sampler_arguments,
    output_arguments,
    print_warnings,
    quantity,
    runs_arguments,
)
from workbench.intervals import interval_names, percent


def register(commands) -> None:
    isoflop = commands.add_parser(
        "isoflop",
        help="compute-optimal N and D from runs at fixed FLOP budgets (IsoFLOP analysis)",
        parents=[
            runs_arguments(),
            model_sampler_arguments(),
            ci_prob_arguments(),
            output_arguments(),
            json_arguments(),
        ],
        description="Locate each FLOP budget's loss-optimal model size and fit N_opt = A·C^a "
        "through them in one Bayesian model. RUNS may also be a fit saved with -o (.nc).",
    )
    isoflop.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="keep only runs whose COLUMN equals VALUE (repeat to combine), e.g. "
        "--where corpus=rw --where 'setting=Cosine decay' on porian2024",
    )
    isoflop.add_argument(
        "--window",
        type=float,
        help="runs within this fraction of their budget's lowest loss locate its optimum "
        "(default 0.03)",
    )
    isoflop.add_argument(
        "--budget",
        nargs="+",
        type=quantity,
        metavar="FLOPS",
        help="FLOP budgets to predict N_opt and D_opt at, e.g. 1e23",
    )
    isoflop.set_defaults(handler=isoflop_command)


def isoflop_command(arguments) -> int:
    from workbench.hyperparameters import IsoFlopFit

    if arguments.output:
        check_output_path(arguments.output)
    if Path(arguments.runs).suffix == ".nc":
        fit = IsoFlopFit.load(arguments.runs)
    else:
        runs = select_runs(load_runs(arguments), arguments.where)
        options = {"window": arguments.window} if arguments.window else {}
        fit = IsoFlopFit(sampler=model_sampler(arguments), **options)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit.fit(runs, random_seed=arguments.seed)
        print_warnings(caught)
    if arguments.output:
        fit.save(arguments.output)
    targets = None if arguments.budget is None else {"C": arguments.budget}
    report = fit.report(ci_prob=arguments.ci_prob, targets=targets)
    if arguments.json:
        print(json.dumps(report))
        return 0
    level = f"{percent(arguments.ci_prob)} %"
    low, high = interval_names(arguments.ci_prob)
    print(f"IsoFLOP analysis: {report['n_settings']} budgets, {report['n_runs']} runs near minima")
    print(f"\nExponents (posterior median, {level} interval):")
    for name, meaning in (("a", "N_opt ∝ C^a"), ("b", "D_opt ∝ C^b")):
        row = report["exponents"][name]
        print(f"  {name} = {row['median']:.4f}  [{row[low]:.4f}, {row[high]:.4f}]  ({meaning})")
    print(f"\nEach budget's optimum (median, {level} interval):")
    n_low, n_high = interval_names(arguments.ci_prob, "N_opt")
    for row in report["budgets"]:
        print(
            f"  C={row['C']:.3g}: N_opt {row['N_opt']:.3g} [{row[n_low]:.3g}, {row[n_high]:.3g}]"
            f" from {row['n_selected']} of {row['n_runs']} runs"
        )
    for row in report["predictions"]:
        print(
            f"{row['quantity']} at C={row['C']:.3g}: {row['median']:.4g} "
            f"[{row[low]:.4g}, {row[high]:.4g}] ({level}, with the budgets' scatter)"
        )
    if arguments.output:
        print(f"Saved: {arguments.output}")
    return 0


def select_runs(runs, conditions):
    """The runs whose columns equal every ``COLUMN=VALUE`` in ``conditions``."""
    mask = np.ones(len(runs), dtype=bool)
    for condition in conditions:
        column, equals, value = condition.partition("=")
        if not equals or not column:
            raise UsageError(f"--where takes COLUMN=VALUE, got {condition!r}")
        if column not in runs.data.columns:
            raise UsageError(
                f"--where {condition!r}: no column {column!r}; the runs have "
                f"{', '.join(map(str, runs.data.columns))}"
            )
        values = runs.data[column]
        matches = (values.astype(str) == value).to_numpy()
        if not matches.any():
            choices = ", ".join(sorted(map(str, values.unique()))[:12])
            raise UsageError(f"--where {condition!r} matches no run; {column} takes: {choices}")
        mask &= matches
    if not mask.any():
        raise UsageError(f"no run matches every --where condition: {conditions}")
    return runs.filter(mask)
