"""C = 6·N·D, defined once."""

import numpy as np
import pytest

from workbench.compute import complete_triple, training_compute


def test_training_compute_is_six_n_d():
    # Chinchilla: 70B parameters on 1.4T tokens is 5.88e23 FLOPs.
    assert training_compute(70e9, 1.4e12) == pytest.approx(5.88e23)


@pytest.mark.parametrize("missing", ["N", "D", "C"])
def test_the_one_missing_value_follows_from_the_other_two(missing):
    whole = {"N": np.array([1e9, 7e10]), "D": np.array([2e10, 1.4e12])}
    whole["C"] = 6 * whole["N"] * whole["D"]
    values = {name: value for name, value in whole.items() if name != missing}
    assert complete_triple(values) == missing
    np.testing.assert_allclose(values[missing], whole[missing], rtol=1e-15)


def test_nothing_is_filled_in_unless_exactly_one_is_missing():
    values = {"N": np.array([1e9])}
    assert complete_triple(values) is None and set(values) == {"N"}
    values = {"N": 1.0, "D": 2.0, "C": 5.0}
    assert complete_triple(values) is None and values["C"] == 5.0
