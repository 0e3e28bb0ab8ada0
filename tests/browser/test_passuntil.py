"""The PassUntil tab in headless Chromium: upload simulated logs, fit, predict at a target."""

import numpy as np
from playwright.sync_api import Page, expect

from workbench.emergence import InstanceLaw, simulate_passuntil

FIT_MILLISECONDS = 240_000  # the first fit compiles the hierarchical model (about 30 s)
SIZES = np.geomspace(1e8, 1e10, 6)
LAW = InstanceLaw(mu_log_c=1.0, sd_log_c=0.8, mu_alpha=0.4, sd_alpha=0.08, reference_N=1e9)


def test_upload_fit_and_predict_at_a_target(server, page: Page, artifacts, table_rows):
    logs = simulate_passuntil(LAW, SIZES, 100, 2000, 0)
    content = logs.frame.to_csv(index=False).encode()

    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    page.get_by_text("PassUntil", exact=True).first.click()
    # The tab opens on simulated demo logs, as the Data tab opens on demo runs.
    expect(page.get_by_text("(simulated, seed 0)")).to_be_visible(timeout=30_000)
    # Only the open tab is in the page (dynamic tabs); .last is the PassUntil tab's input anyway.
    page.locator("input[type=file]").last.set_input_files(
        files=[{"name": "passuntil.csv", "mimeType": "text/csv", "buffer": content}]
    )
    expect(page.get_by_text("(from passuntil.csv)")).to_be_visible(timeout=30_000)
    estimates = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="pu_high")
    )
    expect(estimates.locator(".tabulator-row")).to_have_count(6, timeout=30_000)

    page.get_by_role("button", name="Fit task law", exact=True).click()
    expect(page.get_by_text("PassUntil fit finished")).to_be_visible(timeout=FIT_MILLISECONDS)

    target = page.get_by_label("Target N (parameters)")
    target.fill("30B")
    target.press("Enter")
    predictions = page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text="quantity")
    )
    # The table of the default target has three rows too: wait for the new target's.
    expect(predictions.locator(".tabulator-row").first).to_contain_text("3.000e+10", timeout=30_000)
    expect(predictions.locator(".tabulator-row")).to_have_count(3)
    rows = table_rows(page, "quantity")
    (pu,) = [row for row in rows if row["quantity"] == "PU"]
    assert float(pu["N"]) == 3e10
    low, median, high = (float(pu[name]) for name in ("ci_low_90", "median", "ci_high_90"))
    assert 0 < low < median < high < 1
    # The redrawn plot's legend (DOM text) has the target; wait for it so that closing the page
    # does not cut off a message the server is still sending.
    expect(page.get_by_text("targets", exact=True).first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(2_000)
    page.screenshot(path=artifacts / "passuntil.png", full_page=True)
    assert "Traceback" not in page.content()
