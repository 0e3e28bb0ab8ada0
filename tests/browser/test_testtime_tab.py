"""The Test-time tab in headless Chromium: a budget's allocations under both cost models."""

from playwright.sync_api import Page, expect


def test_allocations_follow_the_budget(server, page: Page, table_rows):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Test-time", exact=True).first.click()
    expect(page.get_by_text("Test-time compute.")).to_be_visible(timeout=30_000)
    result = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="cost model")
    )
    # At the default 1e15: FLOPs only picks Qwen3-1.7B with 4,096 tokens, Kinetics Qwen3-14B.
    expect(result).to_contain_text("Qwen3-14B", timeout=30_000)
    rows = {row["cost model"]: row for row in table_rows(page, "cost model")}
    assert rows["FLOPs only (2nPL)"]["model"] == "Qwen3-1.7B"
    assert rows["Kinetics eFLOPs (+ attention, KV)"]["model"] == "Qwen3-14B"
    expect(page.locator(".bk-Canvas, canvas").first).to_be_visible(timeout=30_000)

    budget = page.get_by_label("Budget (FLOPs or eFLOPs)")
    budget.fill("1e16")
    budget.press("Enter")
    expect(result).to_contain_text("Qwen3-32B", timeout=30_000)
    budget.fill("0")
    budget.press("Enter")
    expect(page.get_by_text("Could not allocate: budget must be positive")).to_be_visible(
        timeout=30_000
    )
