"""The page ``workbench batch-report`` writes draws its plots in Chromium with no network."""

from batch_results import write_results
from no_network import without_network
from playwright.sync_api import Page

from workbench.cli import main

DRAWN = """() => window.Bokeh !== undefined && Bokeh.documents.length > 0
    && Bokeh.documents.every((document) => document.is_idle)"""
FIGURES = """() => [...Bokeh.index.all_views()]
    .filter((view) => view.model.type === "Figure").map((view) => view.model.title.text)"""
CANVAS_SIZES = "canvases => canvases.map((canvas) => [canvas.width, canvas.height])"


def test_the_batch_report_draws_its_plots_offline(tmp_path, page: Page):
    out = write_results(tmp_path)
    assert main(["batch-report", str(out)]) == 0
    refused, errors = without_network(page), []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto((out / "report.html").as_uri())
    page.wait_for_function(DRAWN, timeout=30_000)

    assert sorted(page.evaluate(FIGURES)) == [
        "Accuracy and calibration",
        "Held-out error by fitting choice",
    ]
    sizes = page.locator("canvas").evaluate_all(CANVAS_SIZES)
    assert any(width >= 300 and height >= 200 for width, height in sizes), sizes
    assert refused == [] and errors == []
