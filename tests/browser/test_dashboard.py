"""The served dashboard, driven as a person would in headless Chromium.

BokehJS class names are minified, so the tests find things by visible text and labels; the tables
are Tabulator, whose class names are stable.
"""

import io
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from workbench.backtesting import calibrate
from workbench.fitting import ScalingLawFit
from workbench.runs import demo, read_runs

FIT_SECONDS = 120_000  # milliseconds; a first fit compiles the law
VIEWS = ("Data", "Fit", "Checks", "Extrapolate", "Compare", "Export")
APP_SEED = 1  # the Fit tab's default seed
APP_SAMPLER = {"draws": 1000, "tune": 1000, "chains": 2}
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
UPDATE_SCREENSHOT = "WORKBENCH_UPDATE_SCREENSHOT"
SCREENSHOT_VIEWPORT = {"width": 1200, "height": 780}  # the targets, table and whole plot
SCREENSHOT_MAX_BYTES = 300_000


@pytest.fixture(scope="module")
def runs_file(request, tmp_path_factory):
    """Epoch's Chinchilla points when the shared data is there, else the demo runs."""
    shared = os.environ.get("WORKBENCH_SHARED_DATA")
    folder = shared or request.config.rootpath.parent / "shared" / "data"
    path = os.path.join(folder, "chinchilla_epoch", "chinchilla_points.csv")
    if os.path.exists(path):
        return path
    path = tmp_path_factory.mktemp("runs") / "demo_runs.csv"
    demo().final_checkpoints().data.to_csv(path, index=False)
    return str(path)


def open_tab(page: Page, title: str) -> None:
    page.get_by_text(title, exact=True).first.click()


def upload(page: Page, name: str, content: bytes, mime: str = "text/csv") -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}]
    )


def fit(page: Page, law: str | None = None) -> None:
    open_tab(page, "Fit")
    if law:
        page.get_by_label("Law").select_option(law)
    page.get_by_role("button", name="Fit", exact=True).click()


def wait_for_fit(page: Page, law: str, rows: int) -> None:
    open_tab(page, "Fit")
    expect(page.get_by_text(f"Fit finished: {law} on {rows} runs")).to_be_visible(
        timeout=FIT_SECONDS
    )


def tabulator_with_column(page: Page, column: str):
    """The table that has a column titled ``column``."""
    return page.locator(".tabulator").filter(
        has=page.locator(".tabulator-col-title", has_text=column)
    )


def parameter_median(page: Page, parameter: str) -> float:
    """The median shown for ``parameter`` in the Fit tab's parameter table."""
    table = page.locator(".tabulator").filter(has_text="ess_bulk")
    headers = [title.strip() for title in table.locator(".tabulator-col-title").all_inner_texts()]
    name_column, median_column = headers.index("parameter"), headers.index("median")
    for row in table.locator(".tabulator-row").all():
        cells = row.locator(".tabulator-cell").all_inner_texts()
        if cells[name_column].strip() == parameter:
            return float(cells[median_column].replace(",", ""))
    raise AssertionError(f"no row for {parameter!r} in the parameter table")


def take_readme_screenshot(page: Page, artifacts) -> None:
    """The README's picture: the current view at a fixed size, as test-artifacts/dashboard.png.

    It replaces docs/dashboard.png only when ``$WORKBENCH_UPDATE_SCREENSHOT`` is 1, so the tests
    never rewrite a committed file on their own.
    """
    viewport = page.viewport_size
    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    page.wait_for_timeout(2_000)  # Bokeh lays the plots out again for the new width
    path = artifacts / "dashboard.png"
    page.screenshot(path=path)
    page.set_viewport_size(viewport)
    assert path.stat().st_size < SCREENSHOT_MAX_BYTES
    if os.environ.get(UPDATE_SCREENSHOT) == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, README_SCREENSHOT)


