"""Real-data oracle: Porian et al. (2024)'s compute-optimal exponents from their IsoFLOP runs.

Their a in N_opt ∝ C^a per setting, from ``../shared/data/porian2024_compute_optimal/README.md``
("Reference results", the authors' stored ``fit_results['bs_median_weighted']`` with the 95 %
interval of their weighted bootstrap), arXiv:2406.19146. They locate each budget's optimum by
Akima interpolation with a seed-noise bootstrap; :class:`IsoFlopFit` fits a parabola to the runs
near each budget's minimum, all budgets and the law in one model.

The issue asks each posterior median to fall inside the published interval, or within 0.02 of
it with the reason written down. Ten of fifteen fall inside, and two on its edge (attention FLOPs
with warmup corrected, and tuned: 0.0001 below the lower bound, well within the medians' Monte
Carlo error of about 0.001). The other three, and why:

* RefinedWeb, reproducing Kaplan et al. (0.862 against 0.824–0.846): the smallest budget's
  optimum. At 1.25e16 FLOPs the runs just left of the minimum stop one model size short of it
  (0.9 % above the lowest loss), so the parabola puts N_opt at 0.77M against the authors' 1.23M,
  from the runs on the right. Without the two smallest budgets a is 0.831, inside.
* RefinedWeb, Kaplan adjusted (0.696 against 0.703–0.721) and attention FLOPs with Kaplan's
  schedule (0.699 against 0.703–0.727): every budget's optimum lies within the authors' own
  per-budget bootstrap spread of theirs (0.11–0.19 in log N), and their weighted regression run
  on these optima gives 0.696 and 0.699: the gap is in where each minimum is read, parabola
  against Akima interpolation, not in the fit through them.
"""

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.hyperparameters import IsoFlopFit, OptimumAtEdgeWarning
from workbench.runs.datasets import PORIAN2024_STEPS, DatasetError, porian2024

# (corpus, setting): published a, its 95 % interval; source in the module docstring.
PUBLISHED = {
    ("rw", "Reproducing Kaplan et al."): (0.8353, 0.824, 0.846),
    ("rw", "Counting last layer FLOPs"): (0.7065, 0.691, 0.717),
    ("rw", "Correcting warmup"): (0.6020, 0.591, 0.617),
    ("rw", "Cosine decay"): (0.5715, 0.560, 0.589),
    ("rw", "Optimizer tuning (no decay)"): (0.4969, 0.491, 0.505),
    ("rw", "Kaplan adjusted"): (0.7115, 0.703, 0.721),
    ("rw", "Attention FLOPs, Kaplan"): (0.7171, 0.703, 0.727),
    ("rw", "Attention FLOPs, warmup"): (0.6223, 0.607, 0.632),
    ("rw", "Attention FLOPs, cosine decay"): (0.5772, 0.562, 0.592),
    ("rw", "Attention FLOPs, tuning"): (0.5053, 0.496, 0.512),
    ("owt2", "Reproducing Kaplan et al."): (0.8635, 0.819, 0.897),
    ("owt2", "Counting last layer FLOPs"): (0.6985, 0.664, 0.724),
    ("owt2", "Correcting warmup"): (0.6032, 0.570, 0.629),
    ("owt2", "Cosine decay"): (0.5743, 0.542, 0.606),
    ("owt2", "Optimizer tuning (no decay)"): (0.5185, 0.493, 0.541),
}
MONTE_CARLO = 0.002
# Outside the published interval by less than 0.02, for the reasons in the module docstring.
EXPLAINED = {
    ("rw", "Reproducing Kaplan et al."),
    ("rw", "Kaplan adjusted"),
    ("rw", "Attention FLOPs, Kaplan"),
}
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    return porian2024(
        base_url=shared_data / "porian2024_compute_optimal" / "raw",
        cache_dir=tmp_path_factory.mktemp("cache"),
    )


@pytest.fixture(scope="module")
def fit_of(runs):
    """Each setting's fit, made once for the tests that read it."""
    fits = {}

    def fit(corpus, setting):
        if (corpus, setting) not in fits:
            data = runs.data
            chosen = (data["corpus"] == corpus) & (data["setting"] == setting)
            with warnings.catch_warnings():
                # The authors leave out a budget whose lowest loss is its smallest model (four
                # of 177); the fit keeps it, its optimum drawn from the law, and says so.
                warnings.simplefilter("ignore", OptimumAtEdgeWarning)
                fits[(corpus, setting)] = IsoFlopFit().fit(runs.filter(chosen.to_numpy()), 0)
        return fits[(corpus, setting)]

    return fit


def test_the_loader_reads_every_isoflop_run_of_the_published_csv(runs, shared_data):
    """The runs read from the authors' pickles are the data set's own CSV, row for row."""
    folder = shared_data / "porian2024_compute_optimal"
    expected = pd.read_csv(folder / "isoflop_runs.csv")
    assert len(runs) == len(expected) == 1745
    ours = runs.data.sort_values(["corpus", "C", "N", "loss"]).reset_index(drop=True)
    theirs = expected.sort_values(["dataset", "flops", "n_params", "loss"]).reset_index(drop=True)
    np.testing.assert_allclose(ours["C"], theirs["flops"], rtol=1e-6)
    np.testing.assert_allclose(ours["N"], theirs["n_params"], rtol=1e-6)
    np.testing.assert_allclose(ours["D"], theirs["tokens"], rtol=1e-6)
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-6)
    counts = runs.data.groupby(["corpus", "setting"]).size()
    assert counts[("rw", "Optimizer tuning (no decay)")] == 121
    assert set(PORIAN2024_STEPS) <= set(runs.data["setting"])


def test_a_changed_file_is_refused(shared_data, tmp_path):
    raw = shared_data / "porian2024_compute_optimal" / "raw"
    copy = tmp_path / "raw"
    copy.mkdir()
    for path in raw.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    damaged = copy / "summary_df_owt2.pickle.xz"
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\0")
    digest = hashlib.sha256(damaged.read_bytes()).hexdigest()
    with pytest.raises(DatasetError, match=f"checksum mismatch.*got {digest}"):
        porian2024(base_url=copy, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(("corpus", "setting"), list(PUBLISHED), ids="/".join)
def test_exponent_matches_the_published_one(fit_of, corpus, setting):
    _, low, high = PUBLISHED[(corpus, setting)]
    fit = fit_of(corpus, setting)
    median = fit.exponents().loc["a", "median"]
    reach = TOLERANCE if (corpus, setting) in EXPLAINED else MONTE_CARLO
    assert low - reach <= median <= high + reach
    diagnostics = fit.diagnostics()
    assert diagnostics.rhat_max < 1.01
    assert diagnostics.divergences == 0


def test_the_five_steps_move_the_exponent_from_kaplans_to_hoffmanns(fit_of):
    """The paper's message: each correction lowers a, from about 0.86 to about 0.5."""
    a = [fit_of("rw", setting).exponents().loc["a", "median"] for setting in PORIAN2024_STEPS]
    assert a == sorted(a, reverse=True)
    assert a[0] > 0.8
    assert a[-1] == pytest.approx(0.5, abs=0.01)
