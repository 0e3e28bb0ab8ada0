r"""Bayesian PassUntil models: per-instance pass rates with partial pooling, and task-level laws.

Every model has the binomial kernel :math:`r \log p + (K - r) \log(1 - p)` as its likelihood. It
is exact up to a constant for fixed-K sampling, for sampling until the first (or r-th) pass and for
a budget cap alike (the stopping-rule principle); an instance censored at the cap with r = 0
contributes :math:`(1-p)^K`, the probability of K failures, its right-censored survival term. The
constant is left out, so log-likelihoods compare models on the same data only.

Pass rates follow :math:`p = \exp(-c N^{-\alpha})`, computed through
:math:`\eta = \log c - \alpha \log N` as :math:`\log p = -e^{\eta}` and
:math:`\log(1-p) = \log(-\operatorname{expm1}(-e^{\eta}))`, which stay finite for p near 0 and 1.
Each model compiles once per process (per instance count for :class:`PassUntilFit`) and swaps
data through nutpie's ``with_data``.

References
----------
Hu et al. (2023), "Unlock Predictable Scaling from Emergent Abilities", arXiv:2310.03262.
"""

import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import ClassVar

import numpy as np
import nutpie
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

import workbench
from workbench.emergence.logs import PassUntilLogs, read_passuntil
from workbench.fitting.diagnostics import Diagnostics, diagnose, warn_if_untrustworthy
from workbench.fitting.fit import DEFAULT_SAMPLER, NotFittedError
from workbench.fitting.model import create_variable, merge_sampler_options, sample
from workbench.laws.priors import Prior, merge_priors, priors_to_json

_compiled: dict[tuple, object] = {}
_compile_lock = threading.Lock()


