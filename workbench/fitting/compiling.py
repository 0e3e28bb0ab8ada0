"""Compile PyMC models with nutpie so that a seed fixes the draws bit for bit.

PyTensor compiles its Numba kernels with fast-math flags by default, which let LLVM reassociate
sums, contract multiply-adds and approximate functions. The code it emits then depends on how a
model was compiled: a kernel compiled in this process is optimised together with the kernels it
calls, one loaded from PyTensor's on-disk cache (written by an earlier process) is linked as it
was. The two round the gradient differently in the last bits, and NUTS turns a last-bit
difference into different draws: the same fit with the same seed gives another posterior, and
near R-hat 1.01 another status, depending on whether its process finds the compile cache warm.
Without fast-math, LLVM must keep IEEE arithmetic, so every way of compiling gives the same bits.

Compiled models persist across processes (:mod:`workbench.fitting.kernels`): a process that
fits a model compiled before loads its machine code instead of spending seconds compiling it.
A model the disk cache cannot hold is compiled in the process by ``nutpie.compile_pymc_model``.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

import nutpie
import pymc as pm
import pytensor
from numba.core.errors import NumbaWarning

from workbench.fitting import kernels

COMPILED_MODELS_KEPT = 32
"""Compiled models a process keeps; each holds its kernels (a few MB), and a served dashboard
sees a new key for every distinct prior a user tries."""
EXACT_ARITHMETIC = {"numba__fastmath": False}
"""PyTensor flags of every compile: no fast-math (see the module docstring)."""

_flags_lock = threading.Lock()
_compiled: OrderedDict[Hashable, nutpie.compile_pymc.CompiledPyMCModel] = OrderedDict()
_cache_lock = threading.Lock()
_compiles = 0


def compile_pymc_model(model):
    """nutpie's compiled model of a PyMC model, with IEEE arithmetic in every kernel."""
    # PyTensor's config is one per process: a second compile must not restore fast-math while
    # the first is still compiling.
    with _flags_lock, pytensor.config.change_flags(**EXACT_ARITHMETIC):
        try:
            return kernels.compile_cached(model)
        except (kernels.UncacheableModel, NumbaWarning, OSError):
            return nutpie.compile_pymc_model(model)


def compiled_for(key: Hashable, build: Callable[[], pm.Model], data: Mapping):
    """The compiled model of ``key`` holding ``data``; ``build`` makes the model on first use.

    One cache serves every model family, so keys start with the family's name. The least recently
    used model is dropped past :data:`COMPILED_MODELS_KEPT`.
    """
    with _cache_lock:
        if key in _compiled:
            _compiled.move_to_end(key)
            compiled = _compiled[key]
            # A container the graph never reads (a formula without the target's centre) was
            # compiled away, and nutpie refuses data for it.
            known = {variable.name for variable in compiled.shared_var_keys}
            return compiled.with_data(**{name: v for name, v in data.items() if name in known})
        global _compiles
        _compiles += 1
        _compiled[key] = compile_pymc_model(build())
        while len(_compiled) > COMPILED_MODELS_KEPT:
            _compiled.popitem(last=False)
        return _compiled[key]


def is_compiled(key: Hashable) -> bool:
    return key in _compiled


def compile_count() -> int:
    """Models this process has compiled so far (the cache may have dropped some since)."""
    return _compiles