def test_upload_fit_predict_and_download(server, page: Page, runs_file, artifacts):
    page.goto(server)
    # The first visit shows the demo runs with a fit already running or done, and says so.
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("40 simulated demo runs, and a chinchilla fit")).to_be_visible()
    page.screenshot(path=artifacts / "data.png", full_page=True)

    with open(runs_file, "rb") as handle:
        content = handle.read()
    expected_rows = len(pd.read_csv(io.BytesIO(content)))
    upload(page, os.path.basename(runs_file), content)
    expect(page.get_by_text(f"{expected_rows} rows")).to_be_visible(timeout=30_000)

    wait_for_fit(page, "chinchilla", 40)  # the fit on load, still on the demo
    fit(page, "chinchilla")
    wait_for_fit(page, "chinchilla", expected_rows)
    page.screenshot(path=artifacts / "fit.png", full_page=True)
    alpha = parameter_median(page, "alpha")
    assert 0.30 <= alpha <= 0.40
    # Below the parameters, what theory says about the exponents, in words.
    theory = page.locator("p", has_text="Exponents and theory.")
    expect(theory).to_contain_text("d ≈ ")
    said = re.search(r"The loss falls as N\^−(\d\.\d{3})", theory.inner_text())
    assert said and float(said.group(1)) == pytest.approx(alpha, abs=1e-3)

    open_tab(page, "Export")
    waiting = page.get_by_text("needs predictions: press Predict on the Extrapolate tab")
    expect(waiting).to_be_visible(timeout=30_000)

    open_tab(page, "Extrapolate")
    # The plot's legend is DOM text; its title is drawn on the canvas.
    for band in ("90 %", "50 %", "median"):
        expect(page.get_by_text(band, exact=True).first).to_be_visible(timeout=30_000)
    page.get_by_label("Target N (parameters)").fill("70e9")
    page.get_by_label("Target D (tokens)").fill("1.4e12")
    page.get_by_role("button", name="Predict", exact=True).click()
    table = tabulator_with_column(page, "kind")
    expect(table.locator(".tabulator-row")).to_have_count(2, timeout=30_000)
    expect(table).to_contain_text("observation")
    page.screenshot(path=artifacts / "extrapolate.png", full_page=True)
    take_readme_screenshot(page, artifacts)

    with page.expect_download() as download_info:
        page.get_by_text("Download predictions (CSV)").click()
    downloaded = pd.read_csv(download_info.value.path())

    runs = read_runs(runs_file)
    library = ScalingLawFit("chinchilla", sampler=APP_SAMPLER).fit(runs, random_seed=APP_SEED)
    # The dashboard calibrates every fit by nested backtests, as calibrate() does.
    calibrate(library, runs, random_seed=APP_SEED)
    expected = library.predict({"N": [70e9], "D": [1.4e12]})
    assert list(downloaded.columns) == list(expected.columns)
    assert list(downloaded["kind"]) == ["mean", "observation"]
    labels = ["kind", "interval", "beyond_evidence"]
    numeric = [c for c in expected.columns if c not in labels]
    pd.testing.assert_frame_equal(downloaded[numeric], expected[numeric], rtol=1e-9)
    assert (downloaded["interval"] == "calibrated").all()
    assert (
        downloaded.loc[1, "ci_low_90"]
        < downloaded.loc[1, "median"]
        < downloaded.loc[1, "ci_high_90"]
    )

    open_tab(page, "Compare")
    page.get_by_role("button", name="Fit and compare").click()
    loo_table = tabulator_with_column(page, "elpd_diff")
    expect(loo_table.locator(".tabulator-row")).to_have_count(2, timeout=FIT_SECONDS)
    expect(loo_table).to_contain_text("kaplan_joint")
    # Every column is on screen (1280 px wide): the table does not scroll sideways.
    holder = loo_table.locator(".tabulator-tableholder")
    assert holder.evaluate("element => element.scrollWidth <= element.clientWidth")

    for view in ("Checks", "Compare", "Export"):
        open_tab(page, view)
        page.wait_for_timeout(2_000)
        page.screenshot(path=artifacts / f"{view.lower()}.png", full_page=True)
    expect(waiting).to_have_count(0)


