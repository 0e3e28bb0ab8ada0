"""Roles of run-table columns and how they are recognised from common column names."""

import shlex
from collections.abc import Mapping, Sequence

import pandas as pd

from workbench.runs.errors import RunTableError

COVARIATES = ("N", "D", "C")
"""Parameters, tokens seen and training FLOPs: the axes scaling laws are written in."""

ROLE_ALIASES = {
    "run": ("run", "run_id", "name", "model", "run_name"),
    "N": (
        "N",
        "params",
        "n_params",
        "num_params",
        "num_parameters",
        "n_parameters",
        "parameters",
        "param_count",
        "model_size",
        "non_embedding_params",
    ),
    "D": (
        "D",
        "tokens",
        "D_tokens",
        "n_tokens",
        "num_tokens",
        "tokens_seen",
        "training_tokens",
        "data_size",
        "dataset_size",
    ),
    "C": ("C", "flops", "C_flops", "compute", "training_flop", "training_flops"),
    "loss": ("loss", "val_loss", "eval_loss", "validation_loss", "train_loss", "final_loss"),
    "step": ("step", "steps", "checkpoint", "iteration", "iter"),
    "group": ("group", "family", "dataset", "architecture"),
    "seed": ("seed",),
}
"""Column names recognised for each role, compared ignoring case, ``_``, ``-`` and spaces."""

METADATA = ("group", "seed")

PLACEHOLDER = "<column>"
"""Stands for a column name in suggested fixes when no column of the table fits."""


def normalize_name(name) -> str:
    """Lower-case a name and drop ``_``, ``-`` and spaces: ``Model Size`` ~ ``model_size``."""
    return "".join(character for character in str(name).lower() if character not in "_- ")


def role_order(target: str) -> tuple[str, ...]:
    """Canonical column order of a run table whose target is ``target``."""
    return ("run", *COVARIATES, target, "step", *METADATA)


def resolve_roles(
    frame: pd.DataFrame, mapping: Mapping[str, str] | None, target: str
) -> dict[str, str]:
    """Match roles to input columns: the explicit ``mapping`` first, then common names.

    Parameters
    ----------
    frame : DataFrame
        The input table.
    mapping : mapping of str to str, optional
        ``{role: column}`` overrides, e.g. ``{"N": "Model Size"}``.
    target : str
        Name of the target role. Only ``"loss"`` is detected from aliases; any other target must
        be an exact column name or be mapped.

    Returns
    -------
    dict
        ``{role: input column}`` for each role found, in canonical order.

    Raises
    ------
    RunTableError
        For a mapping to a missing column, an unknown role, two columns matching one role, or no
        target column.
    """
    columns = list(frame.columns)
    roles = _checked_mapping(mapping or {}, columns, target)
    taken = set(roles.values())
    for role in role_order(target):
        if role in roles:
            continue
        candidates = [column for column in columns if column not in taken]
        found = _detect(role, candidates, target)
        if found is not None:
            roles[role] = found
            taken.add(found)
    if target not in roles:
        looked_for = ", ".join(ROLE_ALIASES["loss"]) if target == "loss" else repr(target)
        candidates = unclaimed_numeric_columns(frame, taken)
        raise RunTableError(
            f"no target column {target!r} (looked for {looked_for}); available columns: {columns}",
            column=target,
            fix=f"name the target column with {suggested_mapping(target, candidates, target)}",
        )
    return {role: roles[role] for role in role_order(target) if role in roles}


def _checked_mapping(mapping: Mapping[str, str], columns: list, target: str) -> dict[str, str]:
    valid_roles = role_order(target)
    for role, column in mapping.items():
        if role not in valid_roles:
            raise RunTableError(
                f"unknown role {role!r} in mapping",
                column=str(column),
                fix=f"use one of the roles {list(valid_roles)} as mapping keys",
            )
        if column not in columns:
            raise RunTableError(
                f"mapping names column {column!r} for role {role!r}, but the table has no such "
                f"column; available columns: {columns}",
                column=str(column),
                fix="map the role to one of the available columns",
            )
    mapped = list(mapping.values())
    repeated = sorted({str(column) for column in mapped if mapped.count(column) > 1})
    if repeated:
        raise RunTableError(
            "mapping assigns the same column to several roles",
            column=repeated[0],
            fix="map each column to one role only",
        )
    return dict(mapping)


def _detect(role: str, candidates: list, target: str):
    if role == target and target != "loss":
        return target if target in candidates else None
    aliases = {normalize_name(alias) for alias in ROLE_ALIASES[role]}
    matches = [column for column in candidates if normalize_name(column) in aliases]
    if len(matches) > 1:
        raise RunTableError(
            f"several columns could be {role!r}: {matches}",
            column=str(matches[0]),
            fix=f"choose one with {suggested_mapping(role, matches[:1], target)}",
        )
    return matches[0] if matches else None


def unclaimed_numeric_columns(frame: pd.DataFrame, taken) -> list:
    """Numeric columns that no role has taken and whose names no role is detected from: the
    columns a missing role could be mapped to."""
    aliases = {normalize_name(alias) for names in ROLE_ALIASES.values() for alias in names}
    return [
        column
        for column in frame.columns
        if column not in taken
        and normalize_name(column) not in aliases
        and pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
    ]


def suggested_mapping(role: str, candidates: Sequence, target: str = "loss") -> str:
    """``mapping={role: column}`` with its CLI option, for a fix.

    The column is the only candidate when there is one; otherwise the placeholder ``<column>``,
    followed by the candidates when there are several.
    """
    column = str(candidates[0]) if len(candidates) == 1 else PLACEHOLDER
    option = "--target" if role == target else f"--{role}"
    argument = PLACEHOLDER if column == PLACEHOLDER else shlex.quote(column)
    hint = f"mapping={{{role!r}: {column!r}}} (CLI: {option} {argument})"
    if len(candidates) > 1:
        hint += f", {PLACEHOLDER} being one of {[str(name) for name in candidates]}"
    return hint
