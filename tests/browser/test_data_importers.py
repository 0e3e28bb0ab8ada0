"""The Data tab's importers in headless Chromium: a zipped TensorBoard log folder and a zipped
lm-evaluation-harness output uploaded, each read into the runs it holds."""

from playwright.sync_api import Page, expect
from tracker_stores import PYTHIA, RUNS, STEPS, write_event_files, write_lm_eval_results, zipped


def upload_zip(page: Page, name: str, content: bytes) -> None:
    page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/zip", "buffer": content}]
    )


def fill(page: Page, label: str, text: str) -> None:
    page.get_by_label(label).fill(text)
    page.get_by_label(label).press("Enter")


def test_zipped_tensorboard_logs_and_lm_eval_results_load(server, page: Page, tmp_path, artifacts):
    page.goto(server)
    expect(page.get_by_text("40 rows")).to_be_visible(timeout=60_000)
    # The Data tab's one checkbox, "Final checkpoints only" (Bokeh draws its text beside the
    # box, not in a label, so the box has no accessible name).
    page.get_by_role("checkbox").uncheck()
    write_event_files(tmp_path / "tensorboard", simple_values=True)
    upload_zip(page, "logs.zip", zipped(tmp_path / "tensorboard"))
    expect(page.get_by_text(f"{len(RUNS) * len(STEPS)} rows")).to_be_visible(timeout=30_000)

    write_lm_eval_results(tmp_path / "lm_eval")
    upload_zip(page, "lm_eval.zip", zipped(tmp_path / "lm_eval"))
    expect(page.get_by_text("several tasks; name one: lambada_openai, piqa")).to_be_visible(
        timeout=30_000
    )
    # The upload is read again as the task and the tokens are filled in.
    fill(page, "lm-eval task", "lambada_openai")
    expect(page.get_by_text("has no D: give the tokens")).to_be_visible(timeout=30_000)
    fill(page, "lm-eval tokens (D)", "300B")
    summary = page.locator("p", has_text=f"{len(PYTHIA)} rows")
    expect(summary).to_be_visible(timeout=30_000)
    expect(summary).to_contain_text("target error")
    expect(page.get_by_text("has no D")).to_have_count(0)
    page.screenshot(path=artifacts / "data_lm_eval.png", full_page=True)
