"""Which fitting choices predicted best: a ranked summary of a batch's results table."""

import pandas as pd

CHOICE_COLUMNS = ("law", "likelihood", "checkpoints", "min_fraction", "priors")
SCORED = ("ok", "untrustworthy")


def batch_summary(results: pd.DataFrame, by=CHOICE_COLUMNS) -> pd.DataFrame:
    """One row per combination of fitting choices, ranked, in the Hitchhiker's-Guide style.

    Scores are averaged over data sets and holdout cuts, using the jobs that produced scores
    (``ok`` and ``untrustworthy``).

    Parameters
    ----------
    results : DataFrame
        The batch's ``results.parquet``.
    by : sequence of str
        The fitting choices to compare; the default is every choice of the spec.

    Returns
    -------
    DataFrame
        ``jobs``, ``ok``, ``untrustworthy``, ``failed`` (counts), ``are`` (mean ARE),
        ``coverage_error`` (mean |coverage − nominal| over the scored intervals, e.g.
        ``coverage_50`` and ``coverage_90``), ``elpd``
        (mean held-out log predictive density), ``seconds`` (mean) and ``rank`` (mean of the
        ranks by ARE, coverage error and elpd; 1 is best), sorted by ``rank``.
    """
    by = list(by)
    nominal = {
        column: float(column.removeprefix("coverage_")) / 100
        for column in results.columns
        if column.startswith("coverage_")
    }
    cut = results["min_fraction"]
    frame = results.assign(
        min_fraction=cut.astype(object).where(cut.notna(), "-"),
        coverage_error=pd.concat(
            [(results[column] - level).abs() for column, level in nominal.items()], axis=1
        ).mean(axis=1),
    )
    groups = frame.groupby(by, dropna=False, sort=False)
    counts = groups["status"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=["ok", "untrustworthy", "failed"], fill_value=0)
    scored = frame[frame["status"].isin(SCORED)].groupby(by, dropna=False, sort=False)
    means = scored[["are", "coverage_error", "elpd", "seconds"]].mean()
    summary = counts.assign(jobs=counts.sum(axis=1)).join(means, how="left")
    ranks = pd.concat(
        [
            summary["are"].rank(),
            summary["coverage_error"].rank(),
            summary["elpd"].rank(ascending=False),
        ],
        axis=1,
    )
    summary["rank"] = ranks.mean(axis=1).rank(method="min")
    columns = ["rank", "jobs", "ok", "untrustworthy", "failed"]
    columns += ["are", "coverage_error", "elpd", "seconds"]
    return summary[columns].sort_values(["rank", "are"], na_position="last")
