"""nutpie models whose machine code is kept on disk, so a new process need not compile it again.

nutpie calls a model through two C callbacks, the log density with its gradient and the expansion
of a point into every traced variable, each a Numba ``cfunc`` around PyTensor's kernels. nutpie's
own callbacks hold the model's data arrays as globals, which Numba refuses to cache, so every
process retyped and recompiled them: about 8 s of a cold fit. The callbacks built here read every
array through the pointers nutpie already passes them (its ``user_data`` record) and hold no
process-specific address, so Numba caches them, PyTensor's kernels linked in, under a key of the
model's graph. A process that finds the key loads the machine code and skips PyTensor's graph
compilation as well; it still builds the PyMC model, which the key and the initial points need.

The key covers everything the code depends on: the graph of the log density and of the traced
variables (every op and constant), the data's names, types and shapes, and the versions of
Python and the libraries. Numba adds the CPU to its own index. Numba writes each file to a
temporary name and renames it, so two processes writing one entry at once leave a whole file.

This module uses nutpie's private helpers (``_make_functions``, ``make_user_data``,
``_prepare_dims_and_coords``) and builds its ``CompiledPyMCModel`` directly; nutpie's version is
part of the key, and the tests compile, cache and sample a model through this path.
"""

import hashlib
import json
import pickle
import platform
import threading
import warnings
import weakref
from importlib.metadata import version
from pathlib import Path

import numba
import numpy as np
import pymc as pm
from numba.core import cgutils
from numba.core.caching import CacheImpl, _CacheLocator
from numba.core.errors import NumbaWarning, TypingError
from nutpie import compile_pymc as nutpie_pymc
from pymc.initial_point import make_initial_point_fn
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import toposort

from workbench.atomic import replacing
from workbench.runs.datasets import default_cache_dir

FORMAT = 1
"""Bump when the callbacks' source or the stored metadata change meaning."""
LIBRARIES = ("numpy", "numba", "llvmlite", "pytensor", "pymc", "nutpie")
LOGP_SIGNATURE = numba.types.int64(
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)
EXPAND_SIGNATURE = numba.types.int64(
    numba.types.uint64,
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)

_cache_keys: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Callback function -> (folder, key), for :class:`KernelCacheLocator`."""
_locator_lock = threading.Lock()


def kernel_cache_dir() -> Path:
    """Where compiled models are kept: ``kernels/`` in the package's cache folder."""
    return default_cache_dir() / "kernels"


class KernelCacheLocator(_CacheLocator):
    """Points Numba's cache of our callbacks at :func:`kernel_cache_dir`, one file per key."""

    def __init__(self, folder: Path, key: str):
        self._folder, self._key = folder, key

    def ensure_cache_path(self):
        self._folder.mkdir(parents=True, exist_ok=True)

    def get_cache_path(self):
        return str(self._folder)

    def get_source_stamp(self):
        return FORMAT

    def get_disambiguator(self):
        return self._key

    @classmethod
    def from_function(cls, py_func, py_file):
        entry = _cache_keys.get(py_func)
        return None if entry is None else cls(*entry)


with _locator_lock:
    if KernelCacheLocator not in CacheImpl._locator_classes:
        CacheImpl._locator_classes.insert(0, KernelCacheLocator)


@numba.extending.intrinsic
def _as_pointer(typingctx, address):
    """The integer ``address`` as a ``void *``, for ``numba.carray``."""
    signature = numba.types.voidptr(address)

    def codegen(context, builder, signature, arguments):
        return builder.inttoptr(arguments[0], cgutils.voidptr_t)

    return signature, codegen


class CacheMiss(Exception):
    """No usable entry for a model's key."""


class UncacheableModel(ValueError):
    """A model whose compiled code cannot be kept on disk."""


def compile_cached(model: pm.Model, folder: Path | None = None):
    """nutpie's compiled model of ``model``, loaded from ``folder`` when an earlier compile
    stored it there, else compiled and stored."""
    folder = Path(folder) if folder is not None else kernel_cache_dir()
    key = model_key(model)
    metadata_path = folder / f"{key}.json"
    try:
        return _load(model, folder, key, metadata_path)
    except CacheMiss:
        pass
    compiled, metadata = _compile(model, folder, key)
    folder.mkdir(parents=True, exist_ok=True)
    with replacing(metadata_path) as partial:
        partial.write_text(json.dumps(metadata))
    return compiled