def log_pass_rates(eta):
    """(log p, log(1 − p)) for p = exp(−exp(η)); NumPy or PyTensor."""
    if isinstance(eta, pt.TensorVariable):
        log_p = -pt.exp(eta)
        return log_p, pt.log1mexp(log_p)
    eta = np.asarray(eta, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        return -np.exp(eta), np.log(-np.expm1(-np.exp(eta)))


def binomial_kernel(eta, passes, attempts):
    """Pointwise r·log p + (K − r)·log(1 − p), with 0·log 0 = 0."""
    log_p, log_q = log_pass_rates(eta)
    failures = attempts - passes
    if isinstance(eta, pt.TensorVariable):
        return passes * log_p + pt.switch(failures > 0, failures * log_q, 0.0)
    with np.errstate(invalid="ignore"):
        return passes * log_p + np.where(failures > 0, failures * log_q, 0.0)


class CountFit:
    """Shared machinery of the PassUntil models: priors, compile cache, sampling, DataTree.

    Subclasses define ``default_priors``, ``data``, ``build`` (the PyMC model given ``pm.Data``
    containers) and ``eta`` (η per posterior draw, unit and size, in NumPy).
    """

    name: ClassVar[str]
    var_names: ClassVar[tuple[str, ...]]
    sampler_defaults: ClassVar[dict] = {}

    def __init__(self, priors: Mapping | None = None, sampler: Mapping | None = None):
        self.priors = priors
        self.sampler = sampler

    # -- configuration -------------------------------------------------------------------
    def default_priors(self) -> dict[str, Prior]:
        raise NotImplementedError

    @property
    def priors_(self) -> dict[str, Prior]:
        """Default priors with the user's overrides applied."""
        return merge_priors(self.default_priors(), self.priors, self.name)

    @property
    def sampler_(self) -> dict:
        return merge_sampler_options(DEFAULT_SAMPLER | self.sampler_defaults, self.sampler)

    # -- model pieces --------------------------------------------------------------------
    def data(self, logs: PassUntilLogs, centre: float) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def shape_key(self, logs: PassUntilLogs) -> tuple:
        """Everything besides priors that fixes the compiled model's parameter shapes."""
        return ()

    def build(self, containers: dict, priors: Mapping[str, Prior], logs: PassUntilLogs):
        raise NotImplementedError

    def eta(self, posterior: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        """η = log(−log p) with draws on axis 0, units (instances or 1) on axis 1, x on axis 2."""
        raise NotImplementedError

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self,
        logs,
        random_seed: int | None = None,
        *,
        progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> "CountFit":
        """Sample the posterior with nutpie NUTS; sets ``idata_`` and ``logs_``, returns self.

        ``progress`` and ``cancel`` work as in :meth:`workbench.fitting.ScalingLawFit.fit`.
        """
        logs = read_passuntil(logs)
        if logs.sizes.size < 2:
            raise ValueError(f"{self.name} needs logs from at least two model sizes")
        priors, options = self.priors_, self.sampler_
        centre = float(np.mean(np.log(logs.sizes)))
        data = self.data(logs, centre)
        compiled = self._compiled(priors, data, logs)
        seed = int(np.random.SeedSequence(random_seed).generate_state(1)[0])
        start = time.perf_counter()
        trace = sample(compiled, seed, options, progress=progress, cancel=cancel)
        elapsed = time.perf_counter() - start
        self.logs_ = logs
        self.idata_ = self._tree(trace, logs, data, centre, priors, options, seed, elapsed)
        warn_if_untrustworthy(self.diagnostics(), self.name)
        return self

    def _compiled(self, priors, data, logs):
        key = (type(self).__name__, priors_to_json(priors), self.shape_key(logs))
        with _compile_lock:
            if key not in _compiled:
                with pm.Model() as model:
                    containers = {name: pm.Data(name, value) for name, value in data.items()}
                    self.build(containers, priors, logs)
                _compiled[key] = nutpie.compile_pymc_model(model)
                return _compiled[key]
        return _compiled[key].with_data(**data)

    def _tree(self, trace, logs, data, centre, priors, options, seed, elapsed) -> xr.DataTree:
        posterior = trace.posterior.to_dataset()
        posterior = posterior.assign(self.derived(posterior, centre))
        draws = self._flat(posterior)
        eta = self.eta(draws, data["x"][None, None, :])
        units = data["unit"] if "unit" in data else np.zeros(data["x"].size, dtype=int)
        pointwise = binomial_kernel(
            eta[:, units, np.arange(units.size)], data["passes"], data["attempts"]
        )
        shape = (posterior.sizes["chain"], posterior.sizes["draw"], units.size)
        observation = {"obs": np.arange(units.size)}
        tree = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": trace.sample_stats.to_dataset(),
                "log_likelihood": xr.Dataset(
                    {"passes": (("chain", "draw", "obs"), pointwise.reshape(shape))},
                    coords=observation,
                ),
                "observed_data": xr.Dataset(
                    {"passes": ("obs", data["passes"]), "attempts": ("obs", data["attempts"])},
                    coords=observation,
                ),
                "constant_data": xr.Dataset(
                    {"log_N_centred": ("obs", data["x"]), "unit": ("obs", units)},
                    coords=observation,
                ),
            }
        )
        tree.attrs = {
            "workbench_version": workbench.__version__,
            "model": self.name,
            "priors": priors_to_json(priors),
            "centre_log_N": centre,
            "data_hash": logs.content_hash(),
            "n_obs": int(units.size),
            "sampler": json.dumps(options, sort_keys=True),
            "random_seed": seed,
            "sampling_seconds": elapsed,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return tree

    def derived(self, posterior: xr.Dataset, centre: float) -> dict[str, xr.DataArray]:
        return {}

    # -- results -------------------------------------------------------------------------
    @property
    def idata(self) -> xr.DataTree:
        if not hasattr(self, "idata_"):
            raise NotFittedError(
                f"this {type(self).__name__} has no posterior yet: call .fit(logs, random_seed=...)"
            )
        return self.idata_

    @staticmethod
    def _flat(posterior: xr.Dataset) -> dict[str, np.ndarray]:
        return {
            name: value.values.reshape(-1, *value.shape[2:])
            for name, value in posterior.data_vars.items()
        }

    def draws(self) -> dict[str, np.ndarray]:
        """Posterior draws flattened over chains (draws on axis 0), by variable name."""
        return self._flat(self.idata["posterior"].to_dataset())

    def diagnostics(self) -> Diagnostics:
        return diagnose(
            self.idata["posterior"].to_dataset(),
            self.idata["sample_stats"].to_dataset(),
            list(self.var_names),
        )

    def pass_rates(self, N) -> np.ndarray:
        """Posterior draws of p at sizes N: shape (draws, units, len(N))."""
        N = np.atleast_1d(np.asarray(N, dtype=float))
        x = np.log(N) - self.idata.attrs["centre_log_N"]
        return np.exp(log_pass_rates(self.eta(self.draws(), x[None, None, :]))[0])

    def __repr__(self) -> str:
        state = f"n_obs={self.idata_.attrs['n_obs']}" if hasattr(self, "idata_") else "not fitted"
        return f"{type(self).__name__}({state})"


class PassUntilFit(CountFit):
    r"""Per-instance pass rates with partial pooling across a task's instances.

    .. math::

        \log(-\log p_{i,N}) = \log c_i - \alpha_i \log N, \qquad
        r_{i,N} \mid p_{i,N} \propto p_{i,N}^{r}(1 - p_{i,N})^{K - r}

    The posterior reports :math:`b_i = \log c_i - \alpha_i \overline{\log N}`, the instance's
    log(−log p) at the data's mean log size, and :math:`\alpha_i`, with
    :math:`b_i \sim N(\mu_b, \sigma_b)` and :math:`\alpha_i \sim N(\mu_\alpha, \sigma_\alpha)`.
    The sampler sees :math:`\alpha_i = \mu_\alpha + \sigma_\alpha z_i` (non-centred, since one
    instance says little about its own slope) and, instead of :math:`b_i`, the instance's
    log(−log p) at its own most informative size :math:`x^*_i` (centred log N),
    :math:`b^*_i = b_i - \alpha_i x^*_i \sim N(\mu_b - \alpha_i x^*_i, \sigma_b)`: the same prior
    (the shift has unit Jacobian), but :math:`b^*_i` and :math:`\alpha_i` are nearly uncorrelated
    in the posterior, which a diagonal mass matrix can follow. :math:`x^*_i` weights the sizes at
    which the instance passed by the Fisher information of a first-pass count about
    :math:`\eta`, :math:`(\log \hat p)^2 / (1 - \hat p)` at :math:`\hat p = (r + ½)/(K + 1)`;
    an instance that never passed uses the largest size.
    Censored instances (r = 0 at the cap) enter through :math:`(1-p)^K`.

    Default priors: :math:`\mu_b \sim N(0, 2.5)` (b = 0 is p = e^{-1} at the centre),
    :math:`\mu_\alpha \sim N(0.5, 0.5)`, :math:`\sigma_b \sim \text{HalfNormal}(1.5)`,
    :math:`\sigma_\alpha \sim \text{HalfNormal}(0.25)`.
    The posterior also holds ``b``, ``alpha`` and ``log_c`` (paper convention) per instance.
    """

    name = "passuntil_hierarchical"
    var_names = ("mu_b", "mu_alpha", "sd_b", "sd_alpha", "b", "alpha")
    # Diagonal adaptation: with two parameters per instance, nutpie's low-rank adaptation took
    # 50 s for 100 instances × 6 sizes against 3 s for diagonal, at the same R-hat.
    # 2000 draws: over the 332 quantities R-hat is checked on at 164 instances, independent
    # draws alone give a max R-hat of ~1.0044 with 2 × 1000 draws (1.0020 with 2 × 2000; 4 × 1000
    # gives 1.0025 at a higher cost, since tuning is repeated per chain), so with the ESS NUTS
    # reaches here (sd_alpha 100-700 of 2000) 1000 draws left R-hat > 1.01 in 2-6 of 10
    # simulated seeds for every parameterization tried; see build.
    sampler_defaults: ClassVar[dict] = {"adaptation": "diag", "draws": 2000}

    def default_priors(self):
        return {
            "mu_b": Prior("Normal", mu=0.0, sigma=2.5),
            "mu_alpha": Prior("Normal", mu=0.5, sigma=0.5),
            "sd_b": Prior("HalfNormal", sigma=1.5),
            "sd_alpha": Prior("HalfNormal", sigma=0.25),
        }

    def shape_key(self, logs):
        return (len(logs.instances),)

    def data(self, logs, centre):
        unit = logs.instance_index().astype(np.int64)
        x = np.log(logs.N) - centre
        passes, attempts = logs.passes.astype(float), logs.attempts.astype(float)
        return {
            "unit": unit,
            "x": x,
            "x_star": self.informative_x(unit, x, passes, attempts, len(logs.instances)),
            "passes": passes,
            "attempts": attempts,
        }

    @staticmethod
    def informative_x(unit, x, passes, attempts, n_instances) -> np.ndarray:
        """Per instance, centred log N weighted by the information its passing counts carry."""
        p = np.clip((passes + 0.5) / (attempts + 1.0), 1e-12, 1.0 - 1e-12)
        weight = np.where(passes > 0, np.log(p) ** 2 / (1.0 - p), 0.0)
        total = np.bincount(unit, weight, n_instances)
        weighted = np.bincount(unit, weight * x, n_instances)
        return np.where(total > 0, weighted / np.where(total > 0, total, 1.0), x.max())

    def build(self, containers, priors, logs):
        n_instances = len(logs.instances)
        mu_b, mu_alpha = (
            create_variable("mu_b", priors["mu_b"]),
            create_variable("mu_alpha", priors["mu_alpha"]),
        )
        sd_b, sd_alpha = (
            create_variable("sd_b", priors["sd_b"]),
            create_variable("sd_alpha", priors["sd_alpha"]),
        )
        # Measured on the benchmark's 164 instances × 6 sizes, seeds 1-10, 2 chains × 1000 draws
        # (R-hat ≤ 1.01 / median ESS of sd_alpha / leapfrog steps per fit):
        #   b_i centred at the global centre, zero-sum z_alpha  5/10, 355, 35k
        #   the same with plain Normal z_alpha                  8/10, 368, 35k
        #   alpha centred as well                               5/10, 148 (min 9: a funnel), 40k
        #   b*_i at the mean of the instance's passing sizes    6/10, 399, 43k
        #   b*_i at its information-weighted size (kept)        7/10, 569, 30k
        # The kept form doubles sd_alpha's ESS per gradient and raises b's and alpha's median
        # ESS from ~850 to ~1440 and ~1160. With the default 2000 draws it met R-hat ≤ 1.01 in
        # 10/10 seeds (max 1.0069, 60k steps, 11-15 s warm on an idle machine) against 9/10 (max
        # 1.0122, 70k steps, 11-23 s) for the global-centre zero-sum form. Zero-sum offsets
        # made no consistent difference (8/10 against 6/10 and sd_alpha ESS 449 against 399 with
        # the passing-size centring), so z_alpha is plain Normal: alpha_i ~ N(mu_alpha,
        # sd_alpha) exactly, as documented.
        z_alpha = pm.Normal("z_alpha", 0.0, 1.0, shape=n_instances)
        alpha = mu_alpha + sd_alpha * z_alpha
        x_star = containers["x_star"]
        b_star = pm.Normal("b_star", mu_b - alpha * x_star, sd_b, shape=n_instances)
        pm.Deterministic("b_instance", b_star + alpha * x_star)
        unit = containers["unit"]
        eta = b_star[unit] - alpha[unit] * (containers["x"] - x_star[unit])
        pm.Potential(
            "likelihood",
            binomial_kernel(eta, containers["passes"], containers["attempts"]).sum(),
        )

    def derived(self, posterior, centre):
        b = posterior["b_instance"]
        alpha = posterior["mu_alpha"] + posterior["sd_alpha"] * posterior["z_alpha"]
        b, alpha = (value.rename({value.dims[-1]: "instance"}) for value in (b, alpha))
        return {"b": b, "alpha": alpha, "log_c": b + alpha * centre}

    def eta(self, posterior, x):
        return posterior["b"][:, :, None] - posterior["alpha"][:, :, None] * x


class TaskLawFit(CountFit):
    r"""The paper's task-level law on counts pooled over instances per size.

    .. math::

        PU(N) = \exp(-c N^{-\alpha}), \qquad
        F(N) = \log(-\log PU(N)) = \log c - \alpha \log N

    Likelihood: the binomial kernel of the pooled counts (Σr, ΣK) at each size. Sampler
    parameters: ``b`` = F at the data's mean log N, ~ N(0, 2.5), and ``alpha`` ~ N(0.5, 0.5).
    """

    name = "task_law"
    var_names = ("b", "alpha")

    def default_priors(self):
        return {
            "b": Prior("Normal", mu=0.0, sigma=2.5),
            "alpha": Prior("Normal", mu=0.5, sigma=0.5),
        }

    def data(self, logs, centre):
        pooled = logs.pooled()
        return {
            "x": np.log(pooled["N"].to_numpy(dtype=float)) - centre,
            "passes": pooled["passes"].to_numpy(dtype=float),
            "attempts": pooled["attempts"].to_numpy(dtype=float),
        }

    def build(self, containers, priors, logs):
        b, alpha = create_variable("b", priors["b"]), create_variable("alpha", priors["alpha"])
        eta = b - alpha * containers["x"]
        pm.Potential(
            "likelihood",
            binomial_kernel(eta, containers["passes"], containers["attempts"]).sum(),
        )

    def derived(self, posterior, centre):
        return {"log_c": posterior["b"] + posterior["alpha"] * centre}

    def eta(self, posterior, x):
        return posterior["b"][:, None, None] - posterior["alpha"][:, None, None] * x


class MultipleCircuitsFit(TaskLawFit):
    r"""Two circuits: PU(N) is the larger of two task laws, so F is the minimum of two lines.

    .. math::

        PU(N) = \max_{k=1,2} \exp(-c_k N^{-\alpha_k}), \qquad
        F(N) = \min_k (\log c_k - \alpha_k \log N)

    F is concave in log N: accelerated emergence when the lines cross inside the data. The
    sampler sees the crossing point ``kink`` (centred log N) ~ N(0, 2), F there ``f_kink`` ~
    N(0, 2.5), the small-N slope ``alpha`` ~ N(0.5, 0.5) and the extra large-N slope
    ``delta`` ~ HalfNormal(1), so ``alpha_2 = alpha + delta`` and the circuits cannot swap labels.
    """

    name = "multiple_circuits"
    var_names = ("f_kink", "kink", "alpha", "delta")

    def default_priors(self):
        return {
            "f_kink": Prior("Normal", mu=0.0, sigma=2.5),
            "kink": Prior("Normal", mu=0.0, sigma=2.0),
            "alpha": Prior("Normal", mu=0.5, sigma=0.5),
            "delta": Prior("HalfNormal", sigma=1.0),
        }

    def build(self, containers, priors, logs):
        f_kink, kink = (
            create_variable("f_kink", priors["f_kink"]),
            create_variable("kink", priors["kink"]),
        )
        alpha, delta = (
            create_variable("alpha", priors["alpha"]),
            create_variable("delta", priors["delta"]),
        )
        distance = containers["x"] - kink
        eta = f_kink - alpha * distance - delta * pt.maximum(distance, 0.0)
        pm.Potential(
            "likelihood",
            binomial_kernel(eta, containers["passes"], containers["attempts"]).sum(),
        )

    def derived(self, posterior, centre):
        return {"alpha_2": posterior["alpha"] + posterior["delta"]}

    def eta(self, posterior, x):
        def column(name):
            return posterior[name][:, None, None]

        distance = x - column("kink")
        return (
            column("f_kink")
            - column("alpha") * distance
            - column("delta") * np.maximum(distance, 0.0)
        )
