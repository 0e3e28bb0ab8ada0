"""Build the PyMC model of a law and compile it once per process with nutpie.

Every data-dependent number (centred log covariates, the log target and its mean) enters as
``pm.Data``, so one compiled model serves data sets of any length through nutpie's data swap.
"""

from collections.abc import Mapping

import numpy as np
import nutpie
import pymc as pm
import pytensor.tensor as pt
from pytensor.gradient import disconnected_grad

from workbench.fitting.compiling import compiled_for
from workbench.fitting.compiling import is_compiled as is_key_compiled
from workbench.fitting.structure import (
    Structure,
    design_points,
    observation_runs,
    residual_squares,
    run_effect_log_density,
    run_effect_statistics,
    run_totals,
)
from workbench.laws import Prior, ScalingLaw
from workbench.laws.base import SeparableLaw
from workbench.laws.priors import is_positive, priors_to_json
from workbench.runs import RunTable

LIKELIHOODS = ("student_t", "normal")
NOISE_PRIORS = {
    "student_t": {
        "sigma": Prior("HalfNormal", sigma=0.05),
        "nu": Prior("Gamma", alpha=2.0, beta=0.1),
    },
    "normal": {"sigma": Prior("HalfNormal", sigma=0.05)},
}
CANCEL_POLL_SECONDS = 0.05
PLAIN = Structure()


class FitCancelled(RuntimeError):
    """Sampling was stopped through the ``cancel`` event."""


def default_priors(
    law: ScalingLaw, likelihood: str, structure: Structure = PLAIN
) -> dict[str, Prior]:
    check_likelihood(likelihood)
    law_priors = law.default_priors()
    return {**law_priors, **NOISE_PRIORS[likelihood], **structure.priors(law, law_priors)}


def check_likelihood(likelihood: str) -> None:
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"unknown likelihood {likelihood!r}; valid: {', '.join(LIKELIHOODS)}")


def design_columns(
    law: ScalingLaw, x: Mapping[str, np.ndarray], centres, structure: Structure, runs
) -> dict[str, np.ndarray]:
    """What the law's mean reads of each observation: centred log covariates and group."""
    columns = {f"x_{name}": np.log(x[name]) - centres[name] for name in law.covariates}
    if structure.groups:
        columns["group_onehot"] = structure.group_onehot(structure.group_labels(runs))
    return columns


def model_data(
    law: ScalingLaw,
    x: Mapping[str, np.ndarray],
    y: np.ndarray,
    centres,
    structure: Structure = PLAIN,
    runs: RunTable | None = None,
) -> dict:
    """The values of every ``pm.Data`` container, by name.

    A run-effect likelihood is Gaussian, so it reads the data through sufficient statistics: the
    covariates (and group) of each design point and :func:`run_effect_statistics`. A
    :class:`~workbench.laws.base.SeparableLaw` without groups reads each covariate as its
    distinct values (``x_N_values``) and each design point's index into them (``x_N_index``).
    Otherwise every observation enters with its covariates.
    """
    columns = design_columns(law, x, centres, structure, runs)
    data = {f"centre_{name}": np.asarray(centres[name]) for name in law.model_centres()}
    if not structure.run_effect:
        return data | columns | {"log_y": np.log(y)}
    first, point_index = design_points(list(columns.values()))
    statistics = run_effect_statistics(np.log(y), point_index, observation_runs(runs))
    points = {name: value[first] for name, value in columns.items()}
    if isinstance(law, SeparableLaw) and not structure.groups:
        points = _factored(points)
    return data | points | statistics


