"""The ledger's scores and report against a case worked by hand."""

import sqlite3

import numpy as np
import pytest

from workbench.ledger import LEVELS, Ledger, LedgerError, quantile_probabilities

# 23 quantiles 1.89, 1.90, ..., 2.11: the median is 2.00, the 50 % interval [1.95, 2.05] and
# the 90 % interval [1.91, 2.09].
QUANTILES = 2.0 + 0.01 * np.arange(-11, 12)


def prediction(**extra):
    return {"quantiles": QUANTILES, "targets": {"N": 7e10, "D": 1.4e12}, "ci_prob": 0.9, **extra}


def test_the_stored_levels_and_their_probabilities():
    probabilities = quantile_probabilities()
    assert probabilities.size == 2 * len(LEVELS) + 1 == QUANTILES.size
    assert probabilities[0] == pytest.approx(0.01) and probabilities[-1] == pytest.approx(0.99)
    assert probabilities[11] == 0.5 and probabilities[14] == pytest.approx(0.65)


@pytest.fixture
def ledger(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.add_many([prediction(note="inside"), prediction(note="above"), prediction()])
    return ledger


def test_an_outcome_inside_the_intervals(ledger):
    entry = ledger.resolve(1, 2.03)
    assert entry["error"] == pytest.approx(0.03)
    assert entry["relative_error"] == pytest.approx(0.03 / 2.03)
    assert entry["covered_50"] == 1 and entry["covered_90"] == 1 and entry["covered_10"] == 0
    # Width 2.09 − 1.91 = 0.18 and no miss.
    assert entry["interval_score"] == pytest.approx(0.18)
    # 2.03 is the 15th stored quantile, the 65 % one.
    assert entry["pit"] == pytest.approx(0.65)


def test_an_outcome_above_every_interval(ledger):
    entry = ledger.resolve(2, 2.15)
    assert entry["error"] == pytest.approx(0.15)
    assert entry["covered_98"] == 0 and entry["pit"] == 1.0
    # Width 0.18 plus 2 / 0.1 × (2.15 − 2.09) = 1.2.
    assert entry["interval_score"] == pytest.approx(1.38)


def test_the_report_over_resolved_predictions(ledger):
    ledger.resolve(1, 2.03)
    ledger.resolve(2, 2.15)
    report = ledger.report()
    assert (report["predictions"], report["resolved"], report["unresolved"]) == (3, 2, 1)
    assert report["coverage_50"] == 0.5 and report["coverage_90"] == 0.5
    assert report["mean_error"] == pytest.approx(0.09)
    assert report["mean_relative_error"] == pytest.approx((0.03 / 2.03 + 0.15 / 2.15) / 2)
    assert report["mean_interval_score"] == pytest.approx((0.18 + 1.38) / 2)
    assert report["mean_pit"] == pytest.approx((0.65 + 1.0) / 2)
    reliability = {row["nominal"]: row for row in report["reliability"]}
    assert reliability[0.98]["observed"] == 0.5 and reliability[0.1]["observed"] == 0.0
    assert reliability[0.5]["honest_low"] < 0.5 < reliability[0.5]["honest_high"]


def test_a_second_outcome_replaces_the_first(ledger):
    ledger.resolve(1, 2.15)
    assert ledger.resolve(1, 2.03)["covered_90"] == 1
    assert ledger.report()["resolved"] == 1


def test_bad_records_and_outcomes_are_refused_in_one_line(ledger, tmp_path):
    with pytest.raises(LedgerError, match="no prediction 9"):
        ledger.resolve(9, 2.0)
    with pytest.raises(ValueError, match="must be a positive number"):
        ledger.resolve(1, -1.0)
    with pytest.raises(LedgerError, match="ascending"):
        ledger.add(prediction(quantiles=QUANTILES[::-1]))
    with pytest.raises(LedgerError, match="keeps 23 quantiles"):
        ledger.add(prediction(quantiles=QUANTILES[:5]))
    with pytest.raises(LedgerError, match=r"not at 0\.85"):
        ledger.add(prediction(ci_prob=0.85))
    stranger = tmp_path / "notes.sqlite"
    stranger.write_text("not a database")
    with pytest.raises(LedgerError, match="is not a ledger"):
        Ledger(stranger).entries()


def test_an_empty_ledger_reports_nothing_to_score(tmp_path):
    report = Ledger(tmp_path / "new.sqlite").report()
    assert report["predictions"] == 0 and report["coverage_90"] is None
    assert not (tmp_path / "new.sqlite").exists()
    # A database whose first write never committed holds no table yet: still an empty ledger.
    begun = sqlite3.connect(tmp_path / "begun.sqlite")
    begun.execute("PRAGMA journal_mode=WAL")
    begun.close()
    assert Ledger(tmp_path / "begun.sqlite").report()["predictions"] == 0


def test_exports_merge_on_each_predictions_uid(ledger, tmp_path):
    theirs = Ledger(tmp_path / "theirs.sqlite")
    theirs.add(prediction(note="theirs"))
    export = tmp_path / "ours.parquet"
    assert ledger.export_parquet(export) == 3
    assert theirs.import_parquet(export) == {"added": 3, "resolved": 0, "unchanged": 0}
    assert theirs.import_parquet(export) == {"added": 0, "resolved": 0, "unchanged": 3}
    # Our outcome reaches their copy of the prediction; a second merge changes nothing.
    ledger.resolve(1, 2.03)
    ledger.export_parquet(export)
    assert theirs.import_parquet(export) == {"added": 0, "resolved": 1, "unchanged": 2}
    merged = theirs.entries().set_index("note")
    assert len(merged) == 4 and merged.loc["inside", "pit"] == pytest.approx(0.65)
    assert theirs.import_parquet(export)["resolved"] == 0
    with pytest.raises(LedgerError, match="not a ledger export"):
        bad = tmp_path / "bad.parquet"
        merged.reset_index()[["note"]].to_parquet(bad)
        theirs.import_parquet(bad)
