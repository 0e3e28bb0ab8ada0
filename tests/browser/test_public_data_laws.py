"""The data-constrained and ParScale laws (issue 15 §2) driven through the served dashboard:
upload a table with their extra column, pick the law in the Fit tab, fit, read the posterior."""

import numpy as np
import pandas as pd
import pytest
from law_cases import CASES
from playwright.sync_api import Page, expect

from workbench.laws import get_law

FIT_MILLISECONDS = 240_000  # a first fit compiles its law, then three nested refits calibrate it
SIZE = 36


def simulated(name: str, seed: int) -> pd.DataFrame:
    """Runs simulated from the law's recovery design (``tests/law_cases.py``), 1.5 % noise."""
    design = CASES[name].recovery
    law = get_law(name)
    rng = np.random.default_rng(seed)
    x = {k: 10 ** rng.uniform(*design.log10_ranges[k], SIZE) for k in law.covariates}
    if name == "data_constrained":
        x["U"] = x["D"] / 10 ** rng.uniform(0, 1.5, SIZE)  # up to ~30 epochs of unique data
    if name == "parscale":
        x["P"] = rng.choice([1, 2, 4, 8], SIZE)
    loss = law.curve(x, design.truth) * np.exp(rng.normal(0, 0.015, SIZE))
    return pd.DataFrame({"run": [f"{name}-{i}" for i in range(SIZE)], **x, "loss": loss})


@pytest.mark.parametrize(
    ("law", "parameter", "column"), [("data_constrained", "R_D_star", "U"), ("parscale", "k", "P")]
)
def test_upload_and_fit_a_law_with_its_own_column(
    server, page: Page, table_rows, law, parameter, column
):
    page.goto(server)
    page.get_by_text("Fit", exact=True).first.click()
    # The fit on load, so that ours is not queued behind it.
    expect(page.get_by_text("Fit finished: chinchilla on 40 runs")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )
    page.get_by_text("Data", exact=True).first.click()
    runs = simulated(law, seed=1)
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": f"{law}.csv",
                "mimeType": "text/csv",
                "buffer": runs.to_csv(index=False).encode(),
            }
        ]
    )
    expect(page.get_by_text(f"{SIZE} rows")).to_be_visible(timeout=60_000)
    page.get_by_text("Fit", exact=True).first.click()
    page.get_by_label("Law").select_option(law)
    for label in ("Draws", "Tune"):
        page.get_by_label(label).fill("300")
        page.get_by_label(label).press("Enter")
    page.get_by_role("button", name="Fit", exact=True).click()
    expect(page.get_by_text(f"Fit finished: {law} on {SIZE} runs")).to_be_visible(
        timeout=FIT_MILLISECONDS
    )
    rows = {row["parameter"]: row for row in table_rows(page, "ess_bulk")}
    truth = CASES[law].recovery.truth[parameter]
    low, high = float(rows[parameter]["ci_low_90"]), float(rows[parameter]["ci_high_90"])
    assert low < truth < high, (column, rows[parameter])
    assert "Traceback" not in page.content()
