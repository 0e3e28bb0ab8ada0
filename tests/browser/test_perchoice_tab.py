"""The Per-choice tab in headless Chromium: simulated logs, fit both routes, read the table."""

from playwright.sync_api import Page, expect

FIT_MILLISECONDS = 180_000  # the first fit compiles the model


def test_fit_both_routes_on_the_simulated_logs(server, page: Page, table_rows):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Per-choice", exact=True).first.click()
    expect(page.get_by_text("13 models")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("The logs shown at first are simulated", exact=False)).to_be_visible()

    page.get_by_role("button", name="Fit both routes", exact=True).click()
    expect(page.get_by_text("Fitted 8 models and predicted 5")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )
    rows = {row["model"]: row for row in table_rows(page, "perchoice_median")}
    largest = rows["sim-1e23"]
    # The direct law extrapolates the rise; the per-choice laws foresee the turn.
    assert float(largest["direct_ci_low_90"]) > float(largest["observed"])
    assert float(largest["perchoice_ci_low_90"]) <= float(largest["observed"])
    assert float(largest["observed"]) <= float(largest["perchoice_ci_high_90"])
    expect(page.get_by_text("Per-choice laws", exact=True).first).to_be_visible()
    assert "Traceback" not in page.content()
