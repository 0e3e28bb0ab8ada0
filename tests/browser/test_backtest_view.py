"""A backtest in the served dashboard's Compare tab, driven in headless Chromium."""

from playwright.sync_api import Page, expect

BACKTEST_SECONDS = 60_000  # milliseconds: two small fits, one law possibly compiled first


def test_backtest_on_the_demo_runs(server, page: Page, artifacts):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Compare", exact=True).first.click()
    for label in ("Draws per chain", "Tuning steps per chain"):
        field = page.get_by_label(label)
        field.fill("200")
        field.press("Enter")
    page.get_by_role("button", name="Run backtest").click()

    expect(page.get_by_text("Backtest finished")).to_be_visible(timeout=BACKTEST_SECONDS)
    expect(page.get_by_text("8 of 40 runs with C >=", exact=False)).to_be_visible()
    table = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="coverage_90")
    )
    rows = table.locator(".tabulator-row")
    expect(rows).to_have_count(2)
    headers = [title.strip() for title in table.locator(".tabulator-col-title").all_inner_texts()]
    laws = {}
    for row in rows.all():
        cells = [cell.strip() for cell in row.locator(".tabulator-cell").all_inner_texts()]
        laws[cells[headers.index("law")]] = float(cells[headers.index("coverage_90")])
    assert set(laws) == {"chinchilla", "kaplan_joint"}
    assert all(0 <= coverage <= 1 for coverage in laws.values())
    page.screenshot(path=artifacts / "backtest.png", full_page=True)
