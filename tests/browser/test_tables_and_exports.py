"""How the served dashboard writes numbers, and what its downloads hold, in headless Chromium."""

import re
import struct

import pandas as pd
from no_network import without_network
from playwright.sync_api import Download, Page, expect

from workbench.app import DataView
from workbench.app.export_view import plot_png, png_figure
from workbench.plots import plot_runs

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


AXES = """() => {
  // A log axis writes 10^8 as a base and a raised exponent: read it back as "10^8".
  const text = (box) => box.text ?? `${text(box.base)}^${text(box.expo)}`;
  return [...Bokeh.index.all_views()]
    .filter((view) => typeof view.compute_labels === "function")
    .filter((view) => view.plot_view.el.checkVisibility())
    .map((view) => ({
      title: String(view.model.axis_label),
      formatter: view.model.formatter.type,
      drawn: view.plot_view.is_idle && !window.seenAxes?.has(view),
      labels: view.compute_labels(view.tick_coords.major[view.dimension]).items.map(text),
    }));
}"""
"""Every axis on screen: its title, formatter, whether its plot has been drawn since the last tab
change, and the tick labels BokehJS computes for it (those it draws on the canvas)."""
NEW_AXES_DRAWN = f"""(title) => {{
  const axes = ({AXES})();
  return axes.some((axis) => axis.title === title) && axes.every((axis) => axis.drawn);
}}"""
FORGET_AXES = "() => { window.seenAxes = new WeakSet(Bokeh.index.all_views()); }"
PLOTTED_TABS = [
    (["Data"], "N (parameters)"),
    (["Checks", "Posterior predictive"], "observed loss (nats/token)"),
    (["LOO-PIT"], "ECDF"),
    (["Residuals"], "log(observed / fitted)"),
    (["Pair plot"], "E"),
    (["Posteriors"], "draws"),
    (["Extrapolate"], "tokens per parameter"),
    (["PassUntil"], "PassUntil pass rate (PU)"),
]
"""Tabs (and sub-tabs) to open in turn, each with the title of an axis it shows."""
TICK_LABEL = re.compile(r"-?\d+(\.\d+)?(e[+-]\d+)?|10\^-?\d+")


def axes_of_tab(page: Page, clicks: list[str], title: str) -> list[dict]:
    """The axes of the plots a tab shows, once all of them are drawn."""
    page.evaluate(FORGET_AXES)  # the old tab's plots stay on screen for a moment
    for click in clicks:
        open_tab(page, click)
    page.wait_for_function(NEW_AXES_DRAWN, arg=title, timeout=120_000)
    return page.evaluate(AXES)


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


def export_runs_plot(page: Page, server: str, kind: str) -> Download:
    """Download the demo runs' plot from the Export tab, as ``kind`` ("HTML" or "PNG")."""
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    open_tab(page, "Export")
    page.get_by_label("Plot").select_option("Runs")
    with page.expect_download() as download_info:
        page.get_by_text(f"Save plot ({kind})").click()
    return download_info.value


def test_an_exported_html_plot_renders_offline(server, page: Page, browser, tmp_path):
    path = tmp_path / "runs.html"
    export_runs_plot(page, server, "HTML").save_as(path)

    offline = browser.new_context()
    try:
        viewer = offline.new_page()
        failed = without_network(viewer)
        errors = []
        viewer.on("pageerror", lambda error: errors.append(str(error)))
        viewer.goto(path.as_uri())
        expect(viewer.locator("canvas").first).to_be_attached(timeout=30_000)
        assert failed == [] and errors == []
    finally:
        offline.close()


def test_every_axis_tick_label_in_the_dashboard_is_readable(server, page: Page):
    page.goto(server)
    wait_for_fit(page, "chinchilla")  # the Checks tab needs the fit
    axes = [
        {**axis, "tab": clicks[-1]}
        for clicks, title in PLOTTED_TABS
        for axis in axes_of_tab(page, clicks, title)
    ]
    formatters = {axis["formatter"] for axis in axes}
    # Linear axes with the readable formatter and Bokeh's log axes, read with labels.
    assert {"CustomJSTickFormatter", "LogTickFormatter"} <= formatters, formatters
    assert sum(len(axis["labels"]) for axis in axes) > 100
    for axis in axes:
        labels = axis["labels"]
        assert len(labels) >= 2, axis
        assert len(set(labels)) == len(labels), axis  # neighbouring ticks are told apart
        for label in labels:
            assert TICK_LABEL.fullmatch(label), (label, axis)
            digits = significant_digits(label)
            assert digits <= (3 if "e" in label else 6), (label, axis)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_png_download_is_the_exported_figure_with_plain_log_ticks(server, page: Page):
    download = export_runs_plot(page, server, "PNG")
    assert download.suggested_filename == "runs.png"
    downloaded = download.path().read_bytes()

    # The same plot drawn here, from the runs the dashboard starts with.
    plot = plot_runs(DataView().state.runs)
    expected = plot_png(plot)
    assert png_size(downloaded) == png_size(expected)
    assert 0.9 < len(downloaded) / len(expected) < 1.1
    figure = png_figure(plot)
    figure.canvas.draw()
    for axes in figure.axes:
        assert axes.get_xscale() == axes.get_yscale() == "log"
        losses = [text.get_text() for text in axes.get_yticklabels(which="both")]
        # Losses of 2 to 5 nats/token: plain numbers, not 3×10⁰.
        assert "3" in losses and not any("times" in label for label in losses), losses
