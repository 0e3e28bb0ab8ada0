"""The default extrapolation-error prior is reproducible from its documented public corpus.

``benchmarks/calibration_default.py --evidence`` wrote the corpus's nested leave-future-out
evidence (residuals, spreads and distances; no data) to ``benchmarks/calibration_corpus.csv``.
The prior in the code must follow from that file, and the file from the public data.
"""

from pathlib import Path

import pandas as pd
import pytest

from workbench.predict.calibration import DEFAULT_PRIOR, population_prior

CORPUS_EVIDENCE = Path(__file__).resolve().parents[2] / "benchmarks" / "calibration_corpus.csv"
RECOMPUTED = ("steplaw",)
"""Tables whose evidence is recomputed from the public data here (the whole corpus takes about
15 minutes; these take seconds)."""


def corpus_evidence() -> dict[str, pd.DataFrame]:
    frame = pd.read_csv(CORPUS_EVIDENCE, dtype={"run": str})
    return {name: rows.drop(columns="data_set") for name, rows in frame.groupby("data_set")}


def test_default_prior_follows_from_the_corpus_evidence():
    learned = population_prior(corpus_evidence())
    # The code holds the learned values to three significant figures.
    assert learned.floor == pytest.approx(DEFAULT_PRIOR.floor, rel=5e-3)
    assert learned.slope == pytest.approx(DEFAULT_PRIOR.slope, rel=5e-3)
    assert learned.log_sd == pytest.approx(DEFAULT_PRIOR.log_sd, rel=5e-3)
    assert learned.max_distance == pytest.approx(DEFAULT_PRIOR.max_distance, rel=5e-3)
    assert len(corpus_evidence()) == 7


@pytest.mark.parametrize("table", RECOMPUTED)
def test_corpus_evidence_is_reproduced_from_the_public_data(shared_data, table):
    from benchmarks.calibration_default import corpus
    from benchmarks.calibration_default import corpus_evidence as recompute

    tables = {name: runs for name, runs in corpus(shared_data).items() if name == table}
    (fresh,) = recompute(tables).values()
    stored = corpus_evidence()[table].reset_index(drop=True)
    columns = ["cut", "run", "law", "table"]
    pd.testing.assert_frame_equal(fresh[columns], stored[columns], check_dtype=False)
    numbers = ["distance", "residual", "spread", "weight"]
    pd.testing.assert_frame_equal(fresh[numbers], stored[numbers], rtol=1e-3, atol=1e-6)
