"""Gadre et al.'s Err(L) on simulated data: recovery, prediction, bad input."""

import re
import warnings

import numpy as np
import pytest

from workbench.emergence import ErrorFromLossFit, error_from_loss
from workbench.fitting import NotFittedError

TRUTH = {"epsilon": 0.85, "k": 2.5, "gamma": 0.9}


def test_recovers_parameters_and_predicts_lower_losses():
    rng = np.random.default_rng(4)
    loss = np.linspace(2.5, 5.0, 12)
    error = error_from_loss(loss, **TRUTH) + rng.normal(0, 0.01, loss.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ErrorFromLossFit().fit(loss, error, random_seed=0)
    posterior = fit.idata["posterior"]
    for name, value in TRUTH.items():
        low, high = np.quantile(posterior[name].values, [0.05, 0.95])
        assert low <= value <= high, name
    target = np.array([2.2])
    row = fit.predict(target, ci_prob=0.9).query("kind == 'mean'").iloc[0]
    assert row.ci_low_90 <= error_from_loss(target, **TRUTH)[0] <= row.ci_high_90


@pytest.mark.parametrize(
    ("loss", "error", "message"),
    [([1, 2, 3], [0.5, 0.4, 0.3], "at least 4"), ([1, 2, 3, 4], [0.5, 0.4, 1.3, 0.2], "[0, 1]")],
)
def test_bad_input(loss, error, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ErrorFromLossFit().fit(loss, error)


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match=r"call \.fit"):
        ErrorFromLossFit().predict([2.0])