def _factored(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    factored = {}
    for name, column in columns.items():
        factored[f"{name}_values"], factored[f"{name}_index"] = np.unique(
            column, return_inverse=True
        )
    return factored


def data_log_mean(law: ScalingLaw, theta, data, centres, math=np):
    """The law's log mean at every row of ``data``: its observations, or its design points.

    Factored data (see :func:`model_data`) evaluate each of the law's terms once per distinct
    value of its covariate, then gather: the exponentials are most of a gradient of a large
    checkpoint table (2.3 ms at 51,620 design points; 0.7 ms factored, over 20 model sizes). All
    terms share one shift, the largest term anywhere, so no exponential exceeds 1; a term
    underflows only where it lies 700 nats below another, which needs an exponent times the
    data's range of a log covariate above 700.
    """
    if f"x_{law.covariates[0]}_index" not in data:
        return law.log_mean({name: data[f"x_{name}"] for name in law.covariates}, theta, centres)
    terms = law.log_terms({name: data[f"x_{name}_values"] for name in law.covariates}, theta)
    shift = None
    for term in terms.values():
        largest = math.max(term, axis=-1, keepdims=True) if term.ndim else term
        shift = largest if shift is None else math.maximum(shift, largest)
    if math is pt:
        # The result does not depend on the shift.
        shift = disconnected_grad(shift)
    total = 0.0
    for name, term in terms.items():
        scaled = math.exp(term - shift)
        total = total + (math.take(scaled, data[f"x_{name}_index"], axis=-1) if name else scaled)
    return centres["y"] + shift + math.log(total)


def build_model(
    law: ScalingLaw,
    priors: Mapping[str, Prior],
    likelihood: str,
    data,
    structure: Structure = PLAIN,
) -> pm.Model:
    """The PyMC model: log target ~ likelihood(law's log mean, sigma).

    With a run effect the likelihood is Gaussian with each run's offset integrated out; with
    groups every law parameter is partially pooled across groups (see ``structure``).
    """
    with pm.Model() as model:
        containers = {name: pm.Data(name, value) for name, value in data.items()}
        centres = {name: containers[f"centre_{name}"] for name in law.model_centres()}
        if structure.groups:
            theta = _pooled_parameters(law, priors, len(structure.groups), containers)
        else:
            theta = {name: create_variable(name, priors[name]) for name in law.sampler_parameters}
        mu = data_log_mean(law, theta, containers, centres, math=pt)
        sigma = create_variable("sigma", priors["sigma"])
        if structure.run_effect:
            run_sd = create_variable("run_sd", priors["run_sd"])
            deviation = containers["point_mean"] - mu
            log_density = run_effect_log_density(
                run_totals(deviation, containers, math=pt),
                containers["run_count"],
                residual_squares(deviation, containers, math=pt),
                sigma,
                run_sd,
                math=pt,
            )
            pm.Potential("log_target", log_density)
        elif likelihood == "student_t":
            nu = create_variable("nu", priors["nu"])
            pm.StudentT("log_target", nu=nu, mu=mu, sigma=sigma, observed=containers["log_y"])
        else:
            pm.Normal("log_target", mu=mu, sigma=sigma, observed=containers["log_y"])
    return model


def _pooled_parameters(law: ScalingLaw, priors, n_groups: int, containers) -> dict:
    """Each parameter per row of ``group_onehot``, from its group's value (non-centred pooling)."""
    theta = {}
    for name in law.sampler_parameters:
        population = create_variable(f"{name}_pop", priors[name])
        spread = create_variable(f"{name}_sd", priors[f"{name}_sd"])
        standardized = pm.Normal(f"{name}_z", 0.0, 1.0, shape=n_groups)
        if is_positive(priors[name]):
            per_group = population * pt.exp(spread * standardized)
        else:
            per_group = population + spread * standardized
        theta[name] = pt.dot(containers["group_onehot"], per_group)
    return theta


def create_variable(name: str, prior: Prior, **kwargs):
    """The PyMC random variable ``name`` with this prior; ``kwargs`` such as ``dims``."""
    try:
        distribution = getattr(pm, prior.distribution)
    except AttributeError:
        raise ValueError(
            f"prior for {name!r}: PyMC has no distribution {prior.distribution!r}"
        ) from None
    return distribution(name, **prior.parameters, **kwargs)


def compiled_model(
    law: ScalingLaw,
    priors: Mapping[str, Prior],
    likelihood: str,
    data,
    structure: Structure = PLAIN,
):
    """A nutpie model for this data, compiled on first use of its law, priors and structure."""
    return compiled_for(
        _compile_key(law, priors, likelihood, structure),
        lambda: build_model(law, priors, likelihood, data, structure),
        data,
    )


def is_compiled(
    law: ScalingLaw, priors: Mapping[str, Prior], likelihood: str, structure: Structure = PLAIN
) -> bool:
    return is_key_compiled(_compile_key(law, priors, likelihood, structure))


def _compile_key(law: ScalingLaw, priors, likelihood: str, structure: Structure) -> tuple:
    return ("law", law.label, priors_to_json(priors), likelihood, structure.key)


def draw_log_noise(sigma, nu, shape, rng: np.random.Generator) -> np.ndarray:
    """Observation noise on the log scale: Student-t when ``nu`` is given, else Normal."""
    if nu is None:
        return sigma * rng.standard_normal(size=shape)
    return sigma * rng.standard_t(nu, size=shape)


def merge_sampler_options(defaults: Mapping, overrides) -> dict:
    """nutpie options: ``defaults`` updated by ``overrides``; an unknown option raises."""
    options = dict(defaults) | dict(overrides or {})
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"unknown sampler options {unknown}; valid: {', '.join(defaults)}")
    return options


def stage_progress(progress, index: int, count: int):
    """The progress callback of stage ``index`` of ``count`` equal stages of a job that reports
    to ``progress`` (None when nobody listens)."""
    if progress is None:
        return None
    return lambda fraction: progress((index + fraction) / count)


def sampler_seed(random_seed) -> int:
    """The one integer nutpie takes, from any seed NumPy accepts (None: fresh entropy)."""
    return int(np.random.SeedSequence(random_seed).generate_state(1)[0])


def sample(compiled, seed: int, options: dict, *, progress=None, cancel=None):
    """Run nutpie in its own threads, reporting progress and honouring cancellation."""
    if progress is None and cancel is None:
        return nutpie.sample(compiled, seed=seed, save_warmup=False, **options)

    def report(chains):
        total = sum(chain.total_draws for chain in chains)
        progress(sum(chain.finished_draws for chain in chains) / total if total else 0.0)

    sampler = nutpie.sample(
        compiled,
        seed=seed,
        save_warmup=False,
        blocking=False,
        progress_callback=report if progress else None,
        **options,
    )
    while True:
        try:
            return sampler.wait(timeout=CANCEL_POLL_SECONDS)
        except TimeoutError:
            if cancel is not None and cancel.is_set():
                sampler.cancel()
                raise FitCancelled("the fit was cancelled") from None
