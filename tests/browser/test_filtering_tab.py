"""The Filtering tab in headless Chromium: the best pool per budget follows the budget range."""

from playwright.sync_api import Page, expect


def test_the_best_pool_follows_the_budget_range(server, page: Page, table_rows):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Filtering", exact=True).first.click()
    expect(page.get_by_text("Data filtering: quality versus quantity.")).to_be_visible(
        timeout=30_000
    )
    # The published parameters over 1e7-1e10 samples: the best pool changes twice.
    expect(page.get_by_text("Where the best pool changes")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("top0-10% → top0-10% + top10-20%")).to_be_visible()
    rows = table_rows(page, "runner_up")
    assert rows[0]["best"] == "top0-10%"
    assert rows[-1]["best"] == "top0-10% + top10-20% + top20-30%"

    highest = page.get_by_label("Largest budget (samples seen)")
    highest.fill("50000000")  # below the first crossover: the top bucket alone throughout
    highest.press("Enter")
    expect(page.get_by_text("The best pool is the same throughout this range.")).to_be_visible(
        timeout=30_000
    )
    assert {row["best"] for row in table_rows(page, "runner_up")} == {"top0-10%"}

    lowest = page.get_by_label("Smallest budget (samples seen)")
    lowest.fill("1000000")
    lowest.press("Enter")
    expect(page.get_by_text("Could not plan: budgets must exceed")).to_be_visible(timeout=30_000)
