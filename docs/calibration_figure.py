"""Draw ``docs/calibration.png``, the README's calibration report, on Epoch AI's Chinchilla runs.

``chinchilla`` is fitted to the smallest 80 % of the runs by compute and calibrated by nested
backtests on them; the picture is :func:`workbench.plots.plot_calibration` of that fit. Usage:

    .venv/bin/python docs/calibration_figure.py [PATH_OR_URL of svg_extracted_data.csv]
"""

import sys
import tempfile
import warnings
from pathlib import Path

import holoviews as hv

from workbench.backtesting import calibrate, holdout_runs
from workbench.fitting import ScalingLawFit
from workbench.plots import plot_calibration
from workbench.runs.datasets import chinchilla_epoch

REPO = Path(__file__).resolve().parents[1]
LOCAL_COPY = REPO.parent / "shared" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
OUTPUT = REPO / "docs" / "calibration.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else LOCAL_COPY
    runs = chinchilla_epoch(url=source.resolve().as_uri())
    holdout = holdout_runs(runs, holdout_top_frac=0.2)
    train = runs.filter(~runs.data["run"].isin(holdout.runs).to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ScalingLawFit("chinchilla").fit(train, random_seed=0)
    calibrate(fit, train, random_seed=0)
    hv.extension("bokeh")  # the plot's options are Bokeh's
    screenshot(plot_calibration(fit), OUTPUT)
    print(f"wrote {OUTPUT}")


def screenshot(plot, path: Path) -> None:
    """The plot as Bokeh renders it, photographed by headless Chromium (as the browser tests)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "plot.html"
        hv.save(plot, page_path, backend="bokeh", resources="inline")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 420})
            page.goto(page_path.as_uri())
            page.wait_for_selector("canvas")
            page.wait_for_timeout(500)
            page.screenshot(path=str(path), full_page=True)
            browser.close()


if __name__ == "__main__":
    main()
