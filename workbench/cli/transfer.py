"""``workbench transfer`` and ``workbench transfer-rule``: hyperparameters from a tuned proxy, and
a transfer rule's exponent checked on sweeps."""

import json
import warnings

from workbench.cli.arguments import (
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
    calculator = commands.add_parser(
        "transfer",
        help="a tuned proxy's learning rate and weight decay at another width and batch size",
        parents=[json_arguments()],
        description="μP's η ∝ 1/width, AdamW's λ ∝ √width (Fan et al. 2025) and η ∝ √B (Adam) "
        "or η ∝ B (SGD).",
    )
    calculator.add_argument("--width", type=quantity, required=True, help="the proxy's width")
    calculator.add_argument("--batch", type=quantity, required=True, help="the proxy's batch")
    calculator.add_argument("--lr", type=float, required=True, help="the proxy's learning rate")
    calculator.add_argument("--weight-decay", type=float, help="the proxy's weight decay")
    calculator.add_argument("--to-width", type=quantity, help="the target's width")
    calculator.add_argument("--to-batch", type=quantity, help="the target's batch size")
    calculator.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    calculator.set_defaults(handler=transfer_command)

    rule = commands.add_parser(
        "transfer-rule",
        help="fit a hyperparameter's optimum against a size (h* ∝ x^p) and check a rule's p",
        parents=[
            model_sampler_arguments(),
            ci_prob_arguments(),
            output_arguments(),
            json_arguments(),
        ],
    )
    rule.add_argument("sweeps", help="runs (CSV/Parquet/JSON): the size, the hyperparameter, loss")
    rule.add_argument("--hyperparameter", default="lr", help="the swept column (default lr)")
    rule.add_argument("--size", default="width", help="the column it scales with (default width)")
    rule.add_argument("--target", help="the loss column (default loss)")
    rule.add_argument("--rule", help="a published rule to check: " + ", ".join(rule_names()))
    rule.set_defaults(handler=transfer_rule_command)


def rule_names() -> list[str]:
    from workbench.hyperparameters.transfer import TRANSFER_RULES

    return list(TRANSFER_RULES)


def transfer_command(arguments) -> int:
    from workbench.hyperparameters import transfer

    proxy = {"width": arguments.width, "batch_size": arguments.batch, "learning_rate": arguments.lr}
    if arguments.weight_decay is not None:
        proxy["weight_decay"] = arguments.weight_decay
    target = {
        name: value
        for name, value in (("width", arguments.to_width), ("batch_size", arguments.to_batch))
        if value is not None
    }
    result = transfer(proxy, target, optimizer=arguments.optimizer)
    if arguments.json:
        print(json.dumps(result))
        return 0
    print(
        f"learning rate {result['learning_rate']:.4g} (the proxy's × {result['width_factor']:.4g} "
        f"for width, × {result['batch_factor']:.4g} for batch size)"
    )
    if "weight_decay" in result:
        print(f"weight decay {result['weight_decay']:.4g}")
    return 0


def transfer_rule_command(arguments) -> int:
    from workbench.hyperparameters import TransferRuleFit

    if arguments.output:
        check_output_path(arguments.output)
    fit = TransferRuleFit(
        arguments.hyperparameter,
        arguments.size,
        arguments.target,
        rule=arguments.rule,
        sampler=model_sampler(arguments),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit.fit(arguments.sweeps, random_seed=arguments.seed)
    print_warnings(caught)
    if arguments.output:
        fit.save(arguments.output)
    report = fit.report(ci_prob=arguments.ci_prob)
    if arguments.json:
        print(json.dumps(report))
        return 0
    exponent = report["exponent"]
    low, high = interval_names(arguments.ci_prob)
    print(
        f"{arguments.hyperparameter}* ∝ {arguments.size}^p over {report['n_settings']} sizes: "
        f"p = {exponent['median']:.3f} [{exponent[low]:.3f}, {exponent[high]:.3f}] "
        f"({percent(arguments.ci_prob)} %)"
    )
    if "rule" in exponent:
        print(
            f"rule {exponent['rule']} (p = {exponent['rule_exponent']:g}): {exponent['agreement']}"
        )
    if arguments.output:
        print(f"Saved: {arguments.output}")
    return 0
