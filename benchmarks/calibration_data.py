"""Run tables of real final losses for a leave-future-out calibration benchmark.

One ``RunTable`` per (data set, setting), each with N (parameters), D (tokens), C (training FLOPs,
the data set's own when it has them, else 6·N·D), target ``loss`` and unique run ids. Usage:

    .venv/bin/python -m benchmarks.calibration_data [SHARED_DATA]

The data are read from ``../shared/data`` beside the repo (or ``$WORKBENCH_SHARED_DATA``), each
folder's README.md giving provenance and columns; nothing is copied into the repo.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.runs import RunTable, from_frame
from workbench.runs.datasets import (
    chinchilla_epoch,
    gadre_overtraining,
    misfitting_li2025,
    steplaw,
)

SHARED_DATA = Path(
    os.environ.get(
        "WORKBENCH_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)

PORIAN_SETTINGS = {
    "Reproducing Kaplan et al.": "kaplan",
    "Counting last layer FLOPs": "last_layer",
    "Correcting warmup": "warmup",
    "Cosine decay": "cosine_decay",
    "Optimizer tuning (no decay)": "tuning",
    "Kaplan Adjusted (tuned hparams, Kaplan param count)": "kaplan_adjusted",
    "Counting last layer and attention FLOPs": "attention_last_layer",
    "Correcting warmup (attention FLOPs)": "attention_warmup",
    "Cosine decay (attention FLOPs)": "attention_cosine_decay",
    "Optimizer tuning (no decay) (attention FLOPs)": "attention_tuning",
}
"""Short names of Porian et al.'s experiments: the 15 (data set, experiment) pairs whose
published exponents their README lists, from Kaplan's reproduction to all fixes (``tuning``)."""


def loss_tables(shared_data: Path = SHARED_DATA) -> dict[str, RunTable]:
    """Final-loss run tables of six public data sets, one per (data set, setting).

    Parameters
    ----------
    shared_data : Path
        The folder of real third-party data, holding one folder per data set.

    Returns
    -------
    dict of str to RunTable
        ``chinchilla_epoch``, ``gadre_overtraining``, ``misfitting_li2025``, ``steplaw``,
        ``porian2024/<dataset>/<setting>`` (see :data:`PORIAN_SETTINGS`) and
        ``muennighoff2023``, which also has ``U`` (unique tokens).
    """
    shared_data = Path(shared_data)
    # The loaders check each file's hash and copy it into a cache; they read eagerly, so a
    # throwaway cache leaves nothing behind.
    with tempfile.TemporaryDirectory() as cache:
        tables = {
            "chinchilla_epoch": chinchilla_epoch(
                url=(shared_data / "chinchilla_epoch" / "svg_extracted_data.csv").as_uri(),
                cache_dir=Path(cache),
            ),
            # C4 eval loss, the validation set the paper fits; the three training sets pooled.
            "gadre_overtraining": gadre_overtraining(
                base_url=(shared_data / "gadre_overtraining").as_uri(),
                cache_dir=Path(cache),
                loss="c4_val",
            ),
            "misfitting_li2025": misfitting_li2025(
                url=(shared_data / "misfitting_li2025" / "scaling_results.csv").as_uri(),
                cache_dir=Path(cache),
            ).final_checkpoints(),
            "steplaw": _steplaw_best(shared_data / "steplaw", Path(cache)),
        }
    tables |= _porian(shared_data / "porian2024_compute_optimal" / "isoflop_runs.csv")
    tables["muennighoff2023"] = _muennighoff(
        shared_data / "muennighoff2023_data_constrained" / "data_constrained_runs.csv"
    )
    for name, table in tables.items():
        _check(name, table)
    return tables


LEARNING_CURVE_MIN_FRACTION = 0.1
"""Checkpoints before a tenth of the run are warm-up transients, not part of the power law."""


def learning_curve_tables(shared_data: Path = SHARED_DATA) -> dict[str, RunTable]:
    """One-covariate learning curves: loss against tokens over the checkpoints of one run.

    For each model size of Li et al. (2025), its longest run at its best learning rate, from a
    tenth of its tokens on; each checkpoint is a row (``run`` is its step), only D and loss.
    Named ``misfitting_curves/<model>``.
    """
    with tempfile.TemporaryDirectory() as cache:
        runs = misfitting_li2025(
            url=(Path(shared_data) / "misfitting_li2025" / "scaling_results.csv").as_uri(),
            cache_dir=Path(cache),
        ).data
    longest = runs.loc[runs.groupby("model")["D"].idxmax(), "run"]
    tables = {}
    for run in longest:
        rows = runs[runs["run"] == run]
        rows = rows[rows["D"] >= LEARNING_CURVE_MIN_FRACTION * rows["D"].max()]
        frame = pd.DataFrame(
            {"run": rows["step"].astype(str), "D": rows["D"], "loss": rows["loss"]}
        ).drop_duplicates("run")
        tables[f"misfitting_curves/{rows['model'].iloc[0]}"] = from_frame(
            frame.reset_index(drop=True), mapping={"run": "run", "D": "D", "loss": "loss"}
        )
    return tables


