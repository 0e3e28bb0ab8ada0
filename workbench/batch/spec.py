"""The batch spec: a YAML grid over data sets, laws, fitting choices and holdout cuts.

.. code-block:: yaml

    datasets:
      epoch: {loader: chinchilla_epoch}            # any loader in workbench.runs.datasets
      mine: {path: runs.csv, target: loss}          # or a run file (CSV/Parquet/JSON)
    laws: [chinchilla, kaplan_joint]
    holdout_top_frac: [0.1, 0.2]                    # leave-future-out cuts by compute
    draws: 500
    # optional, with their defaults:
    tune: 500                                       # defaults to draws
    chains: 2
    seed: 0
    holdout_by: null                                # C, or N without C
    interval: calibrated                            # calibrated (nested LFO per fit) or law
    ci_prob: 0.9                                    # scored level (the project's by default)
    likelihood: [student_t]                         # student_t, normal
    checkpoints: [final]                            # final, run-effect, independent
    min_fraction: [null]                            # checkpoint cut, for checkpoint policies
    priors: {default: null}                         # named prior sets, each a grid value
    save_fits: true                                 # write fits/<job_id>.nc (~8 MB each)

Every combination is a job. Combinations that mean the same fit collapse into one: a run-effect
fit is always Gaussian, and ``min_fraction`` only applies when checkpoints are fitted.
"""

import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workbench.fitting.structure import CHECKPOINT_POLICIES
from workbench.intervals import resolve_ci_prob
from workbench.laws import LAWS, get_law
from workbench.laws.formula import FormulaError
from workbench.laws.priors import priors_from_json, priors_to_json
from workbench.runs import read_runs
from workbench.runs.datasets import DATASETS, load_dataset

LIKELIHOODS = ("student_t", "normal")
LAW_IN_ID = 40
"""Characters of the law's name kept in a job id (a formula can be long; the hash tells apart)."""
TOP_LEVEL_KEYS = {
    "datasets",
    "laws",
    "holdout_top_frac",
    "draws",
    "tune",
    "chains",
    "seed",
    "holdout_by",
    "interval",
    "ci_prob",
    "likelihood",
    "checkpoints",
    "min_fraction",
    "priors",
    "save_fits",
}
JOB_KEYS = (
    "dataset",
    "law",
    "likelihood",
    "checkpoints",
    "min_fraction",
    "priors",
    "holdout_top_frac",
)
"""The columns of a results row that say which job it is."""


class SpecError(ValueError):
    """A batch spec that cannot be run as written."""


@dataclass(frozen=True)
class Job:
    """One fit of the grid: a law on a data set, with fitting choices and a holdout cut."""

    dataset: str
    law: str
    likelihood: str
    checkpoints: str
    min_fraction: float | None
    priors: str
    holdout_top_frac: float

    @property
    def keys(self) -> dict:
        return {name: getattr(self, name) for name in JOB_KEYS}


