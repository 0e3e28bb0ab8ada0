"""Served memory: does the server's RSS stay flat over many sessions, each fitting and closing?

Serves the app with ``workbench serve`` on a free loopback port and opens ``--sessions`` pages in
sequence in headless Chromium. Each page waits for the fit made on load (the demo runs), runs a
small fit (200 draws) with a new seed, and closes. Bokeh frees a closed session within about 30 s
(its unused-session lifetime plus check interval), so the RSS is read after waiting that long:
once after the first session and once after the last.

    .venv/bin/python benchmarks/served_memory.py [--sessions 30]
"""

import argparse
import socket
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from benchmarks.dashboard_fit import CHROMIUM_ARGS, TIMEOUT_MS, serve

SESSION_CLEANUP_SECONDS = 40
"""Bokeh's default unused-session lifetime (15 s) and check interval (17 s), with a margin."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def one_session(browser, url: str, seed: int) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_text("Fit", exact=True).first.click()  # the tabs render when first shown
    expect(page.get_by_text("Fit finished: chinchilla on 40 runs")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    for label, value in (("Draws", 200), ("Tune", 200), ("Seed", seed)):
        page.get_by_label(label).fill(str(value))
        page.get_by_label(label).press("Enter")
    page.get_by_role("button", name="Fit", exact=True).click()
    expect(page.get_by_role("button", name="Cancel")).to_be_enabled(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Fit finished: chinchilla on 40 runs")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    page.close()


def soak(url: str, pid: int, sessions: int) -> tuple[float, float, float]:
    """RSS (MB) after the first session, after the last, and the seconds per session."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        one_session(browser, url, seed=1)
        time.sleep(SESSION_CLEANUP_SECONDS)
        first = rss_mb(pid)
        start = time.perf_counter()
        for seed in range(2, sessions + 1):
            one_session(browser, url, seed)
        per_session = (time.perf_counter() - start) / max(sessions - 1, 1)
        browser.close()
    time.sleep(SESSION_CLEANUP_SECONDS)
    return first, rss_mb(pid), per_session


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    arguments = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "server.log").open("w") as log:
        # ``workbench serve`` replaces itself with ``panel serve``: the pid is the server's.
        server = serve(port, log)
        try:
            first, last, per_session = soak(
                f"http://127.0.0.1:{port}/", server.pid, arguments.sessions
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{arguments.sessions} sessions in sequence, each: fit on load, a 200-draw fit, close")
    print(f"{'measure':<44s}{'value':>10s}  target")
    print(f"{'server RSS after the first session (MB)':<44s}{first:>10.0f}")
    print(f"{f'server RSS after {arguments.sessions} sessions (MB)':<44s}{last:>10.0f}")
    print(f"{'difference (MB)':<44s}{last - first:>10.0f}  <= 150")
    print(f"{'seconds per session':<44s}{per_session:>10.1f}")


if __name__ == "__main__":
    main()
