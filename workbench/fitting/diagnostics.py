"""Convergence diagnostics: R-hat, bulk and tail ESS, divergences, with explicit warnings."""

import warnings
from dataclasses import dataclass
from pathlib import Path

import arviz as az
import numpy as np
import xarray as xr

RHAT_LIMIT = 1.01
ESS_PER_CHAIN = 100
RHAT_UNUSABLE = 1.05
"""Past this R-hat the chains have not mixed at all; between the two limits, sample longer."""
DIVERGENT_FRACTION_UNUSABLE = 0.01
"""More than this share of divergent transitions: the posterior is biased, not just noisy."""

PACKAGE_FILES = (str(Path(__file__).resolve().parents[1]),)
"""Frames a warning skips: it points at the user's line that started the work, however deep in
the package the work found the problem."""


class FitWarning(UserWarning):
    """A fit whose diagnostics say its numbers should not be trusted yet."""


@dataclass(frozen=True)
class Diagnostics:
    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    chains: int
    draws: int

    @property
    def ess_min(self) -> float:
        """The smaller of the bulk and tail effective sample sizes."""
        return min(self.ess_bulk_min, self.ess_tail_min)

    def problems(self) -> list[str]:
        """Plain-language reasons not to trust the fit; empty when it looks fine."""
        problems = []
        if not self.rhat_max <= RHAT_LIMIT:
            problems.append(
                f"R-hat is {self.rhat_max:.3f} (> {RHAT_LIMIT}): chains disagree; sample longer "
                "(more tune/draws) or check the priors"
            )
        ess_needed = ESS_PER_CHAIN * self.chains
        if not self.ess_min >= ess_needed:
            problems.append(
                f"effective sample size is {self.ess_min:.0f} "
                f"(< {ess_needed}): intervals are noisy; draw more samples"
            )
        if self.divergences:
            problems.append(
                f"{self.divergences} divergent transitions: the posterior may be biased; "
                "tighten priors or check the data for outliers"
            )
        return problems

    def levels(self) -> dict[str, str]:
        """Each check graded "good" (trust it), "warn" (sample longer) or "bad" (unusable)."""
        ess_needed = ESS_PER_CHAIN * self.chains
        allowed_divergences = DIVERGENT_FRACTION_UNUSABLE * self.chains * self.draws
        return {
            "rhat": _graded(self.rhat_max <= RHAT_LIMIT, self.rhat_max <= RHAT_UNUSABLE),
            "ess": _graded(self.ess_min >= ess_needed, self.ess_min >= ess_needed / 2),
            "divergences": _graded(self.divergences == 0, self.divergences <= allowed_divergences),
        }

    def to_dict(self) -> dict:
        return {
            "rhat_max": self.rhat_max,
            "ess_bulk_min": self.ess_bulk_min,
            "ess_tail_min": self.ess_tail_min,
            "divergences": self.divergences,
        }


def _graded(good: bool, usable: bool) -> str:
    return "good" if good else "warn" if usable else "bad"


def diagnose(posterior: xr.Dataset, sample_stats: xr.Dataset, var_names: list[str]) -> Diagnostics:
    # Every scalar of every variable side by side in one array: ArviZ's overhead per variable
    # exceeds its arithmetic on a few thousand draws.
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    columns = [
        posterior[name].transpose("chain", "draw", ...).values.reshape(chains, draws, -1)
        for name in var_names
    ]
    subset = xr.DataArray(np.concatenate(columns, axis=-1), dims=("chain", "draw", "scalar"))
    return Diagnostics(
        rhat_max=float(np.nanmax(az.rhat(subset).values)),
        ess_bulk_min=float(np.nanmin(az.ess(subset, method="bulk").values)),
        ess_tail_min=float(np.nanmin(az.ess(subset, method="tail").values)),
        divergences=int(sample_stats["diverging"].sum()),
        chains=chains,
        draws=draws,
    )


def warn_if_untrustworthy(diagnostics: Diagnostics, label: str) -> None:
    for problem in diagnostics.problems():
        warnings.warn(f"{label}: {problem}", FitWarning, skip_file_prefixes=PACKAGE_FILES)
