"""``workbench testtime``: the best model size, generation length and sample count for a test-time
budget, under FLOPs alone and under the Kinetics cost (Sadhukhan et al. 2025)."""

import json

from workbench.cli.arguments import json_arguments, quantity


def register(commands) -> None:
    testtime = commands.add_parser(
        "testtime",
        help="allocate a test-time budget over Qwen3 sizes, tokens and samples, under FLOPs "
        "only and under the Kinetics cost",
        parents=[json_arguments()],
        description="Accuracy follows an illustrative law (simulated, not fitted to real "
        "generations): 1 − (1 − σ(a + b_N log P + b_L log L))^n.",
    )
    testtime.add_argument(
        "--budget",
        nargs="+",
        type=quantity,
        required=True,
        metavar="COST",
        help="budgets per problem, in FLOPs or eFLOPs, e.g. 1e15",
    )
    testtime.add_argument(
        "--prompt-tokens", type=quantity, default=1024, help="prompt length (default 1024)"
    )
    testtime.add_argument(
        "--intensity",
        type=float,
        help="FLOPs per byte of memory traffic (default 562.5, the paper's B200)",
    )
    testtime.set_defaults(handler=testtime_command)


def testtime_command(arguments) -> int:
    from workbench.testtime import B200_INTENSITY, ILLUSTRATIVE_LAW, compare_allocations

    intensity = B200_INTENSITY if arguments.intensity is None else arguments.intensity
    rows = [
        {"budget": budget}
        | compare_allocations(budget, prompt_tokens=arguments.prompt_tokens, intensity=intensity)
        for budget in arguments.budget
    ]
    if arguments.json:
        print(json.dumps({"law": ILLUSTRATIVE_LAW, "intensity": intensity, "budgets": rows}))
        return 0
    print("Best allocation per budget (illustrative accuracy law, simulated):")
    for row in rows:
        print(f"\nBudget {row['budget']:.3g}")
        for model, label in (("flops", "FLOPs only"), ("kinetics", "Kinetics")):
            best = row[model]
            if best is None:
                print(f"  {label:10}: nothing fits")
                continue
            print(
                f"  {label:10}: {best['model']}, {best['tokens']} tokens × {best['samples']} "
                f"samples, accuracy {best['accuracy']:.3f}; costs {best['flops_cost']:.3g} "
                f"FLOPs, {best['kinetics_cost']:.3g} eFLOPs"
            )
    return 0
