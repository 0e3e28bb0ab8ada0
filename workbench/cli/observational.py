"""``workbench observational``: Ruan et al.'s held-out protocol for observational scaling, the
Bayesian low-rank model against a per-family power law."""

import json
import warnings

from workbench.cli.arguments import (
    ci_prob_arguments,
    json_arguments,
    model_sampler,
    model_sampler_arguments,
    whole_number,
)


def register(commands) -> None:
    observational = commands.add_parser(
        "observational",
        help="predict public models' benchmark scores from smaller models (Ruan et al. 2024), "
        "against a per-family power law",
        parents=[json_arguments(), ci_prob_arguments(), model_sampler_arguments()],
        description="Fits latent capabilities, linear in log compute within each family, to the "
        "benchmark scores of the public models below 8.4e22 FLOPs, then scores its predictions "
        "of the larger models and of the 20 pre-registered ones: mean absolute error in points "
        "and interval coverage, beside a power law per family and benchmark.",
    )
    observational.add_argument(
        "--data",
        metavar="PATH_OR_URL",
        help="the authors' base_llm_benchmark_eval.csv (default: their repository, pinned)",
    )
    observational.add_argument(
        "--constants",
        metavar="PATH_OR_URL",
        help="the authors' utils/constants.py naming the pre-registered models (default: pinned)",
    )
    observational.add_argument(
        "--components",
        type=whole_number(1, 8),
        help="latent capabilities K (default 3)",
    )
    observational.set_defaults(handler=observational_command)


def observational_command(arguments) -> int:
    from workbench.downstream import holdout_report
    from workbench.runs.datasets import ruan2024

    sources = {"url": arguments.data, "constants_url": arguments.constants}
    scores = ruan2024(**{name: value for name, value in sources.items() if value})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = holdout_report(
            scores,
            components=arguments.components,
            ci_prob=arguments.ci_prob,
            sampler=model_sampler(arguments) or None,
            random_seed=arguments.seed,
        )
    diagnostics = report.fit.diagnostics()
    attrs = report.fit.idata.attrs
    if arguments.json:
        print(
            json.dumps(
                {
                    "ci_prob": report.ci_prob,
                    "components": report.fit.components,
                    "fitted_models": int(attrs["n_models"]),
                    "dropped_without_flops": int(attrs["dropped_without_flops"]),
                    "r_hat_max": diagnostics.rhat_max,
                    "divergences": diagnostics.divergences,
                    "warnings": [str(warning.message) for warning in caught],
                    "report": report.table.to_dict(orient="records"),
                }
            )
        )
        return 0
    print(
        f"Fitted {attrs['n_models']} models below 8.4e22 FLOPs with {report.fit.components} "
        f"capabilities; {attrs['dropped_without_flops']} without FLOPs left out. "
        f"R-hat max {diagnostics.rhat_max:.3f}, {diagnostics.divergences} divergences."
    )
    for warning in caught:
        print(f"warning: {warning.message}")
    level = f"{100 * report.ci_prob:g} %"
    print(f"\n{'held out':16}{'method':28}{'models':>7}{'scores':>7}{'MAE':>7}  coverage {level}")
    for row in report.table.itertuples():
        print(
            f"{row.group:16}{row.method:28}{row.models:>7}{row.scores:>7}"
            f"{row.mae_points:>7.2f}  {row.coverage:.2f}"
        )
    dropped = report.table.groupby("group")["dropped_without_flops"].first()
    print(
        "\nMAE in points of accuracy (0-100). Pre-registered models without FLOPs cannot be "
        f"placed and are left out: {int(dropped.get('pre-registered', 0))}."
    )
    return 0
