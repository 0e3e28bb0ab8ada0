r"""How much a task law may be wrong beyond the sizes it was fitted on.

A task law fitted on sizes up to :math:`N_{max}` carries, at a target N, an extra discrepancy on
:math:`F = \log(-\log PU)` (the log scale of :math:`-\log PU`):

.. math::

    \epsilon \sim \mathcal N\left(0,\ \sigma_{floor}^2 + (\sigma_{decade}\, d)^2\right), \qquad
    d = \max\left(0,\ \log_{10} \frac{N}{N_{max}}\right)

It stands for what none of the fitted laws can see: a circuit that takes over past the data, a
bend smaller than the data resolve. :func:`extrapolation_sd` is deliberately small and
self-contained, so a calibrated extrapolation-error model can replace it.
"""

import numpy as np

# Chosen on simulated straight task laws, where the laws are right and the discrepancy buys
# nothing (tests/emergence/test_mixture.py: 6 sizes over two decades, 100 instances, seeds
# 0-9). At 10× the largest size (d = 1) the laws' posterior sd of F is about 0.08 there, and
# sd = hypot(0.02, 0.05) = 0.054 widens the 90 % interval of PU by at most 24 % (median 19 %),
# inside the 25 % allowed; twice the slope (0.10) would widen it by 60 %. So the term is a
# floor for small misfits, not a guard against a second circuit past the data: no interval
# this narrow can be, and one wide enough would be useless where the law holds.
EXTRAPOLATION_FLOOR = 0.02
EXTRAPOLATION_SD_PER_DECADE = 0.05


def extrapolation_distance(N, N_max) -> np.ndarray:
    """Decades beyond the largest fitted size, ``log10(N / N_max)`` clipped at 0."""
    return np.clip(np.log10(np.asarray(N, dtype=float) / float(N_max)), 0.0, None)


def extrapolation_sd(N, N_max) -> np.ndarray:
    """Standard deviation of the discrepancy on F = log(−log PU) at sizes N (module docstring)."""
    distance = extrapolation_distance(N, N_max)
    return np.hypot(EXTRAPOLATION_FLOOR, EXTRAPOLATION_SD_PER_DECADE * distance)
