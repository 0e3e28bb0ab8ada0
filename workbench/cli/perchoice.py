"""``workbench perchoice``: per-choice probability laws fitted to lm-evaluation-harness
``--log_samples`` logs, accuracy predicted at the larger models by simulating the comparison of
the choices, side by side with a sigmoid law fitted to accuracy itself (Schaeffer et al. 2024).

``workbench perchoice --simulate OUT_DIR`` writes simulated logs to try it on: no public
per-choice log-likelihoods by model size were found.
"""

import json
import warnings

import pandas as pd

from workbench.cli.arguments import (
    UsageError,
    ci_prob_arguments,
    json_arguments,
    print_warnings,
    quantity,
)
from workbench.intervals import interval_names, percent


def register(commands) -> None:
    perchoice = commands.add_parser(
        "perchoice",
        help="predict multiple-choice accuracy from per-choice probability laws fitted to "
        "lm-evaluation-harness --log_samples logs, against a direct accuracy law",
        parents=[ci_prob_arguments(), json_arguments()],
        description="Fits the per-choice laws and a sigmoid accuracy law on the models at or "
        "below --holdout-above and predicts the others' accuracy. One samples_<task>_<date>."
        "jsonl log per model; a log is named by its folder (lm-evaluation-harness writes "
        "<output>/<model>/samples_...), else by its file name. --simulate writes simulated "
        "logs (no public per-choice data was found) and their compute.csv.",
    )
    perchoice.add_argument(
        "logs",
        nargs="*",
        help="one --log_samples JSONL log per model, or folders holding samples_*.jsonl logs",
    )
    perchoice.add_argument(
        "--compute",
        nargs="+",
        default=[],
        metavar="MODEL=C",
        help="each model's training compute in FLOPs, e.g. pythia-1b=2.1e21",
    )
    perchoice.add_argument(
        "--compute-table", metavar="CSV", help="a CSV with columns model and C instead"
    )
    perchoice.add_argument(
        "--holdout-above",
        type=quantity,
        metavar="C",
        help="predict the models above this compute (default: the top 40 %% of log compute)",
    )
    perchoice.add_argument("--seed", type=int, default=0)
    perchoice.add_argument(
        "--simulate", metavar="OUT_DIR", help="write simulated logs and compute.csv to OUT_DIR"
    )
    perchoice.set_defaults(handler=perchoice_command)


def compute_mapping(arguments) -> dict[str, float]:
    """Each model's compute from ``--compute-table`` and ``--compute MODEL=C``."""
    from workbench.downstream import parse_compute

    compute = {}
    if arguments.compute_table:
        table = pd.read_csv(arguments.compute_table)
        if not {"model", "C"} <= set(table.columns):
            raise UsageError(f"{arguments.compute_table} needs the columns model and C")
        compute |= dict(zip(table["model"].astype(str), table["C"].astype(float), strict=True))
    return compute | parse_compute(arguments.compute)


def perchoice_command(arguments) -> int:
    from workbench.downstream import (
        compare_routes,
        read_choice_logs,
        simulate_choice_logs,
        write_choice_logs,
    )

    if arguments.simulate:
        paths = write_choice_logs(
            simulate_choice_logs(random_seed=arguments.seed), arguments.simulate
        )
        folder = arguments.simulate
        print(
            f"Wrote {len(paths)} simulated logs (no public per-choice data was found) and "
            f"{folder}/compute.csv; fit them with\n  workbench perchoice {folder} "
            f"--compute-table {folder}/compute.csv"
        )
        return 0
    if not arguments.logs:
        raise UsageError("give the logs to fit, or --simulate OUT_DIR")
    logs = read_choice_logs(arguments.logs, compute_mapping(arguments))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare_routes(logs, arguments.holdout_above, random_seed=arguments.seed)
    print_warnings(caught)
    diagnostics = comparison.perchoice.diagnostics()
    ci_prob = arguments.ci_prob
    table = comparison.table(ci_prob)
    if arguments.json:
        report = {
            "ci_prob": ci_prob,
            "fitted_models": list(comparison.fitted.models),
            "held_out": json.loads(table.to_json(orient="records")),
            "scores": comparison.scores(ci_prob),
            "problems": diagnostics.problems(),
        }
        print(json.dumps(report))
        return 0
    low, high = interval_names(ci_prob)
    print(
        f"Fitted {len(comparison.fitted.models)} models (≤ {comparison.fitted.compute.max():.3g} "
        f"FLOPs), {logs.n_items} items × {logs.n_choices} choices; predicted accuracy with "
        f"{percent(ci_prob)} % intervals:"
    )
    for row in table.itertuples(index=False):
        row = row._asdict()
        routes = "; ".join(
            f"{label} {row[f'{route}_median']:.3f} [{row[f'{route}_{low}']:.3f}, "
            f"{row[f'{route}_{high}']:.3f}]"
            for route, label in (("perchoice", "per-choice"), ("direct", "direct"))
        )
        print(f"  {row['model']} ({row['C']:.3g} FLOPs): observed {row['observed']:.3f}; {routes}")
    for route, score in comparison.scores(ci_prob).items():
        print(
            f"{route}: mean absolute error {score['mean_absolute_error']:.3f}, "
            f"{score['coverage']:.0%} of intervals cover"
        )
    return 0
