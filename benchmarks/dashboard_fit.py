"""Dashboard latency: from pressing Fit to the plot, for a warm fit on Epoch's 240 runs.

Serves the app with ``workbench serve``, uploads the runs in headless Chromium, fits once to warm
the compiled law, then times pressing Fit until the fit is reported and the extrapolation plot is
drawn. The same table shows, as a baseline from the same run, the library's own warm fit.

    .venv/bin/python benchmarks/dashboard_fit.py [--repeats 3]
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from playwright.sync_api import expect, sync_playwright

from benchmarks.fit_speed import LOCAL_COPY, load

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 120_000


def serve(port: int, log) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=2):
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start")


def time_dashboard_fits(url: str, runs_csv: Path, n_runs: int, repeats: int) -> list[float]:
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        expect(page.get_by_text("40 rows")).to_be_visible(timeout=TIMEOUT_MS)
        page.locator("input[type=file]").set_input_files(str(runs_csv))
        expect(page.get_by_text(f"{n_runs} rows")).to_be_visible(timeout=TIMEOUT_MS)
        for repeat in range(repeats + 1):  # the first fit warms up
            page.get_by_text("Fit", exact=True).first.click()
            page.get_by_label("Seed").fill(str(repeat + 10))
            page.get_by_label("Seed").press("Enter")
            status = page.get_by_text(f"Fit finished: chinchilla on {n_runs} runs")
            start = time.perf_counter()
            page.get_by_role("button", name="Fit", exact=True).click()
            expect(page.get_by_text("Sampling chinchilla")).to_be_visible(timeout=TIMEOUT_MS)
            expect(status).to_be_visible(timeout=TIMEOUT_MS)
            page.get_by_text("Extrapolate", exact=True).first.click()
            expect(page.get_by_text("posterior", exact=True).first).to_be_visible(
                timeout=TIMEOUT_MS
            )
            if repeat:
                times.append(time.perf_counter() - start)
        browser.close()
    return times


def library_warm_fit(runs, repeats: int) -> list[float]:
    from workbench.fitting import ScalingLawFit

    ScalingLawFit("chinchilla").fit(runs, random_seed=0)
    times = []
    for repeat in range(repeats):
        start = time.perf_counter()
        ScalingLawFit("chinchilla").fit(runs, random_seed=repeat + 10)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    runs = load(LOCAL_COPY.as_uri() if LOCAL_COPY.exists() else None)
    with tempfile.TemporaryDirectory() as folder:
        runs_csv = Path(folder) / "epoch_240.csv"
        runs.data[["run", "N", "D", "C", "loss"]].to_csv(runs_csv, index=False)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with (Path(folder) / "server.log").open("w") as log:
            server = serve(port, log)
            try:
                dashboard = time_dashboard_fits(
                    f"http://127.0.0.1:{port}/", runs_csv, len(runs), arguments.repeats
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
    library = library_warm_fit(runs, arguments.repeats)
    print(
        f"Warm chinchilla fit on Epoch's {len(runs)} runs (2 chains x 1000 draws), "
        f"{arguments.repeats} repeats"
    )
    print(f"{'measure':<52s}{'median':>8s}{'max':>8s}  target")
    print(
        f"{'dashboard: press Fit -> fit reported + plot drawn (s)':<52s}"
        f"{np.median(dashboard):>8.2f}{np.max(dashboard):>8.2f}  <= 5"
    )
    print(
        f"{'baseline: library ScalingLawFit.fit, same process (s)':<52s}"
        f"{np.median(library):>8.2f}{np.max(library):>8.2f}"
    )


if __name__ == "__main__":
    main()