def test_bad_uploads_show_errors_and_the_server_stays_up(server, page: Page):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    upload(page, "garbage.csv", b"\x00\x01 this is not a table \xff\xfe")
    expect(page.get_by_text("Could not read")).to_be_visible(timeout=30_000)

    upload(page, "negative.csv", b"N,D,loss\n1e8,2e9,3.1\n-2e8,4e9,3.0\n3e8,6e9,2.9\n")
    error = page.get_by_text("Invalid run table")
    expect(error).to_be_visible(timeout=30_000)
    assert "'N'" in error.inner_text() and "row" in error.inner_text()

    upload(page, "huge.csv", b"N,D,loss\n" + b"1e8,2e9,3.1\n" * 120_000)
    expect(page.get_by_text("above the upload limit", exact=False)).to_be_visible(timeout=30_000)
    assert "Traceback" not in page.content()

    page.get_by_label("Source").select_option(label="Demo runs")
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=30_000)
    fit(page, "chinchilla")
    wait_for_fit(page, "chinchilla", 40)


def test_empty_upload_shows_its_error_and_marks_the_runs_stale(server, page: Page):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    # Once the fit on load is done, so is the server's warm-up fit, which stopping the server
    # in the middle of would log a traceback.
    wait_for_fit(page, "chinchilla", 40)
    open_tab(page, "Data")
    upload(page, "empty.csv", b"")
    expect(
        page.get_by_text("Could not read 'empty.csv' as CSV: 'empty.csv' is empty")
    ).to_be_visible(timeout=30_000)
    expect(
        page.get_by_text("Stale: the table and plot below still show the previous runs (Demo runs")
    ).to_be_visible()
    assert "Traceback" not in page.content()


def test_two_sessions_fit_different_laws_at_once(server, browser, runs_file):
    with open(runs_file, "rb") as handle:
        content = handle.read()
    uploaded_rows = len(pd.read_csv(io.BytesIO(content)))
    first, second = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = first.new_page(), second.new_page()
        for page in (page_a, page_b):
            page.goto(server)
            expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
            wait_for_fit(page, "chinchilla", 40)
        open_tab(page_a, "Data")
        upload(page_a, "runs.csv", content)
        expect(page_a.get_by_text(f"{uploaded_rows} rows")).to_be_visible(timeout=30_000)

        fit(page_a, "chinchilla")
        fit(page_b, "kaplan_joint")
        wait_for_fit(page_a, "chinchilla", uploaded_rows)
        wait_for_fit(page_b, "kaplan_joint", 40)

        assert 0.30 <= parameter_median(page_a, "alpha") <= 0.40
        assert page_b.get_by_text("alpha_N", exact=True).first.is_visible()
        open_tab(page_b, "Data")
        expect(page_b.get_by_text("40 rows")).to_be_visible()
        assert page_b.get_by_text(f"{uploaded_rows} rows").count() == 0
    finally:
        first.close()
        second.close()


