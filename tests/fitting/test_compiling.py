"""Every nutpie compile of the package goes through ``compile_pymc_model``, without fast-math."""

from types import SimpleNamespace

import nutpie
import pytensor
from project_files import REPO

from workbench.fitting import compiling, kernels


def test_models_compile_without_fast_math_whatever_the_flag_outside(monkeypatch):
    flags = []
    monkeypatch.setattr(
        kernels,
        "compile_cached",
        lambda model: flags.append(pytensor.config.numba__fastmath) or model,
    )
    with pytensor.config.change_flags(numba__fastmath=True):
        assert compiling.compile_pymc_model("model") == "model"
        assert pytensor.config.numba__fastmath  # restored for the caller's own compiles
    assert flags == [False]


def test_a_model_the_disk_cache_cannot_hold_is_compiled_by_nutpie(monkeypatch):
    def uncacheable(model):
        raise kernels.UncacheableModel("data without a name")

    monkeypatch.setattr(kernels, "compile_cached", uncacheable)
    monkeypatch.setattr(nutpie, "compile_pymc_model", lambda model: f"nutpie's {model}")
    assert compiling.compile_pymc_model("model") == "nutpie's model"


def test_no_module_compiles_with_nutpie_directly():
    # Fast-math kernels round differently when compiled afresh than when loaded from PyTensor's
    # cache: a model compiled past the helper draws differently with the same seed depending on
    # whether an earlier process filled the cache.
    direct = [
        str(path.relative_to(REPO))
        for path in (REPO / "workbench").rglob("*.py")
        if "nutpie.compile_pymc_model(" in path.read_text() and path.name != "compiling.py"
    ]
    assert direct == []


def test_the_compile_cache_keeps_the_most_recently_used_models(monkeypatch):
    # A served dashboard compiles one model per distinct prior; the cache must not grow forever.
    monkeypatch.setattr(compiling, "_compiled", compiling.OrderedDict())
    monkeypatch.setattr(compiling, "COMPILED_MODELS_KEPT", 2)
    monkeypatch.setattr(compiling, "compile_pymc_model", lambda model: FakeCompiled(model))
    compiling.compiled_for("a", lambda: "model a", {})
    compiling.compiled_for("b", lambda: "model b", {})
    assert compiling.compiled_for("a", lambda: "rebuilt", {"x": 1}).data == {"x": 1}
    before = compiling.compile_count()
    compiling.compiled_for("c", lambda: "model c", {})
    assert compiling.compile_count() == before + 1
    assert [compiling.is_compiled(key) for key in "abc"] == [True, False, True]


def test_data_for_a_container_compiled_away_is_not_passed(monkeypatch):
    # A formula that never reads the target's centre: nutpie drops its container and would
    # refuse data for it.
    monkeypatch.setattr(compiling, "_compiled", compiling.OrderedDict())
    monkeypatch.setattr(compiling, "compile_pymc_model", lambda model: FakeCompiled(model))
    compiling.compiled_for("a", lambda: "model a", {})
    reused = compiling.compiled_for("a", lambda: "rebuilt", {"x": 1, "centre_y": 2.0})
    assert reused.data == {"x": 1}


class FakeCompiled:
    """Holds the data containers ``x`` and ``y``, as nutpie's compiled model names its shared
    variables."""

    def __init__(self, model, data=None):
        self.model, self.data = model, data
        self.shared_var_keys = [SimpleNamespace(name="x"), SimpleNamespace(name="y")]

    def with_data(self, **data):
        return FakeCompiled(self.model, data)
