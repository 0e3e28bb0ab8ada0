"""Scaling-law families. Each module of this package registers one family in ``LAWS``; importing
the package imports every module, so a new family is one new module (and one test case in
``tests/law_cases.py``)."""

import importlib
import pkgutil

from workbench.laws.base import COVARIATE_UNITS, LAWS, ScalingLaw, get_law, law_table, register
from workbench.laws.priors import Prior

SUPPORT_MODULES = {"base", "elementwise", "priors"}
"""Modules of this package that hold no family."""

# Sorted by module name (pkgutil sorts), which fixes the order of LAWS and of every law listing.
for module in pkgutil.iter_modules(__path__):
    if module.name not in SUPPORT_MODULES:
        importlib.import_module(f"{__name__}.{module.name}")
del module

__all__ = ["COVARIATE_UNITS", "LAWS", "Prior", "ScalingLaw", "get_law", "law_table", "register"]
