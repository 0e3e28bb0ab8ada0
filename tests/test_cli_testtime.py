"""``workbench testtime``: both allocations per budget, as text and as JSON."""

import contextlib
import io
import json

from workbench.cli import main


def run(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def test_json_gives_both_allocations_per_budget():
    report = json.loads(run("testtime", "--budget", "1e15", "1e9", "--json"))
    assert report["intensity"] == 562.5
    fits, too_small = report["budgets"]
    assert fits["flops"]["model"] == "Qwen3-1.7B" and fits["kinetics"]["model"] == "Qwen3-14B"
    assert fits["flops"]["tokens"] > fits["kinetics"]["tokens"]
    assert too_small == {"budget": 1e9, "flops": None, "kinetics": None}


def test_text_names_the_cost_models():
    text = run("testtime", "--budget", "1e15", "--intensity", "0")
    # With no memory cost the two cost models differ only by the attention FLOPs.
    assert "FLOPs only: Qwen3-1.7B" in text and "Kinetics  :" in text
    assert "simulated" in text
