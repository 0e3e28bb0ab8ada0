"""Element-wise math that works on NumPy arrays and PyTensor variables alike.

Laws write their curves once with these functions, so the same code builds the PyMC model and
evaluates posterior draws in NumPy.
"""

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Variable


def _symbolic(*values) -> bool:
    return any(isinstance(value, Variable) for value in values)


def exp(x):
    return pt.exp(x) if _symbolic(x) else np.exp(x)


def log(x):
    return pt.log(x) if _symbolic(x) else np.log(x)


def logaddexp(x, y):
    return pt.logaddexp(x, y) if _symbolic(x, y) else np.logaddexp(x, y)


def logsumexp3(x, y, z):
    return logaddexp(logaddexp(x, y), z)


def softplus(x):
    """log(1 + e^x), stable for large |x|."""
    return pt.softplus(x) if _symbolic(x) else np.logaddexp(0.0, x)


def log_sigmoid(x):
    return -softplus(-x)