def model_key(model: pm.Model) -> str:
    """A hash of what the compiled code of ``model`` depends on."""
    digest = hashlib.sha256()
    context = {
        "format": FORMAT,
        "python": platform.python_version(),
        "libraries": {name: version(name) for name in LIBRARIES},
        "check_bounds": model.check_bounds,
    }
    digest.update(json.dumps(context, sort_keys=True).encode())
    outputs = [model.logp(), *model.unobserved_value_vars]
    numbering: dict = {}
    for node in toposort(outputs):
        for variable in node.inputs:
            if variable not in numbering and variable.owner is None:
                digest.update(_leaf_fingerprint(variable))
                numbering[variable] = len(numbering)
        digest.update(_op_fingerprint(node.op))
        digest.update(repr([numbering[variable] for variable in node.inputs]).encode())
        for variable in node.outputs:
            numbering[variable] = len(numbering)
            digest.update(str(variable.type).encode())
    digest.update(repr([numbering[variable] for variable in outputs]).encode())
    return digest.hexdigest()[:32]


def _op_fingerprint(op) -> bytes:
    try:
        return pickle.dumps(op, protocol=5)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        raise UncacheableModel(f"cannot fingerprint {op}: {error}") from None


def _leaf_fingerprint(variable) -> bytes:
    """Constants count by value, data (replaced at sampling) by name, type and shape."""
    if isinstance(variable, Constant):
        data = np.asarray(variable.data)
        return repr(("constant", str(variable.type), data.shape)).encode() + data.tobytes()
    if isinstance(variable, SharedVariable):
        value = np.asarray(variable.get_value())
        return repr(("shared", variable.name, str(variable.type), value.shape)).encode()
    return repr(("input", variable.name, str(variable.type))).encode()


def _compile(model: pm.Model, folder: Path, key: str):
    """Compile ``model`` with cacheable callbacks; Numba stores them under ``key``."""
    (n_dim, n_expanded, logp_function, expand_function, _, shape_info, reparameterized) = (
        nutpie_pymc._make_functions(
            model,
            mode="NUMBA",
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=None,
        )
    )
    shared = list(dict.fromkeys([*logp_function.get_shared(), *expand_function.get_shared()]))
    if any(variable.name is None or variable.name not in model.named_vars for variable in shared):
        raise UncacheableModel("a cached model's data must be named model variables")
    metadata = {
        # nutpie's counts may be NumPy integers, which JSON does not take.
        "n_dim": int(n_dim),
        "n_expanded": int(n_expanded),
        "shape_info": [
            shape_info[0],
            [[int(bounds.start), int(bounds.stop)] for bounds in shape_info[1]],
            [[int(length) for length in shape] for shape in shape_info[2]],
        ],
        "reparameterized": reparameterized,
        "shared": [variable.name for variable in shared],
        "logp_shared": [variable.name for variable in logp_function.get_shared()],
        "expand_shared": [variable.name for variable in expand_function.get_shared()],
    }
    compiled = _assemble(
        model,
        metadata,
        folder,
        key,
        logp_inner=logp_function.vm.jit_fn,
        expand_inner=expand_function.vm.jit_fn,
    )
    return compiled, metadata


def _load(model: pm.Model, folder: Path, key: str, metadata_path: Path):
    try:
        metadata = json.loads(metadata_path.read_text())
    except (OSError, ValueError):
        raise CacheMiss(key) from None
    return _assemble(model, metadata, folder, key, logp_inner=None, expand_inner=None)


def _assemble(model, metadata, folder, key, *, logp_inner, expand_inner):
    """The compiled model; with no ``*_inner`` kernels the callbacks must come from the cache."""
    shared_vars = {model.named_vars[name]: name for name in metadata["shared"]}
    shared_data = {}
    for variable, name in shared_vars.items():
        shared_data[name] = np.array(variable.get_value(), order="C", copy=True)
        shared_data[name].flags.writeable = False
    user_data = nutpie_pymc.make_user_data(shared_vars, shared_data)
    layout = _RecordLayout(user_data.dtype, shared_data)
    names, slices, shapes = metadata["shape_info"]
    shape_info = (names, [slice(*bounds) for bounds in slices], [tuple(s) for s in shapes])
    n_dim, n_expanded = metadata["n_dim"], metadata["n_expanded"]
    logp_shared, expand_shared = metadata["logp_shared"], metadata["expand_shared"]
    logp = _callback(
        "logp",
        _logp_source(n_dim, layout, logp_shared),
        layout.scalars(logp_shared),
        LOGP_SIGNATURE,
        logp_inner,
        folder,
        key,
    )
    expand = _callback(
        "expand",
        _expand_source(n_dim, n_expanded, layout, expand_shared),
        layout.scalars(expand_shared),
        EXPAND_SIGNATURE,
        expand_inner,
        folder,
        key,
    )
    dims, coords = nutpie_pymc._prepare_dims_and_coords(
        model, shape_info, metadata["reparameterized"]
    )
    return nutpie_pymc.CompiledPyMCModel(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        compiled_logp_func=logp,
        compiled_expand_func=expand,
        initial_point_func=_initial_point_function(model, names, shape_info[2]),
        shared_data=shared_data,
        shared_var_keys=shared_vars,
        user_data=user_data,
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=None,
        expand_func=None,
        reparameterized_names=metadata["reparameterized"],
    )