@dataclass(frozen=True)
class BatchSpec:
    """A parsed and validated batch spec; see the module docstring for the YAML form."""

    datasets: dict[str, dict]
    laws: tuple[str, ...]
    holdout_top_frac: tuple[float, ...]
    draws: int
    tune: int
    chains: int = 2
    seed: int = 0
    holdout_by: str | None = None
    interval: str = "calibrated"
    """Score calibrated intervals (each fit calibrated by nested backtests on its training
    runs) or the law's own."""
    ci_prob: float = field(default_factory=resolve_ci_prob)
    """The credible level scored (with the inner ``INNER_PROB`` one)."""
    likelihood: tuple[str, ...] = ("student_t",)
    checkpoints: tuple[str, ...] = ("final",)
    min_fraction: tuple[float | None, ...] = (None,)
    priors: dict[str, str | None] = field(default_factory=lambda: {"default": None})
    """Named prior sets as JSON (``priors_to_json``), or None for the law's defaults."""
    save_fits: bool = True

    @property
    def sampler(self) -> dict:
        # One core per worker: the cluster, not nutpie, spreads the work over the machine.
        return {"draws": self.draws, "tune": self.tune, "chains": self.chains, "cores": 1}

    def jobs(self) -> list[Job]:
        """Every distinct job of the grid, in spec order."""
        jobs = {}
        grid = itertools.product(
            self.datasets,
            self.laws,
            self.likelihood,
            self.checkpoints,
            self.min_fraction,
            self.priors,
            self.holdout_top_frac,
        )
        for dataset, law, likelihood, policy, min_fraction, priors, fraction in grid:
            if policy == "run-effect":
                likelihood = "normal"
            if policy == "final":
                min_fraction = None
            job = Job(dataset, law, likelihood, policy, min_fraction, priors, fraction)
            jobs.setdefault(job, None)
        return list(jobs)

    def job_id(self, job: Job) -> str:
        """A stable id: readable keys plus a hash of everything that changes the fit's result."""
        content = job.keys | {
            "priors": self.priors[job.priors],
            "dataset": self.datasets[job.dataset],
            "sampler": self.sampler,
            "seed": self.seed,
            "holdout_by": self.holdout_by,
            "interval": self.interval,
            "ci_prob": self.ci_prob,
        }
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:10]
        # The id names the job's fit file: a formula's "/" or spaces must not reach the path.
        law = re.sub(r"[^\w.=+-]+", "_", job.law)[:LAW_IN_ID]
        return f"{job.dataset}-{law}-{job.checkpoints}-h{job.holdout_top_frac:g}-{digest}"


