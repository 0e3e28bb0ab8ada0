r"""Gadre et al.'s law from loss to downstream error, fitted to arrays of (loss, error) pairs.

.. math::

    \mathrm{Err}(L) = \varepsilon - k\, e^{-\gamma L}

The law itself, its sampler parameterization and its priors are the registered family
``downstream_error`` (:mod:`workbench.laws.downstream_error`); :class:`ErrorFromLossFit` is a
convenience for losses and errors held as arrays rather than in a run table. It fits
``ScalingLawFit("downstream_error")``, so the noise model is that of every law: Student-t on the
log error.

References
----------
Gadre et al. (2024), "Language models scale reliably with over-training and on downstream tasks",
arXiv:2403.08540, eq. (4).
"""

import numpy as np
import pandas as pd
import xarray as xr

from workbench.fitting import BayesianFit, NotFittedError, ScalingLawFit
from workbench.fitting.base import priors_config
from workbench.laws.downstream_error import error_from_loss
from workbench.runs import RunTable

__all__ = ["ErrorFromLossFit", "error_from_loss"]


class ErrorFromLossFit(BayesianFit):
    """Bayesian fit of Err(L) to matching arrays of losses and downstream errors.

    Parameters
    ----------
    priors : mapping, optional
        Overrides of the ``downstream_error`` priors (``u``, ``v``, ``g``, ``sigma``, ``nu``).
    sampler : mapping, optional
        nutpie options, as for :class:`workbench.fitting.ScalingLawFit`.
    """

    name = "error_from_loss"
    fit_call = "fit(loss, error)"

    def __init__(self, priors=None, sampler=None):
        self.priors = priors
        self.sampler = sampler

    def fit(self, loss, error, random_seed: int | None = None) -> "ErrorFromLossFit":
        """Sample the posterior; sets ``scaling_fit_`` (and so ``idata``) and returns self."""
        loss, error = (np.asarray(values, dtype=float) for values in (loss, error))
        if loss.shape != error.shape or loss.ndim != 1 or loss.size < 4:
            raise ValueError(
                "Err(L) needs matching 1-d loss and error arrays with at least 4 pairs"
            )
        if not (np.all(np.isfinite(loss) & (loss > 0)) and np.all((error > 0) & (error <= 1))):
            raise ValueError(
                "losses must be positive and finite, and errors must lie in [0, 1] and above 0 "
                "(they are modelled on the log scale)"
            )
        frame = pd.DataFrame(
            {"run": [f"run-{row}" for row in range(loss.size)], "loss": loss, "error": error}
        )
        fit = ScalingLawFit("downstream_error", priors=self.priors, sampler=self.sampler)
        self.scaling_fit_ = fit.fit(RunTable(frame, target="error"), random_seed=random_seed)
        return self

    def config(self) -> dict:
        return {"priors": priors_config(self.priors), "sampler": self.sampler}

    @property
    def scaling_fit(self) -> ScalingLawFit:
        if not hasattr(self, "scaling_fit_"):
            raise NotFittedError(
                f"this ErrorFromLossFit has no posterior yet: call .{self.fit_call}"
            )
        return self.scaling_fit_

    @property
    def idata(self) -> xr.DataTree:
        return self.scaling_fit.idata

    def diagnostic_names(self) -> list[str]:
        return self.scaling_fit.diagnostic_names()

    def summary_names(self) -> list[str]:
        return self.scaling_fit.summary_names()

    def saved_tree(self) -> xr.DataTree:
        tree = self.scaling_fit.saved_tree()
        tree.attrs |= self.provenance()
        return tree

    @classmethod
    def from_tree(cls, tree: xr.DataTree, source="this tree") -> "ErrorFromLossFit":
        fit = cls.from_config(cls.saved_config(tree, source))
        fit.scaling_fit_ = ScalingLawFit.from_tree(tree, source=source)
        return fit

    def predict(
        self, loss, ci_prob: float | None = None, *, inner_prob: float | None = None
    ) -> pd.DataFrame:
        """Median and intervals of the mean error and of a new measurement at each loss."""
        return self.scaling_fit.predict(
            {"loss": np.atleast_1d(loss)}, ci_prob=ci_prob, inner_prob=inner_prob
        )