def _steplaw_best(folder: Path, cache: Path) -> RunTable:
    """Step Law's dense sweeps, one run per (N, D): the one at its best learning rate and batch.

    N counts non-embedding parameters, as in the source.
    """
    runs = steplaw(base_url=folder, cache_dir=cache, target="smooth_loss").data
    best = runs.loc[runs.groupby(["N", "D"])["smooth_loss"].idxmin()]
    # The smoothed final loss is the one the paper fits (README); the raw one stays as a column.
    frame = best.drop(columns="C").rename(columns={"loss": "final_loss", "smooth_loss": "loss"})
    return from_frame(frame, mapping={"run": "run", "N": "N", "D": "D", "loss": "loss"})


def _porian(path: Path) -> dict[str, RunTable]:
    """Porian et al.'s IsoFLOP runs, one table per (data set, experiment).

    Each experiment carries its own ``loss_split`` (``train`` for the Kaplan-style ones, ``val``
    for the rest), the loss the paper's fit of that experiment used. A row is the loss of one
    model size at one FLOP budget. Every setting has 88 to 132 runs, so none falls below 8.
    """
    frame = pd.read_csv(path)
    tables = {}
    for (dataset, experiment), rows in frame.groupby(["dataset", "experiment"], sort=False):
        rows = rows.reset_index(drop=True)
        rows["run"] = [
            f"N{n:.0f}-C{c:.3g}" for n, c in zip(rows["n_params"], rows["flops"], strict=True)
        ]
        mapping = {"run": "run", "N": "n_params", "D": "tokens", "C": "flops", "loss": "loss"}
        # Configuration columns are constant here; dropping them keeps `dataset` from being
        # detected as a group.
        tables[f"porian2024/{dataset}/{PORIAN_SETTINGS[experiment]}"] = from_frame(
            rows[[*mapping.values(), "loss_split"]], mapping=mapping
        )
    return tables


def _muennighoff(path: Path) -> RunTable:
    """Muennighoff et al.'s repeated-data runs that entered the published fit."""
    frame = pd.read_csv(path)
    # The README's `used_in_fit` rows (182): finished runs, without the deduplicated-data ones.
    frame = frame[frame["used_in_fit"] == 1].rename(columns={"unique_tokens": "U"})
    return from_frame(
        frame.reset_index(drop=True),
        mapping={"run": "run", "N": "n_params", "D": "tokens", "loss": "val_loss"},
    )


def _check(name: str, table: RunTable) -> None:
    """Refuse a table a calibration benchmark could not score: non-positive sizes or losses, or
    repeated run ids (``from_frame`` lets a run repeat at different steps)."""
    roles = ["N", "D", "C", "loss", *(["U"] if table.has("U") else [])]
    for role in roles:
        if not np.all(table.column(role) > 0):
            raise ValueError(f"{name}: {role} has non-positive values")
    if table.data["run"].duplicated().any():
        raise ValueError(f"{name}: run ids repeat")


def describe(tables: dict[str, RunTable]) -> str:
    """One line per table: name, runs, log10 ranges of N, D and C, loss range, derived roles.

    Parameters
    ----------
    tables : dict of str to RunTable
        As returned by :func:`loss_tables`.

    Returns
    -------
    str
    """
    width = max(map(len, tables))
    lines = []
    for name, table in tables.items():
        ranges = "  ".join(
            f"log10 {role} {np.log10(table.column(role).min()):5.2f}–"
            f"{np.log10(table.column(role).max()):5.2f}"
            for role in ("N", "D", "C")
        )
        derived = f"  (derived: {', '.join(sorted(table.derived))})" if table.derived else ""
        loss = table.y
        lines.append(
            f"{name:<{width}}  {len(table):4d} runs  {ranges}  "
            f"loss {loss.min():.3f}–{loss.max():.3f}{derived}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe(loss_tables(Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED_DATA)))