def test_eight_sessions_fit_their_own_uploads_at_once(server, browser, server_stacks):
    # More sessions than the server's two fit slots, each with its own number of runs.
    # Chromium draws eight pages while the server fits on the same two cores, so a tab's
    # content can take longer than Playwright's default 5 s to lay out.
    under_load = 30_000
    runs = demo().final_checkpoints().data
    sizes = tuple(range(32, 40))
    contexts = [browser.new_context() for _ in sizes]
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.goto(server)
        for page, size in zip(pages, sizes, strict=True):
            wait_for_fit(page, "chinchilla", 40)
            open_tab(page, "Data")
            upload(page, f"runs_{size}.csv", runs.head(size).to_csv(index=False).encode())
            expect(page.get_by_text(f"{size} rows")).to_be_visible(timeout=under_load)
            open_tab(page, "Fit")
            for label in ("Draws", "Tune"):
                page.get_by_label(label).fill("200")
                page.get_by_label(label).press("Enter")
            # Isolation is under test, not calibration: one fit per session instead of four.
            # The Fit tab's one checkbox, "Calibrate by nested backtests" (Bokeh draws its text
            # beside the box, not in a label, so the box has no accessible name).
            page.get_by_role("checkbox").uncheck()
        for page in pages:
            fit(page)
        # The server fits two at a time and each table size compiles its own model (the
        # compile cache is keyed by the data's shapes), so the last session waits for the whole
        # queue: one deadline for all eight, not one fit's time per page.
        deadline = time.monotonic() + len(sizes) * FIT_SECONDS / 1000
        for page, size in zip(pages, sizes, strict=True):
            others = set(sizes) - {size}
            remaining = max(deadline - time.monotonic(), 1.0) * 1000
            open_tab(page, "Fit")
            try:
                expect(page.get_by_text(f"Fit finished: chinchilla on {size} runs")).to_be_visible(
                    timeout=remaining
                )
            except AssertionError:
                status = [text for text in page.locator("p").all_inner_texts() if "runs" in text]
                pytest.fail(
                    f"the fit on {size} runs did not finish in time; its page says {status}; "
                    f"the server's threads:\n{server_stacks()}"
                )
            expect(page.get_by_text("Extrapolation error: the default")).to_be_visible()
            assert not any(page.get_by_text(f"on {other} runs").count() for other in others)
            open_tab(page, "Data")
            expect(page.get_by_text(f"{size} rows")).to_be_visible(timeout=under_load)
            assert not any(page.get_by_text(f"{other} rows").count() for other in others)
    finally:
        for context in contexts:
            context.close()


def test_the_server_prints_every_threads_stack_on_sigusr1(server_stacks):
    stacks = server_stacks()
    assert "Thread MainThread:" in stacks
    assert "base_events.py" in stacks  # the main thread runs the event loop of every session


def test_screenshots_are_real_images(artifacts):
    shots = {view: artifacts / f"{view.lower()}.png" for view in VIEWS}
    for view, path in shots.items():
        assert path.exists(), f"no screenshot of the {view} view"
        header = path.read_bytes()[:8]
        assert header == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        assert path.stat().st_size > 10_000, f"{path} is suspiciously small"


def test_auto_fit_stacks_laws_and_extrapolates_with_the_mixture(server, page: Page, artifacts):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    wait_for_fit(page, "chinchilla", 40)  # the fit on load
    open_tab(page, "Fit")
    page.get_by_label("Law").select_option(label="auto — stacked by leave-future-out")
    expect(page.get_by_text("fits every law the run table's columns allow")).to_be_visible()
    expect(page.get_by_text("Reset priors")).to_be_hidden()
    page.get_by_role("button", name="Fit", exact=True).click()
    wait_for_fit(page, "auto", 40)
    status = page.get_by_text("Fit finished: auto on 40 runs")
    assert "stacked by leave-future-out over 3 laws" in status.inner_text()
    assert 0.30 <= parameter_median(page, "alpha") <= 0.40  # the top-weighted law: chinchilla
    page.screenshot(path=artifacts / "auto_fit.png", full_page=True)

    open_tab(page, "Extrapolate")
    weights = tabulator_with_column(page, "source")
    expect(weights.locator(".tabulator-row")).to_have_count(3, timeout=30_000)
    # Waiting assertions: the table can be drawn again (a new fit sets the fit and the
    # ensemble), and a one-off read of its text between two drawings is empty.
    expect(weights).to_contain_text("kaplan_joint")
    expect(weights).to_contain_text("lfo")
    page.get_by_role("button", name="Predict", exact=True).click()
    table = tabulator_with_column(page, "kind")
    expect(table.locator(".tabulator-row")).to_have_count(2, timeout=30_000)
    expect(table).to_contain_text("calibrated")
    page.screenshot(path=artifacts / "auto_extrapolate.png", full_page=True)
