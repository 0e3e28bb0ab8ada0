"""The scaling-law card that ``workbench report`` writes: every section and plot drawn in
Chromium with no network, from one file under 5 MB."""

import os
import shutil
from pathlib import Path

from no_network import without_network
from playwright.sync_api import Page, expect

from workbench.cli import main

DRAWN = """() => window.Bokeh !== undefined && Bokeh.documents.length > 0
    && Bokeh.documents.every((document) => document.is_idle)"""
FIGURES = """() => [...Bokeh.index.all_views()]
    .filter((view) => view.model.type === "Figure").map((view) => view.model.title.text)"""
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "card.png"
SCREENSHOT_VIEWPORT = {"width": 1200, "height": 780}
FIGURES_DRAWN = [
    "loss against N",
    "loss against D",
    "Posterior predictive check",
    "LOO-PIT calibration",
    "Coverage on held-out larger runs",
    "LFO-PIT (flat when honest)",
    "Error against distance",
    "Extrapolation of chinchilla",
    "compute-optimal N",
    "compute-optimal D",
    "tokens per parameter",
]
SECTIONS = (
    "Data",
    "Law: chinchilla",
    "Posterior",
    "Posterior predictive checks",
    "Calibration",
    "Predictions",
    "Compute-optimal allocation",
    "Reproduce",
)


def test_the_card_draws_every_section_offline(tmp_path, page: Page, artifacts):
    fit, card = tmp_path / "fit.nc", tmp_path / "card.html"
    argv = ["fit", "demo", "--law", "chinchilla", "--draws", "300", "--tune", "300"]
    assert main([*argv, "-o", str(fit)]) == 0
    assert main(["report", str(fit), "-o", str(card), "--N", "7e10", "--D", "1.4e12"]) == 0
    assert card.stat().st_size < 5e6

    refused, errors = without_network(page), []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(card.as_uri())
    page.wait_for_function(DRAWN, timeout=60_000)
    for section in SECTIONS:
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
    assert page.evaluate(FIGURES) == FIGURES_DRAWN
    sizes = page.locator("canvas").evaluate_all(
        "canvases => canvases.map((canvas) => canvas.width * canvas.height)"
    )
    assert len(sizes) >= len(FIGURES_DRAWN) and min(sizes) > 0
    expect(page.get_by_text("workbench fit demo --law chinchilla --draws 300")).to_be_visible()
    assert refused == [] and errors == []
    page.screenshot(path=artifacts / "card_full.png", full_page=True)
    # The README's picture of the card: its first screen. Replaced only on request, as the
    # dashboard's is.
    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    page.wait_for_timeout(2_000)  # Bokeh lays the plots out again for the new width
    page.screenshot(path=artifacts / "card.png")
    if os.environ.get("WORKBENCH_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(artifacts / "card.png", README_SCREENSHOT)
