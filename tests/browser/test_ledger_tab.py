"""The Ledger tab in headless Chromium: the Extrapolate tab's prediction recorded into a ledger
file, its outcome scored, and the report drawn; the file is what the command line reads."""

from playwright.sync_api import Page, expect

from workbench.ledger import Ledger
from workbench.runs import DEMO_TRUTH

FIT_MILLISECONDS = 120_000  # the fit on load; a first fit compiles the law


def truth(N: float, D: float) -> float:
    t = DEMO_TRUTH
    return t["E"] + t["A"] / N ** t["alpha"] + t["B"] / D ** t["beta"]


def open_tab(page: Page, title: str) -> None:
    page.get_by_text(title, exact=True).first.click()


def test_record_a_prediction_and_score_its_outcome(server, page: Page, artifacts, tmp_path):
    path = tmp_path / "team.sqlite"
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    open_tab(page, "Fit")
    expect(page.get_by_text("Fit finished: chinchilla on 40 runs")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )
    open_tab(page, "Ledger")
    page.get_by_role("button", name="Record the Extrapolate tab's predictions").click()
    expect(page.get_by_text("Nothing to record: fit a law and predict")).to_be_visible()

    open_tab(page, "Extrapolate")
    page.get_by_label("Target N (parameters)").fill("30e9")
    page.get_by_label("Target D (tokens)").fill("600e9")
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.get_by_text("observation").first).to_be_visible(timeout=30_000)

    open_tab(page, "Ledger")
    ledger_file = page.get_by_label("Ledger file")
    ledger_file.fill(str(path))
    ledger_file.press("Enter")
    expect(page.get_by_text("0 predictions in")).to_be_visible(timeout=10_000)
    page.get_by_label("Note").fill("30B run")
    page.get_by_role("button", name="Record the Extrapolate tab's predictions").click()
    expect(page.get_by_text("Recorded 1 prediction: id 1.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("0 resolved, 1 waiting for their run")).to_be_visible()

    page.get_by_label("Prediction id").fill("1")
    observed = page.get_by_label("Observed value")
    observed.fill(f"{truth(30e9, 600e9):.4f}")
    observed.press("Enter")
    page.get_by_role("button", name="Score the outcome").click()
    expect(page.get_by_text("inside its 90 % interval")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("1 resolved, 0 waiting for their run")).to_be_visible()
    # The reliability diagram's legend is DOM text; its marks are drawn on canvases.
    expect(page.get_by_text("honest range, 1 outcome", exact=True)).to_be_visible()
    assert page.locator("canvas").count() > 0
    expect(page.get_by_text("30B run").first).to_be_visible()
    page.screenshot(path=artifacts / "ledger.png", full_page=True)

    (entry,) = Ledger(path).records()
    assert entry["note"] == "30B run" and entry["covered_90"] == 1
    assert entry["observed"] == round(truth(30e9, 600e9), 4)
