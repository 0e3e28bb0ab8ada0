"""Chained prediction: sizes → loss law → law of downstream error, with both posteriors.

Gadre et al. (2024) predict a large model's downstream error in two steps: a loss law fitted on
small runs gives the loss at the target size, and Err(L), fitted on the losses and errors of
small runs, turns that loss into an error. Here both steps are posteriors, paired draw by draw:
each posterior predictive draw of the target run's loss is passed through the error law with one
posterior draw of its parameters, so the interval carries the uncertainty of both laws and the
run-to-run noise of the loss.
"""

import numpy as np
import pandas as pd

from workbench.intervals import interval_levels, summary_table
from workbench.predict.extrapolate import predictive_draws, target_covariates


def chained_draws(
    loss_fit, error_fit, covariates, *, group=None, random_seed=None
) -> dict[str, np.ndarray]:
    """Paired draws (draws, targets) of the target runs' loss and downstream error.

    Returns ``loss`` (the loss law's posterior predictive draws, one per error-law draw),
    ``mean`` (the error law's curve at each loss draw) and ``observation`` (``mean`` with the
    error law's measurement noise).
    """
    if len(error_fit.law.covariates) != 1:
        raise ValueError(
            f"the second link must be a law of one covariate (the loss), not {error_fit.law.label}"
            f" with covariates {', '.join(error_fit.law.covariates)}"
        )
    if error_fit.groups_:
        raise ValueError("chained prediction needs an error law fitted without groups")
    loss = predictive_draws(loss_fit, covariates, group, random_seed)["observation"]
    n_error_draws = error_fit.draws(["sigma"])["sigma"].shape[0]
    # Pair draw i of the error law with draw i of the loss (recycled if there are fewer).
    loss = loss[np.arange(n_error_draws) % loss.shape[0]]
    with np.errstate(invalid="ignore"):
        log_mean = error_fit.log_mean_draws({error_fit.law.covariates[0]: loss})
    # Where a draw of the law falls to zero error or below, its log is undefined: read it as 0.
    log_mean = np.where(np.isnan(log_mean), -np.inf, log_mean)
    seed = error_fit.idata.attrs["random_seed"] if random_seed is None else random_seed + 1
    noise = error_fit.observation_noise(log_mean.shape, np.random.default_rng(seed))
    return {"loss": loss, "mean": np.exp(log_mean), "observation": np.exp(log_mean + noise)}


def predict_chained(
    loss_fit,
    error_fit,
    targets=None,
    *,
    ci_prob: float | None = None,
    inner_prob: float | None = None,
    group=None,
    random_seed=None,
    **sizes,
) -> pd.DataFrame:
    """Downstream error of new runs from their sizes, through a loss law and an error law.

    Parameters
    ----------
    loss_fit : ScalingLawFit
        A fitted loss law in N, D or C (for example ``overtraining``).
    error_fit : ScalingLawFit
        A fitted law of the error in the loss (``downstream_error``), fitted on the same kind of
        loss as ``loss_fit``'s target.
    targets : table or mapping, optional
        N, D and C of the target runs (two suffice), or pass them as keywords.
    ci_prob : float, optional
        Probability of the central interval; the project's credible level by default.
    inner_prob : float, optional
        Probability of a second, inner interval (the plots' inner band).
    group : str, optional
        The target runs' group, when ``loss_fit`` was fitted with groups.
    random_seed : int, optional
        Seed of the noise draws; by default each fit's own seed.

    Returns
    -------
    DataFrame
        Like :meth:`ScalingLawFit.predict`: one row per target and ``kind``, with the median and
        central intervals. ``kind="loss"`` is the predicted loss of the target run that was fed
        forward; ``"mean"`` is the error law's curve at that loss (law uncertainty of both links
        and the run's loss noise); ``"observation"`` adds the error law's measurement noise, so
        it is the interval a measured error should fall in.

    References
    ----------
    Gadre et al. (2024), "Language models scale reliably with over-training and on downstream
    tasks", arXiv:2403.08540, section 4.
    """
    values = target_covariates(loss_fit.law.covariates, targets, **sizes)
    draws = chained_draws(loss_fit, error_fit, values, group=group, random_seed=random_seed)
    return summary_table(values, "kind", draws, interval_levels(ci_prob, inner_prob))
