"""Training compute: C = 6·N·D, the FLOPs of training N parameters on D tokens."""

from collections.abc import MutableMapping

import numpy as np

COMPUTE_PER_PARAMETER_TOKEN = 6.0
"""FLOPs per parameter per token of a training step, the usual C ≈ 6·N·D approximation."""


def training_compute(N, D):
    """C = 6·N·D."""
    return COMPUTE_PER_PARAMETER_TOKEN * np.asarray(N) * np.asarray(D)


def complete_triple(values: MutableMapping[str, np.ndarray]) -> str | None:
    """Fill in the one missing of N, D and C from the other two; return its name.

    Nothing is filled in (None) unless exactly one of the three is missing.
    """
    missing = [name for name in ("N", "D", "C") if name not in values]
    if len(missing) != 1:
        return None
    (name,) = missing
    k = COMPUTE_PER_PARAMETER_TOKEN
    if name == "C":
        values["C"] = training_compute(values["N"], values["D"])
    elif name == "D":
        values["D"] = np.asarray(values["C"]) / (k * np.asarray(values["N"]))
    else:
        values["N"] = np.asarray(values["C"]) / (k * np.asarray(values["D"]))
    return name
