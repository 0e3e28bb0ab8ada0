"""The IsoFLOP tab in headless Chromium: simulated runs, a broken upload, fit, predict."""

import pytest
from playwright.sync_api import Page, expect

from workbench.hyperparameters import HOFFMANN_TRUTH

FIT_MILLISECONDS = 180_000  # the first fit compiles the model (about 10 s on an idle machine)
PLOTS_DRAWN = """(titles) => {
  const drawn = [...Bokeh.index.all_views()]
    .filter((view) => ["Figure", "Plot"].includes(view.model.type))
    .filter((view) => view.el.checkVisibility() && view.is_idle)
    .map((view) => String(view.model.title?.text ?? ""));
  return titles.every((title) => drawn.some((text) => text.startsWith(title)));
}"""
TRUE_EXPONENT = HOFFMANN_TRUTH["beta"] / (HOFFMANN_TRUTH["alpha"] + HOFFMANN_TRUTH["beta"])


def test_fit_simulated_runs_and_predict_a_larger_budget(server, page: Page, artifacts, table_rows):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("IsoFLOP", exact=True).first.click()
    # The tab opens on simulated runs, as the Data tab opens on demo runs.
    expect(page.get_by_text("63 runs")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("at 7 FLOP budgets, 9 model sizes each")).to_be_visible()

    page.locator("input[type=file]").last.set_input_files(
        files=[{"name": "isoflop.csv", "mimeType": "text/csv", "buffer": b"N,loss\n-1,3\n"}]
    )
    # The message names the user's file, not the server's temporary copy of it.
    expect(page.get_by_text("Invalid runs in 'isoflop.csv': column 'N'")).to_be_visible(
        timeout=30_000
    )
    # The simulated runs stay.
    expect(page.get_by_text("63 runs")).to_be_visible()

    page.get_by_role("button", name="Fit IsoFLOP", exact=True).click()
    expect(page.get_by_text("IsoFLOP fit finished: 7 budgets")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )
    exponents = {row["exponent"]: row for row in table_rows(page, "exponent")}
    a = exponents["a"]
    assert float(a["ci_low_90"]) < TRUE_EXPONENT < float(a["ci_high_90"])
    # b = 1 - a, each written to four significant digits.
    assert float(exponents["b"]["median"]) == pytest.approx(1 - float(a["median"]), abs=2e-4)

    target = page.get_by_label("Target budget C (FLOPs)")
    target.fill("3e24")
    target.press("Enter")
    predictions = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="quantity")
    )
    expect(predictions.locator(".tabulator-row").first).to_contain_text("3.000e+24", timeout=30_000)
    rows = {row["quantity"]: row for row in table_rows(page, "quantity")}
    n_opt, d_opt = (float(rows[name]["median"]) for name in ("N_opt", "D_opt"))
    assert 6 * n_opt * d_opt == pytest.approx(3e24, rel=2e-3)
    # The curves and the frontier, drawn in the open tab.
    page.wait_for_function(PLOTS_DRAWN, arg=["IsoFLOP curves", "Frontier"], timeout=60_000)
    page.screenshot(path=artifacts / "isoflop.png", full_page=True)
    assert "Traceback" not in page.content()
