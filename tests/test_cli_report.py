"""``workbench report``: the scaling-law card of a saved fit, and what a saved fit records for
it (the command and the package versions)."""

import json

import pytest
from cli_runner import run

from workbench.fitting import ScalingLawFit


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "fit.nc"
    argv = ["fit", "demo", "--law", "chinchilla", "--no-calibrate", "--draws", "300"]
    assert run(*argv, "--tune", "300", "-o", path)[0] == 0
    return path


def test_a_saved_fit_records_its_command_and_versions(fit_file):
    attrs = ScalingLawFit.load(fit_file).idata.attrs
    assert attrs["command"] == (
        f"workbench fit demo --law chinchilla --no-calibrate --draws 300 --tune 300 -o {fit_file}"
    )
    versions = json.loads(attrs["versions"])
    assert set(versions) >= {"scaling-workbench", "pymc", "nutpie", "arviz"}


def test_the_card_predicts_ten_times_the_largest_run_by_default(fit_file, tmp_path):
    code, out, _ = run("report", fit_file, "-o", tmp_path / "card.html")
    page = (tmp_path / "card.html").read_text()
    assert code == 0 and out.startswith("wrote the scaling-law card")
    # The demo's largest run: 1e10 parameters, 8e11 tokens.
    assert "1e+11" in page and "8e+12" in page
    # Each section's title (drawn in the page: tests/browser/test_card_offline.py).
    for heading in ("Posterior predictive checks", "Compute-optimal allocation", "Reproduce"):
        assert heading in page
    assert "workbench fit demo --law chinchilla" in page
    assert "no nested leave-future-out backtests" in page  # fitted with --no-calibrate


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "{tmp}/card.pdf"], "name a .html file"),
        (["-o", "{tmp}/card.html", "--at", "U=1e9"], "does not use U"),
        (["-o", "{tmp}/missing/card.html"], "there is no folder"),
    ],
)
def test_bad_requests_get_one_line(fit_file, tmp_path, argv, message):
    argv = [part.format(tmp=tmp_path) for part in argv]
    code, out, err = run("report", fit_file, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err
