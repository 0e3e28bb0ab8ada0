"""From a saved fit to the predictions the ledger keeps: each target's predictive quantiles at
every stored level, with the fit's and its data's hashes."""

import hashlib
from pathlib import Path

import pandas as pd

from workbench.intervals import resolve_ci_prob
from workbench.ledger.scoring import LEVELS, quantiles_from_table


def level_pairs() -> list[tuple[float, float | None]]:
    """``LEVELS`` as (outer, inner) pairs, the two levels one ``predict`` call reports."""
    pairs = [(LEVELS[index + 1], LEVELS[index]) for index in range(0, len(LEVELS) - 1, 2)]
    return pairs + ([(LEVELS[-1], None)] if len(LEVELS) % 2 else [])


def file_hash(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def predictions_of(
    fit,
    fit_file=None,
    *,
    kind: str = "observation",
    interval: str = "calibrated",
    ci_prob: float | None = None,
    note: str | None = None,
    warn: bool = True,
    **covariates,
) -> list[dict]:
    """The ledger's record of ``fit``'s predictions at ``covariates`` (``N=[7e10], D=[1.4e12]``
    and so on), one per target (and group, for a grouped fit). ``fit_file``, the file the fit
    was read from, gives the fit's hash. ``kind`` is ``observation`` (a new run's measured
    loss) or ``mean``; ``interval`` is ``calibrated`` or ``law``, as for ``predict``. Targets
    beyond the calibration's evidence warn, as ``predict`` does, unless ``warn=False`` (each
    record's ``beyond_evidence`` says it too)."""
    ci_prob = resolve_ci_prob(ci_prob)
    tables = [
        fit.predict(
            ci_prob=outer,
            inner_prob=inner,
            interval=interval,
            warn=warn and index == 0,
            **covariates,
        )
        for index, (outer, inner) in enumerate(level_pairs())
    ]
    first = tables[0]
    table = pd.concat([first, *(frame.filter(like="ci_") for frame in tables[1:])], axis="columns")
    table = table[table["kind"] == kind]
    members = getattr(fit, "fits_", None)
    provenance = next(iter(members.values())) if members else fit
    common = {
        "fit_file": None if fit_file is None else str(fit_file),
        "fit_hash": None if fit_file is None else file_hash(fit_file),
        "data_hash": provenance.idata.attrs.get("data_hash"),
        "law": fit.label if members else fit.law.label,
        "target": fit.target_,
        "kind": kind,
        "interval": interval,
        "ci_prob": ci_prob,
        "note": note,
    }
    names = [name for name in covariates if covariates[name] is not None]
    covariate_names = [name for name in ("N", "D", "C", *names) if name in table]
    return [
        {
            **common,
            "targets": {name: row[name] for name in dict.fromkeys(covariate_names)},
            "grouping": row.get("group"),
            "quantiles": quantiles_from_table(row),
            "distance": row["distance"],
            "beyond_evidence": bool(row["beyond_evidence"]),
        }
        for _, row in table.iterrows()
    ]
