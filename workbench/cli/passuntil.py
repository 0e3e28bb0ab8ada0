"""``workbench passuntil``: PassUntil logs to a task scaling law, predictions and the emergence
test."""

import json
import warnings

from workbench.cli.arguments import (
    UsageError,
    ci_prob_arguments,
    json_arguments,
    model_sampler,
    model_sampler_arguments,
    print_warnings,
)
from workbench.fitting import FitWarning
from workbench.intervals import interval_names, percent

POPULATION_PARAMETERS = ["mu_b", "mu_alpha", "sd_b", "sd_alpha"]


def register(commands) -> None:
    passuntil = commands.add_parser(
        "passuntil",
        help="PassUntil logs: task scaling law, predictions and the emergence test",
        parents=[model_sampler_arguments(), ci_prob_arguments(), json_arguments()],
    )
    passuntil.add_argument(
        "logs",
        help="CSV/Parquet/JSON with model, N, instance, attempts, passes; or, with --source "
        "lm-eval, a folder of lm-evaluation-harness per-sample logs",
    )
    passuntil.add_argument(
        "--source",
        choices=["lm-eval"],
        help="read LOGS as lm-evaluation-harness --log_samples output of a generation task run "
        "with repeats (an answer passes when it equals the target)",
    )
    passuntil.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="MODEL=N",
        help="with --source lm-eval: a model's parameters, e.g. EleutherAI/pythia-160m=160M "
        "(repeat for each model)",
    )
    passuntil.add_argument("--task", help="with --source lm-eval: the task's samples to read")
    passuntil.add_argument(
        "--target-N",
        dest="target_N",
        nargs="+",
        metavar="N",
        help="model sizes to predict at (default: 10x the largest)",
    )
    passuntil.add_argument("--k", nargs="+", type=int, default=[1, 10], help="pass@k to report")
    passuntil.set_defaults(handler=passuntil_command)


def passuntil_source(arguments):
    """The logs to read: the file named, or the counts of lm-eval's per-sample logs."""
    if arguments.source is None:
        if arguments.size or arguments.task:
            raise UsageError("--size and --task describe lm-eval logs: add --source lm-eval")
        return arguments.logs
    from workbench.runs.sources import parse_model_sizes, read_lm_eval_samples

    try:
        sizes = parse_model_sizes(arguments.size)
    except ValueError as error:
        raise UsageError(f"--size: {error}") from None
    return read_lm_eval_samples(arguments.logs, sizes, task=arguments.task)


def passuntil_command(arguments) -> int:
    from workbench.emergence import (
        PassUntilFit,
        choose_predictions,
        emergence_test,
        extrapolation_distance,
        passuntil_estimate,
        predict_passuntil,
        read_passuntil,
    )

    logs = read_passuntil(passuntil_source(arguments))
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
        "params": fit.summary(arguments.ci_prob)
        .loc[POPULATION_PARAMETERS, ["median", *interval]]
        .to_dict(orient="index"),
        "predictions": predictions,
        "prediction_source": choice.source,
        "prediction_text": choice.text,
        "weights": weights,
        "diagnostics": fit.diagnostics().to_dict(),
        "emergence": verdict.to_dict(),
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
    print_warnings(caught)
    return 0
