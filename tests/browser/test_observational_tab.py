"""The Observational tab in headless Chromium: its form, and a table it cannot load.

The fit and its report are tested in process (tests/app/test_observational_view.py); here the
page must say what went wrong, in one line, when the authors' table is not where it was told.
"""

from playwright.sync_api import Page, expect


def test_a_missing_table_is_named_in_one_line(server, page: Page, tmp_path):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Observational", exact=True).first.click()
    expect(page.get_by_text("No report yet: press Fit and score.")).to_be_visible(timeout=30_000)
    missing = tmp_path / "base_llm_benchmark_eval.csv"
    table = page.get_by_label("Score table")
    table.fill(str(missing))
    table.press("Enter")
    page.get_by_role("button", name="Fit and score", exact=True).click()
    alert = page.get_by_text("Could not load Ruan et al.'s table")
    expect(alert).to_be_visible(timeout=30_000)
    assert str(missing) in alert.inner_text()
    assert "Offline? Give the path of a local copy" in alert.inner_text()
    assert "Traceback" not in page.content()
