"""``RunTable``: one validated row per training run or checkpoint."""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from workbench.runs.errors import RunTableError
from workbench.runs.schema import (
    COVARIATES,
    PLACEHOLDER,
    role_order,
    suggested_mapping,
    unclaimed_numeric_columns,
)


@dataclass(frozen=True, eq=False)
class RunTable:
    """Training runs with their sizes and target metric, under canonical column names.

    Build one with :func:`workbench.runs.read_runs`, :func:`workbench.runs.from_frame` or
    :func:`workbench.runs.clean`, which validate the input; the constructor itself does not.

    Parameters
    ----------
    data : DataFrame
        Columns ``run``, ``N`` (parameters), ``D`` (tokens seen), ``C`` (training FLOPs), the
        target, then ``step``, ``group`` and ``seed`` when present, then any other input columns
        unchanged. Of N, D and C, only those present in (or derived from) the input appear.
    target : str
        Name of the target column, ``"loss"`` by default.
    derived : frozenset of str
        Roles computed rather than read, e.g. ``{"C"}`` when C = 6·N·D was derived.
    source_columns : mapping of str to str
        Input column each role was read from, e.g. ``{"N": "Model Size"}``.
    """

    data: pd.DataFrame
    target: str = "loss"
    derived: frozenset[str] = frozenset()
    source_columns: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        roles = [name for name in ("N", "D", "C", "step", "group") if self.has(name)]
        derived = f", derived={sorted(self.derived)}" if self.derived else ""
        return f"RunTable({len(self)} rows, target={self.target!r}, roles={roles}{derived})"

    def has(self, role: str) -> bool:
        """Whether the table has a column for ``role``."""
        return role in self.data.columns

    def column(self, role: str) -> np.ndarray:
        """Values of one role as a float64 array.

        Raises
        ------
        RunTableError
            If the table has no such column.
        """
        if not self.has(role):
            raise RunTableError(
                f"the run table has no {role!r} column; it has {list(self.data.columns)}",
                column=role,
                fix=self._mapping_hint(role),
            )
        return self.data[role].to_numpy(dtype=np.float64)

    @property
    def y(self) -> np.ndarray:
        """The target as a float64 array."""
        return self.column(self.target)

    def final_checkpoints(self) -> "RunTable":
        """The last checkpoint (largest ``step``) of each run, or the table itself without steps."""
        if not self.has("step"):
            return self
        last = self.data.groupby("run", sort=False)["step"].idxmax().to_numpy()
        mask = np.zeros(len(self), dtype=bool)
        mask[last] = True
        return self.filter(mask)

    def filter(self, mask) -> "RunTable":
        """Rows where the boolean ``mask`` is true, keeping target, derived roles and sources."""
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (len(self),):
            raise RunTableError(
                f"filter needs a boolean mask of length {len(self)}, got dtype {mask.dtype} "
                f"and shape {mask.shape}",
                fix="pass e.g. runs.column('N') > 1e8",
            )
        return replace(self, data=self.data[mask].reset_index(drop=True))

    def require(self, covariates: Sequence[str], n_params: int, *, log_target: bool = True) -> None:
        """Check that a law with these covariates and parameter count can be fitted.

        Parameters
        ----------
        covariates : sequence of str
            Roles the law reads, e.g. ``("N", "D")``.
        n_params : int
            Number of law parameters; at least this many distinct covariate points are needed.
        log_target : bool
            Whether the target is modelled on the log scale, which needs it positive.

        Raises
        ------
        RunTableError
            If a covariate is missing, a covariate other than N, D and C (which reading already
            validated) is not numeric, finite and positive, the target is not positive when
            ``log_target``, or there are fewer distinct covariate points than parameters.
        """
        for role in covariates:
            if not self.has(role):
                fix = self._mapping_hint(role)
                sizes = [name for name in COVARIATES if self.has(name)]
                if len(covariates) == 1 and role in COVARIATES and sizes:
                    # A one-covariate law defaults to C; the table may hold another size.
                    fix = (
                        f"fit the law in {sizes[0]} (covariate={sizes[0]!r}; CLI: --covariate "
                        f"{sizes[0]}), or {fix}"
                    )
                raise RunTableError(
                    f"this law needs {role!r} but the run table has no such column",
                    column=role,
                    fix=fix,
                )
        for role in covariates:
            if role not in COVARIATES:
                self._require_positive_numbers(role)
        if log_target:
            not_positive = np.flatnonzero(~(self.y > 0))
            if not_positive.size:
                raise RunTableError(
                    f"the target must be positive to be modelled on the log scale; found "
                    f"{float(self.y[not_positive[0]]):g}",
                    column=self.target,
                    rows=not_positive,
                    fix=f"remove these rows, e.g. runs.filter(runs.y > 0), or fit "
                    f"{self.target!r} on its own scale",
                )
        distinct = len(self.data[list(covariates)].drop_duplicates()) if covariates else len(self)
        if distinct < n_params:
            names = ", ".join(covariates) or "rows"
            raise RunTableError(
                f"only {distinct} distinct ({names}) points for a law with {n_params} parameters",
                column=None,
                fix="add runs at more distinct sizes, or choose a law with fewer parameters",
            )

    def _require_positive_numbers(self, role: str) -> None:
        """An extra covariate column (unique tokens U, streams P, ...) must hold positive numbers:
        laws read it on the log scale."""
        column = self.data[role]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise RunTableError(
                f"covariate {role!r} must be numeric, but its column has dtype {column.dtype}",
                column=role,
                fix=f"convert {role!r} to numbers, e.g. 25e9 rather than '25B'",
            )
        values = column.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
        if bad.size:
            raise RunTableError(
                f"covariate {role!r} must be finite and positive; found {values[bad[0]]!r}",
                column=role,
                rows=bad,
                fix=f"remove or correct these rows, e.g. runs.filter(runs.column({role!r}) > 0)",
            )

    def content_hash(self) -> str:
        """SHA-256 of the N, D, C, target and step values, for provenance of fits.

        The hash depends only on column names and float64 values in row order, so it is the same
        in every session and on every machine.
        """
        digest = hashlib.sha256()
        for role in (*COVARIATES, self.target, "step"):
            if self.has(role):
                digest.update(role.encode())
                digest.update(self.column(role).astype("<f8").tobytes())
        return digest.hexdigest()

    def _mapping_hint(self, role: str) -> str:
        detected = ", ".join(
            f"{name} from {column!r}" for name, column in self.source_columns.items()
        )
        derived = f"; derived: {', '.join(sorted(self.derived))}" if self.derived else ""
        roles = role_order(self.target)
        candidates = unclaimed_numeric_columns(self.data, roles)
        if role in roles:
            hint = f"map a column with {suggested_mapping(role, candidates, self.target)}"
        else:
            # Covariates beyond the roles (unique tokens U, streams P, ...) are read by name.
            column = str(candidates[0]) if len(candidates) == 1 else PLACEHOLDER
            hint = f"name a column {role!r}, e.g. frame.rename(columns={{{column!r}: {role!r}}})"
        if role in COVARIATES:
            hint += ", or give two of N, D and C so the third follows from C = 6·N·D"
        return f"{hint}; columns detected: {detected or 'none'}{derived}"
