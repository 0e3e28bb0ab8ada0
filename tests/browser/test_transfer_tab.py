"""The Transfer tab in headless Chromium: a proxy's hyperparameters at a larger target."""

import pytest
from playwright.sync_api import Page, expect


def test_target_hyperparameters_follow_the_inputs(server, page: Page, table_rows):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Transfer", exact=True).first.click()
    expect(page.get_by_text("Hyperparameter transfer.")).to_be_visible(timeout=30_000)
    # The defaults: width 256 -> 4096 (η / 16, λ × 4), batch 256 -> 1024 (η × 2 for Adam).
    result = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="hyperparameter")
    )
    expect(result).to_contain_text("3.750e-4", timeout=30_000)
    rows = {row["hyperparameter"]: row for row in table_rows(page, "hyperparameter")}
    assert float(rows["weight decay"]["target"]) == pytest.approx(0.4)

    page.get_by_label("Optimizer").select_option("sgd")  # η × 4 for the batch instead
    expect(result).to_contain_text("7.500e-4", timeout=30_000)
    width = page.get_by_label("Target width")
    width.fill("0")
    width.press("Enter")
    expect(page.get_by_text("Could not transfer: width must be positive")).to_be_visible(
        timeout=30_000
    )


def test_the_rule_check_fits_the_simulated_sweeps(server, page: Page, table_rows):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Transfer", exact=True).first.click()
    expect(page.get_by_text("45 runs (simulated μP, seed 0)")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Fit the rule").click()
    expect(page.get_by_text("Rule fit finished")).to_be_visible(timeout=180_000)
    (verdict,) = table_rows(page, "agreement")
    assert verdict["agreement"] == "agrees" and verdict["rule"] == "mup_learning_rate"
    assert float(verdict["ci_low_90"]) < -1 < float(verdict["ci_high_90"])
    expect(page.locator(".bk-Canvas, canvas").first).to_be_visible()
    page.get_by_label("Rule").select_option("adamw_weight_decay")
    expect(page.get_by_text("the data's exponent is smaller than the rule's")).to_be_visible(
        timeout=30_000
    )
