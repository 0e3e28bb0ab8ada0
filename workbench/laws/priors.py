"""Priors as plain data, so they can be shown, edited, saved and compared."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Prior:
    """A PyMC distribution by name with its parameters, e.g. ``Prior("Normal", mu=0, sigma=1)``."""

    distribution: str
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __init__(self, distribution: str, **parameters: float):
        object.__setattr__(self, "distribution", distribution)
        object.__setattr__(self, "parameters", dict(parameters))

    def to_dict(self) -> dict[str, Any]:
        return {"distribution": self.distribution, **self.parameters}

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> "Prior":
        spec = dict(spec)
        return cls(spec.pop("distribution"), **spec)

    def __str__(self) -> str:
        arguments = ", ".join(f"{key}={value:g}" for key, value in self.parameters.items())
        return f"{self.distribution}({arguments})"


def as_prior(spec: "Prior | Mapping[str, Any]") -> Prior:
    return spec if isinstance(spec, Prior) else Prior.from_dict(spec)


def priors_to_json(priors: Mapping[str, Prior]) -> str:
    return json.dumps({name: prior.to_dict() for name, prior in priors.items()}, sort_keys=True)


def priors_from_json(text: str) -> dict[str, Prior]:
    return {name: Prior.from_dict(spec) for name, spec in json.loads(text).items()}


POSITIVE_DISTRIBUTIONS = frozenset(
    {
        "LogNormal",
        "Gamma",
        "HalfNormal",
        "HalfStudentT",
        "HalfCauchy",
        "Exponential",
        "InverseGamma",
    }
)


def is_positive(prior: Prior) -> bool:
    return prior.distribution in POSITIVE_DISTRIBUTIONS


def typical_value(prior: Prior) -> float:
    """A central value of the prior, used to start optimizers."""
    p = prior.parameters
    match prior.distribution:
        case "Normal" | "StudentT":
            return float(p.get("mu", 0.0))
        case "LogNormal":
            return float(np.exp(p.get("mu", 0.0)))
        case "Gamma":
            return float(p["alpha"] / p["beta"])
        case "HalfNormal" | "HalfStudentT" | "HalfCauchy":
            return 0.6745 * float(p.get("sigma", p.get("beta", 1.0)))
        case "Exponential":
            return float(np.log(2) / p["lam"])
        case "Uniform":
            return 0.5 * (float(p["lower"]) + float(p["upper"]))
    raise ValueError(f"no typical value known for a {prior.distribution} prior")


def merge_priors(defaults: Mapping[str, Prior], overrides, owner: str) -> dict[str, Prior]:
    """``defaults`` with the user's ``overrides``; an unknown name lists the valid ones."""
    unknown = sorted(set(overrides or {}) - set(defaults))
    if unknown:
        raise ValueError(
            f"no parameter {', '.join(unknown)} in {owner}; "
            f"priors can be set for: {', '.join(defaults)}"
        )
    return dict(defaults) | {name: as_prior(spec) for name, spec in (overrides or {}).items()}
