"""``workbench.fit``: from runs to a calibrated fit in one call, as ``workbench fit`` makes it."""

from workbench.backtesting import AUTO, LawEnsemble, calibrate
from workbench.fitting import ScalingLawFit
from workbench.runs import read_runs


def fit(runs, law="auto", *, random_seed=None, calibrated=True, sampler=None, **options):
    """Fit a law to runs and learn its extrapolation error, as ``workbench fit`` does.

    Parameters
    ----------
    runs : RunTable, DataFrame or path
        The training runs.
    law : str or ScalingLaw
        A family (``workbench laws`` lists them) or ``"auto"``: every family the columns allow,
        stacked by their leave-future-out scores (:class:`~workbench.backtesting.LawEnsemble`).
    random_seed : int, optional
        Seed of the sampler, the predictive draws and the nested refits.
    calibrated : bool
        Learn the extrapolation error from nested leave-future-out refits (three more fits) so
        that intervals past the data are honest. ``law="auto"`` always does.
    sampler : mapping, optional
        nutpie options: ``draws``, ``tune``, ``chains``, ...
    **options
        Keywords of :meth:`~workbench.fitting.ScalingLawFit.fit`: ``checkpoints``,
        ``run_effect``, ``groups``, ``min_fraction``, ``min_tokens``.

    Returns
    -------
    ScalingLawFit or LawEnsemble
    """
    runs = read_runs(runs)
    if law == AUTO:
        if not calibrated:
            raise ValueError(
                "law='auto' weighs the laws by their nested leave-future-out refits, so it is "
                "always calibrated; drop calibrated=False or name a law"
            )
        return LawEnsemble(sampler=sampler).fit(runs, random_seed=random_seed, **options)
    fitted = ScalingLawFit(law, sampler=sampler).fit(runs, random_seed=random_seed, **options)
    if calibrated:
        calibrate(fitted, runs, fit_options=options, random_seed=random_seed)
    return fitted
