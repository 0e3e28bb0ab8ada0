"""``workbench ledger`` end to end on real fits: a saved fit's prediction recorded, resolved,
reported and exchanged; the records match what ``predict`` says."""

import hashlib
import json

import pytest
from cli_runner import run

from workbench.backtesting import LawEnsemble
from workbench.fitting import ScalingLawFit
from workbench.ledger import Ledger, predictions_of
from workbench.runs import DEMO_TRUTH, demo

FAST = {"draws": 300, "tune": 300}
TARGET = {"N": 3e10, "D": 6e11}


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory):
    fit = ScalingLawFit("chinchilla", sampler=FAST).fit(demo().final_checkpoints(), random_seed=0)
    return fit.save(tmp_path_factory.mktemp("fit") / "fit.nc")


def truth(N: float, D: float) -> float:
    """The demo's law, written out."""
    t = DEMO_TRUTH
    return t["E"] + t["A"] / N ** t["alpha"] + t["B"] / D ** t["beta"]


def test_add_records_what_predict_says_with_the_hashes(fit_file, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    code, out, _ = run(
        "ledger",
        "add",
        fit_file,
        "--N",
        TARGET["N"],
        "--D",
        TARGET["D"],
        "--note",
        "30B run",
        "--ledger",
        ledger,
        "--json",
    )
    assert code == 0
    (entry,) = json.loads(out)["added"]
    code, out, _ = run("predict", fit_file, "--N", TARGET["N"], "--D", TARGET["D"], "--json")
    (predicted,) = json.loads(out)["predictions"]
    for name in ("median", "ci_low", "ci_high", "distance"):
        assert entry[name] == pytest.approx(predicted[name]), name
    assert entry["interval"] == "calibrated" and entry["kind"] == "observation"
    assert entry["fit_hash"] == hashlib.sha256(fit_file.read_bytes()).hexdigest()
    assert entry["data_hash"] == ScalingLawFit.load(fit_file).idata.attrs["data_hash"]
    assert entry["targets"] == {**TARGET, "C": pytest.approx(6 * TARGET["N"] * TARGET["D"])}
    assert entry["note"] == "30B run"
    assert entry["law"] == "chinchilla" and entry["target"] == "loss"


def test_resolve_report_and_list_from_the_command_line(fit_file, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    targets = [(3e10, 6e11), (1e10, 2e11)]
    for N, D in targets:
        assert run("ledger", "add", fit_file, "--N", N, "--D", D, "--ledger", ledger)[0] == 0
    for entry, (N, D) in enumerate(targets, start=1):
        code, out, _ = run(
            "ledger", "resolve", entry, "--observed", truth(N, D), "--ledger", ledger, "--json"
        )
        resolved = json.loads(out)
        assert code == 0 and resolved["covered_90"] == 1 and 0 < resolved["pit"] < 1
    page = tmp_path / "ledger.html"
    code, out, _ = run("ledger", "report", "--ledger", ledger, "--json", "--plot", page)
    report = json.loads(out)
    assert (report["resolved"], report["coverage_90"]) == (2, 1.0)
    assert report["mean_relative_error"] < 0.02
    html = page.read_text()
    assert "Reliability of 2 resolved predictions" in html and "cdn.bokeh.org" not in html
    code, out, _ = run("ledger", "report", "--ledger", ledger)
    assert "2 resolved, 0 waiting" in out and "1.00 at 90 %" in out
    code, out, _ = run("ledger", "list", "--ledger", ledger)
    assert len(out.splitlines()) == 2 and "observed" in out


def test_export_and_import_from_the_command_line(fit_file, tmp_path):
    ours, theirs, export = (tmp_path / name for name in ("a.sqlite", "b.sqlite", "a.parquet"))
    run("ledger", "add", fit_file, "--N", 3e10, "--D", 6e11, "--ledger", ours)
    assert run("ledger", "export", export, "--ledger", ours)[1].startswith("wrote 1 prediction")
    code, out, _ = run("ledger", "import", export, "--ledger", theirs)
    assert code == 0 and "1 added" in out
    assert Ledger(theirs).entries()["uid"].tolist() == Ledger(ours).entries()["uid"].tolist()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "{fit}"], "give the targets to predict at"),
        (["add", "{fit}", "--N", "1e10", "--D", "1e11", "--ci-prob", "0.85"], "keeps intervals"),
        (["add", "{fit}", "--N", "1e10", "--D", "1e11", "--at", "U=1e9"], "does not use U"),
        (["resolve", "7", "--observed", "2.0"], "has no prediction 7"),
        (["add", "missing.nc", "--N", "1e10", "--D", "1e11"], "missing.nc"),
    ],
)
def test_bad_requests_get_one_line(fit_file, tmp_path, argv, message):
    argv = [part.format(fit=fit_file) for part in argv]
    code, out, err = run("ledger", *argv, "--ledger", tmp_path / "ledger.sqlite")
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


def test_an_auto_fit_records_its_stacked_mixture(tmp_path):
    runs = demo().final_checkpoints()
    ensemble = LawEnsemble(["chinchilla", "kaplan_joint"], sampler=FAST).fit(runs, random_seed=0)
    path = ensemble.save(tmp_path / "auto.nc")
    (record,) = predictions_of(ensemble, path, **{name: [value] for name, value in TARGET.items()})
    table = ensemble.predict(warn=False, **{name: [value] for name, value in TARGET.items()})
    row = table[table["kind"] == "observation"].iloc[0]
    assert record["law"] == ensemble.label
    assert record["quantiles"][11] == pytest.approx(row["median"])
    assert record["quantiles"][2] == pytest.approx(row["ci_low_90"])
    assert record["data_hash"] == runs.content_hash()