def _initial_point_function(model: pm.Model, names: list[str], shapes: list[tuple]):
    """nutpie's initial points: PyMC's support points jittered by the seed, as one flat vector."""
    point_function = make_initial_point_fn(
        model=model,
        default_strategy="support_point",
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )
    lock = threading.Lock()
    free = [(name, shape) for name, shape in zip(names, shapes, strict=False)][
        : len(model.free_RVs)
    ]

    def initial_point(seed=None):
        with lock:
            point = point_function(seed)
        return np.concatenate(
            [
                np.asarray(point[name], dtype="float64").reshape(shape).ravel()
                for name, shape in free
            ]
        )

    return initial_point


class _RecordLayout:
    """Where nutpie's ``user_data`` record keeps each array's address, size and shape, counted
    in 8-byte words (every field of the record is one)."""

    def __init__(self, dtype: np.dtype, shared_data: dict):
        shared, shared_offset = dtype.fields["shared"]
        self.words = dtype.itemsize // 8
        self.ndim = {name: value.ndim for name, value in shared_data.items()}
        self.scalar = {name: value.dtype.type for name, value in shared_data.items()}
        self.offsets = {}
        for part in ("data", "size", "shape"):
            fields, part_offset = shared.fields[part]
            for name in shared_data:
                offset = shared_offset + part_offset + fields.fields[name][1]
                if offset % 8:
                    raise UncacheableModel("nutpie's user_data record is no longer 8-byte aligned")
                self.offsets[part, name] = offset // 8

    def scalars(self, names: list[str]) -> dict:
        return {f"scalar_{index}": self.scalar[name] for index, name in enumerate(names)}

    def arrays_source(self, names: list[str]) -> str:
        lines = [f"words = numba.carray(user_data_, ({self.words},), np.uint64)"]
        for index, name in enumerate(names):
            data_word, shape_word = self.offsets["data", name], self.offsets["shape", name]
            shape = "".join(f"words[{shape_word + axis}], " for axis in range(self.ndim[name]))
            lines.append(
                f"shared_{index} = numba.carray(as_pointer(words[{data_word}]), ({shape}), "
                f"scalar_{index})"
            )
        return "\n        ".join(lines)


def _logp_source(n_dim: int, layout: _RecordLayout, names: list[str]) -> str:
    arguments = "".join(f", shared_{index}" for index in range(len(names)))
    # The return codes are nutpie's: -1 wrong size, 1 error, 3/4 gradient/density not finite.
    return f"""
def logp_callback(dim, x_, gradient_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    try:
        {layout.arrays_source(names)}
        x = numba.carray(x_, ({n_dim},))
        gradient = numba.carray(gradient_, ({n_dim},))
        logp = numba.carray(logp_, ())
        value, grad = inner(x{arguments})
        logp[()] = value
        gradient[...] = grad
        if not np.all(np.isfinite(gradient)):
            return 3
        if not np.isfinite(value):
            return 4
    except Exception:
        return 1
    return 0
"""


def _expand_source(n_dim: int, n_expanded: int, layout: _RecordLayout, names: list[str]) -> str:
    arguments = "".join(f", shared_{index}" for index in range(len(names)))
    return f"""
def expand_callback(dim, expanded, x_, out_, user_data_):
    if dim != {n_dim} or expanded != {n_expanded}:
        return -1
    try:
        {layout.arrays_source(names)}
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_expanded},))
        (values,) = inner(x{arguments})
        out[...] = values
    except Exception:
        return -2
    return 0
"""


def _callback(kind, source, scalars, signature, inner, folder, key):
    """The Numba ``cfunc`` of ``source``, calling PyTensor's kernel ``inner``; with no kernel it
    must come from the cache."""
    namespace = {"__name__": __name__, "numba": numba, "np": np}
    namespace |= {"as_pointer": _as_pointer, "inner": inner, **scalars}
    exec(compile(source, f"<workbench {kind} callback>", "exec"), namespace)
    function = namespace[f"{kind}_callback"]
    _cache_keys[function] = (folder, key)
    if inner is None:
        try:
            return numba.cfunc(signature, cache=True)(function)
        except TypingError:
            raise CacheMiss(key) from None
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "Cannot cache", NumbaWarning)
        return numba.cfunc(signature, cache=True)(function)
