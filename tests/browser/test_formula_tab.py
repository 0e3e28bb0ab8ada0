"""The Fit tab's formula box in headless Chromium: a bad formula, then a fit of a good one."""

from playwright.sync_api import Page, expect

FIT_MILLISECONDS = 180_000  # the first fit of a formula compiles its model (about 10 s)
FORMULA = "E + A*N**-alpha + B*D**-beta"


def test_type_a_formula_and_fit_the_demo_runs(server, page: Page, table_rows):
    page.goto(server)
    page.get_by_text("Fit", exact=True).first.click()
    # The fit on load, so that ours is not queued behind it.
    expect(page.get_by_text("Fit finished: chinchilla on 40 runs")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )
    page.get_by_label("Law").select_option(label="formula — write your own")
    formula = page.get_by_label("Formula")
    formula.fill("E + A*N**")
    formula.press("Enter")
    expect(
        page.get_by_text('formula "E + A*N**": expected a number, a name or "(" at character 10')
    ).to_be_visible(timeout=30_000)

    formula.fill(FORMULA)
    formula.press("Enter")
    expect(page.get_by_text("parameters E, A, alpha, B, beta")).to_be_visible(timeout=30_000)
    for label in ("Draws", "Tune"):
        page.get_by_label(label).fill("300")
        page.get_by_label(label).press("Enter")
    page.get_by_role("button", name="Fit", exact=True).click()
    expect(page.get_by_text(f"Fit finished: formula:{FORMULA} on 40 runs")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )
    rows = {row["parameter"]: row for row in table_rows(page, "ess_bulk")}
    assert {"E", "A", "alpha", "B", "beta"} <= set(rows)
    # The demo runs' true exponent alpha is 0.35.
    assert 0.2 < float(rows["alpha"]["median"]) < 0.5
    assert "Traceback" not in page.content()
