"""Hyperparameter transfer: the calculator against hand computations, and a rule's exponent
recovered from simulated sweeps, through the API and the CLI."""

import contextlib
import io
import json

import pytest

from workbench.cli import main
from workbench.hyperparameters import (
    TRANSFER_RULES,
    TransferRuleFit,
    simulate_transfer_sweeps,
    transfer,
)

WIDTHS = [256, 512, 1024, 2048, 4096]
PROXY = {"width": 256, "batch_size": 256, "learning_rate": 3e-3, "weight_decay": 0.1}


def test_adam_transfer_by_hand():
    # 16x the width: η × 1/16 (μP), λ × √16 = 4 (Fan et al.); 4x the batch: η × √4 = 2.
    result = transfer(PROXY, {"width": 4096, "batch_size": 1024})
    assert result["learning_rate"] == pytest.approx(3e-3 / 16 * 2)
    assert result["weight_decay"] == pytest.approx(0.4)
    assert (result["width_factor"], result["batch_factor"]) == pytest.approx((1 / 16, 2))


def test_sgd_scales_the_learning_rate_with_the_batch_and_a_missing_target_stays():
    result = transfer(PROXY, {"batch_size": 768}, optimizer="sgd")
    assert result["learning_rate"] == pytest.approx(3e-3 * 3)
    assert result["weight_decay"] == pytest.approx(0.1)  # same width
    without_decay = {name: value for name, value in PROXY.items() if name != "weight_decay"}
    assert "weight_decay" not in transfer(without_decay, {"width": 512})


@pytest.mark.parametrize(
    ("proxy", "options", "message"),
    [
        ({"width": 256, "learning_rate": 1e-3}, {}, "the proxy needs its batch_size"),
        (PROXY | {"learning_rate": -1.0}, {}, "learning_rate must be positive"),
        (PROXY, {"optimizer": "lion"}, "optimizer must be one of"),
    ],
)
def test_bad_input_says_what_is_wrong(proxy, options, message):
    with pytest.raises(ValueError, match=message):
        transfer(proxy, {"width": 512}, **options)


def test_the_rules_carry_the_published_exponents():
    exponents = {name: rule.exponent for name, rule in TRANSFER_RULES.items()}
    assert exponents == {
        "mup_learning_rate": -1.0,
        "adamw_weight_decay": 0.5,
        "sgd_batch": 1.0,
        "adam_batch": 0.5,
    }


@pytest.fixture(scope="module")
def mup_sweeps(tmp_path_factory):
    path = tmp_path_factory.mktemp("transfer") / "sweeps.csv"
    simulate_transfer_sweeps(WIDTHS, -1.0, random_seed=0).drop(columns="lr_opt").to_csv(
        path, index=False
    )
    return path


def test_recovers_the_mup_exponent_and_agrees_with_the_rule(mup_sweeps, tmp_path):
    fit = TransferRuleFit("lr", "width", rule="mup_learning_rate").fit(mup_sweeps, random_seed=0)
    verdict = fit.verdict(ci_prob=0.9)
    assert verdict["ci_low_90"] < -1.0 < verdict["ci_high_90"]
    assert verdict["agreement"] == "agrees"
    assert fit.diagnostics().divergences == 0
    loaded = TransferRuleFit.load(fit.save(tmp_path / "rule.nc"))
    assert loaded.verdict() == fit.verdict()


def test_a_rule_the_data_do_not_follow_is_called_out():
    sweeps = simulate_transfer_sweeps(WIDTHS, -0.5, random_seed=1).drop(columns="lr_opt")
    verdict = TransferRuleFit(rule="mup_learning_rate").fit(sweeps, random_seed=1).verdict()
    assert verdict["ci_low_90"] > -1.0
    assert verdict["agreement"] == "the data's exponent is larger than the rule's"


def run_json(argv) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return json.loads(out.getvalue())


def test_cli_calculator_and_rule_fit(mup_sweeps):
    options = ["--width", "256", "--batch", "256", "--lr", "3e-3", "--weight-decay", "0.1"]
    result = run_json(["transfer", *options, "--to-width", "4096", "--to-batch", "1024", "--json"])
    assert result == transfer(PROXY, {"width": 4096, "batch_size": 1024})
    report = run_json(
        ["transfer-rule", str(mup_sweeps), "--rule", "mup_learning_rate", "--seed", "0", "--json"]
    )
    assert report["n_settings"] == len(WIDTHS)
    assert report["exponent"]["agreement"] == "agrees"
    assert report["exponent"]["rule_exponent"] == -1.0
