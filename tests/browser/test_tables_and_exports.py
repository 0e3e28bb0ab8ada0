"""How the served dashboard writes numbers, and what its downloads hold, in headless Chromium."""

import re

import pandas as pd
from playwright.sync_api import Page, expect

FIT_MILLISECONDS = 180_000  # a first fit compiles the law
READABLE_NUMBER = re.compile(r"-?(\d{1,3}(,\d{3})*(\.\d+)?|0\.\d+|\d\.\d{3}e[+-]\d+)")
WHOLE_NUMBER = re.compile(r"\d{1,3}(,\d{3})*")
CLIPPED_CELLS = """() => [...document.querySelectorAll('.tabulator-cell')]
    .filter(cell => cell.scrollWidth > cell.clientWidth + 1).map(cell => cell.innerText)"""


def open_tab(page: Page, title: str) -> None:
    page.get_by_text(title, exact=True).first.click()


def wait_for_fit(page: Page, law: str) -> None:
    open_tab(page, "Fit")
    expect(page.get_by_text(f"Fit finished: {law} on 40 runs")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )


def significant_digits(text: str) -> int:
    mantissa = text.split("e")[0].replace(",", "").replace("-", "").replace(".", "")
    return len(mantissa.lstrip("0"))


def test_the_fit_table_writes_large_numbers_in_scientific_notation(server, page: Page, table_rows):
    page.goto(server)
    wait_for_fit(page, "chinchilla")  # the fit on load
    page.get_by_label("Law").select_option("kaplan_joint")
    for label in ("Draws", "Tune"):
        page.get_by_label(label).fill("300")
        page.get_by_label(label).press("Enter")
    page.get_by_role("button", name="Fit", exact=True).click()
    wait_for_fit(page, "kaplan_joint")

    rows = {row["parameter"]: row for row in table_rows(page, "ess_bulk")}
    # N_c is about 1e14: written out digit by digit, it would be cut off by its cell.
    assert re.fullmatch(r"\d\.\d{3}e\+1[3-5]", rows["N_c"]["median"])
    for row in rows.values():
        for column in ("median", "ci_low_90", "ci_high_90", "r_hat"):
            assert READABLE_NUMBER.fullmatch(row[column]), (column, row)
            assert significant_digits(row[column]) <= 4, (column, row)
        for column in ("ess_bulk", "ess_tail"):
            assert WHOLE_NUMBER.fullmatch(row[column]), (column, row)
    assert page.evaluate(CLIPPED_CELLS) == []


def test_every_click_downloads_the_predictions_shown(server, page: Page):
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(server)
    wait_for_fit(page, "chinchilla")
    open_tab(page, "Extrapolate")
    button = page.get_by_text("Download predictions (CSV)")
    for size, shown in (("70B", "7.000e+10"), ("10B", "1.000e+10")):
        page.get_by_role("button", name="Clear targets").click()  # Predict adds to the targets
        page.get_by_label("Target N (parameters)").fill(size)
        page.get_by_role("button", name="Predict", exact=True).click()
        expect(page.locator(".tabulator-row").first).to_contain_text(shown, timeout=30_000)
        first = len(downloads)
        # Clicks close together each download; made on the server, they would merge into one.
        for _ in range(3):
            button.click()
        for _ in range(100):
            if len(downloads) - first >= 3:
                break
            page.wait_for_timeout(100)
        assert len(downloads) - first == 3
        for download in downloads[first:]:
            table = pd.read_csv(download.path())
            assert list(table["kind"]) == ["mean", "observation"]
            assert (table["N"] == float(shown)).all()


def test_an_exported_html_plot_renders_offline(server, page: Page, browser, tmp_path):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    open_tab(page, "Export")
    page.get_by_label("Plot").select_option("Runs")
    with page.expect_download() as download_info:
        page.get_by_text("Save plot (HTML)").click()
    path = tmp_path / "runs.html"
    download_info.value.save_as(path)

    offline = browser.new_context()
    try:
        viewer = offline.new_page()
        failed = []
        viewer.on("requestfailed", lambda request: failed.append(request.url))

        # No network: every request but the file itself is refused.
        def refuse(route):
            failed.append(route.request.url)
            route.abort()

        viewer.route(re.compile(r"^(?!file:).*"), refuse)
        errors = []
        viewer.on("pageerror", lambda error: errors.append(str(error)))
        viewer.goto(path.as_uri())
        expect(viewer.locator("canvas").first).to_be_attached(timeout=30_000)
        assert failed == [] and errors == []
    finally:
        offline.close()
