"""The Plan tab in headless Chromium: rank the default candidate grid under a budget."""

import re

import pytest
from playwright.sync_api import Page, expect

FIT_MILLISECONDS = 120_000  # the fit on load; a first fit compiles the law
PLAN_MILLISECONDS = 30_000
BUDGET = 1e20
NUMBER = re.compile(r"-?[\d.]+(?:e[-+]?\d+)?")
# The summary names the width now and after the batch, or after its last trusted pick.
SUMMARY = re.compile(
    rf"now: (?P<now>{NUMBER.pattern}); expected after "
    rf"(?:the batch|the first (?P<trusted>\d+) picks): (?P<after>{NUMBER.pattern})"
)
AFFORDABLE = 7  # of the default grid (1e8 to 3e9 parameters × 5, 20, 80 tokens per parameter)


def table_rows(page: Page, column: str) -> list[dict[str, float]]:
    """The rows of the Tabulator table that has a ``column`` header, as header → number.

    Columns without a header (Tabulator's row number and its filler) and columns that are not
    numbers (the ``reliable`` ticks) are left out.
    """
    table = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text=column)
    )
    headers = [title.strip() for title in table.locator(".tabulator-col-title").all_inner_texts()]
    return [
        {
            header: float(cell.strip().replace(",", ""))
            for header, cell in zip(headers, cells, strict=True)
            if header and NUMBER.fullmatch(cell.strip().replace(",", ""))
        }
        for cells in (
            row.locator(".tabulator-cell").all_inner_texts()
            for row in table.locator(".tabulator-row").all()
        )
    ]


def test_plan_ranks_the_grid_and_draws_the_batch(server, page: Page, artifacts):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Fit", exact=True).first.click()
    expect(page.get_by_text("Fit finished: chinchilla on 40 runs")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )

    page.get_by_text("Plan", exact=True).first.click()
    # The tab knows the fit exists before anything is planned.
    expect(page.get_by_text("Ready to plan for the chinchilla fit")).to_be_visible()
    budget = page.get_by_label("Budget")
    budget.fill(f"{BUDGET:g}")
    budget.press("Enter")
    # Dynamic tabs: only the open tab is in the page, and the Plan tab has no plot until planned.
    expect(page.locator("canvas")).to_have_count(0)
    page.get_by_role("button", name="Plan", exact=True).click()

    summary = page.get_by_text("interval width at the target now")
    expect(summary).to_contain_text("expected after", timeout=PLAN_MILLISECONDS)
    numbers = SUMMARY.search(summary.inner_text())
    now, after = float(numbers["now"]), float(numbers["after"])
    ranking = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="reduction_per_flop")
    )
    expect(ranking.locator(".tabulator-row")).to_have_count(AFFORDABLE)
    batch = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="cumulative_cost")
    )
    expect(batch.locator(".tabulator-row").first).to_be_visible()
    # The plot's legend is DOM text; its marks are drawn on canvases.
    expect(page.get_by_text("greedy batch", exact=True)).to_be_visible()
    assert page.locator("canvas").count() > 0

    ranked = table_rows(page, "reduction_per_flop")
    assert all(row["cost"] <= BUDGET and row["N"] >= 1e8 for row in ranked)
    assert all(0 < row["expected_ci_width"] < 1 for row in ranked)
    steps = table_rows(page, "cumulative_cost")
    assert [row["step"] for row in steps] == list(range(1, len(steps) + 1))
    assert 0 < steps[-1]["cumulative_cost"] <= BUDGET
    assert sum(row["cost"] for row in steps) == pytest.approx(steps[-1]["cumulative_cost"])
    trusted = int(numbers["trusted"] or len(steps))
    assert steps[trusted - 1]["expected_ci_width"] == pytest.approx(after, rel=1e-3)
    assert 0 < after < now
    page.screenshot(path=artifacts / "plan.png", full_page=True)