def load_spec(path) -> BatchSpec:
    """Read and validate a YAML batch spec; relative data paths are relative to the spec file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise SpecError(f"cannot read the batch spec {path}: {error.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SpecError(f"{path} is not valid YAML: {error}".replace("\n", " ")) from None
    try:
        return parse_spec(raw, base=path.parent)
    except SpecError as error:
        raise SpecError(f"{path}: {error}") from None


def parse_spec(raw, base=None) -> BatchSpec:
    """Validate a spec given as a mapping (the parsed YAML)."""
    if not isinstance(raw, Mapping):
        raise SpecError("a batch spec is a mapping with at least datasets, laws, holdout_top_frac")
    unknown = sorted(set(raw) - TOP_LEVEL_KEYS)
    if unknown:
        raise SpecError(f"unknown spec keys {unknown}; valid: {', '.join(sorted(TOP_LEVEL_KEYS))}")
    missing = [key for key in ("datasets", "laws", "holdout_top_frac", "draws") if key not in raw]
    if missing:
        raise SpecError(f"the batch spec needs {', '.join(missing)}")
    draws = _positive_int(raw, "draws")
    return BatchSpec(
        datasets=_datasets(raw["datasets"], Path(base or ".")),
        laws=_laws(raw["laws"]),
        holdout_top_frac=tuple(
            _fraction(value, "holdout_top_frac", open_low=True)
            for value in _listed(raw, "holdout_top_frac")
        ),
        draws=draws,
        tune=_positive_int(raw, "tune", draws),
        chains=_positive_int(raw, "chains", 2),
        seed=_integer(raw.get("seed", 0), "seed"),
        holdout_by=_choice(raw.get("holdout_by"), "holdout_by", ("C", "N", "D", "step", None)),
        interval=_choice(raw.get("interval", "calibrated"), "interval", ("calibrated", "law")),
        ci_prob=_level(raw.get("ci_prob")),
        likelihood=tuple(
            _choice(value, "likelihood", LIKELIHOODS)
            for value in _listed(raw, "likelihood", ["student_t"])
        ),
        checkpoints=tuple(
            _choice(value, "checkpoints", tuple(CHECKPOINT_POLICIES))
            for value in _listed(raw, "checkpoints", ["final"])
        ),
        min_fraction=tuple(
            None if value is None else _fraction(value, "min_fraction", open_low=False)
            for value in _listed(raw, "min_fraction", [None])
        ),
        priors=_prior_sets(raw.get("priors")),
        save_fits=_boolean(raw.get("save_fits", True), "save_fits"),
    )


def load_runs(source: Mapping, **overrides):
    """The run table of one ``datasets`` entry (on the machine that calls it)."""
    options = {key: value for key, value in source.items() if key not in ("path", "loader")}
    if "loader" in source:
        return load_dataset(source["loader"], **options, **overrides)
    return read_runs(source["path"], **options, **overrides)


def _datasets(raw, base: Path) -> dict[str, dict]:
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError("datasets: give a mapping of name to {path: FILE} or {loader: NAME}")
    datasets = {}
    for name, source in raw.items():
        if not isinstance(source, Mapping) or ("path" in source) == ("loader" in source):
            raise SpecError(f"datasets.{name}: give exactly one of path: FILE or loader: NAME")
        source = dict(source)
        if "loader" in source and source["loader"] not in DATASETS:
            raise SpecError(
                f"datasets.{name}: unknown loader {source['loader']!r}; "
                f"valid: {', '.join(sorted(DATASETS))}"
            )
        if "path" in source:
            if not isinstance(source["path"], str):
                raise SpecError(f"datasets.{name}.path: {source['path']!r} is not a file name")
            source["path"] = str(base / source["path"])
        datasets[str(name)] = source
    return datasets


def _laws(raw) -> tuple[str, ...]:
    laws = raw if isinstance(raw, list) else [raw]
    for name in laws:
        if not isinstance(name, str):
            raise SpecError(f"laws: {name!r} is not a law name; valid: {', '.join(sorted(LAWS))}")
        if name.startswith("formula:"):
            try:
                get_law(name)
            except FormulaError as error:
                raise SpecError(f"laws: {error}") from None
        elif name not in LAWS:
            raise SpecError(f"laws: unknown law {name!r}; valid: {', '.join(sorted(LAWS))}")
    if not laws or len(set(laws)) != len(laws):
        raise SpecError("laws: list each law once, and at least one")
    return tuple(laws)


def _prior_sets(raw) -> dict[str, str | None]:
    if raw is None:
        return {"default": None}
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError("priors: give a mapping of set name to {parameter: {distribution: ...}}")
    sets = {}
    for name, overrides in raw.items():
        if overrides is None:
            sets[str(name)] = None
            continue
        try:
            sets[str(name)] = priors_to_json(priors_from_json(json.dumps(overrides)))
        except (TypeError, ValueError, KeyError) as error:
            raise SpecError(f"priors.{name}: {error}") from None
    return sets


def _level(value) -> float:
    try:
        return resolve_ci_prob(value)
    except (TypeError, ValueError) as error:
        raise SpecError(f"ci_prob: {error}") from None


def _listed(raw, key, default=None) -> list:
    value = raw.get(key, default)
    values = value if isinstance(value, list) else [value]
    if not values:
        raise SpecError(f"{key}: give at least one value")
    return values


def _choice(value, key, valid):
    if value not in valid:
        shown = ", ".join(str(choice) for choice in valid if choice is not None)
        raise SpecError(f"{key}: {value!r} is not one of {shown}")
    return value


def _fraction(value, key, *, open_low: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{key}: {value!r} is not a number")
    low_ok = value > 0 if open_low else value >= 0
    if not (low_ok and value < 1):
        interval = "(0, 1)" if open_low else "[0, 1)"
        raise SpecError(f"{key}: {value} must lie in {interval}")
    return float(value)


def _boolean(value, key) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{key}: {value!r} is not true or false")
    return value


def _integer(value, key) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{key}: {value!r} is not an integer")
    return value


def _positive_int(raw, key, default=None) -> int:
    value = _integer(raw.get(key, default), key)
    if value < 1:
        raise SpecError(f"{key}: must be at least 1, not {value}")
    return value
