"""The one error type of run tables, and how row numbers are written in messages."""

from collections.abc import Iterable

ROWS_SHOWN = 10


def data_row(row: int) -> int:
    """The number people give a 0-based row: the first row under the header is data row 1."""
    return int(row) + 1


def describe_rows(rows: Iterable[int]) -> str:
    """Write 0-based row numbers as people count them: ``data row 4``, ``data rows 5, 10``,
    ``... and 5 more``.

    Parameters
    ----------
    rows : iterable of int
        0-based row numbers of the input table.

    Returns
    -------
    str
        The first ``ROWS_SHOWN`` numbers, then how many more there are.
    """
    rows = [data_row(row) for row in rows]
    shown = ", ".join(str(row) for row in rows[:ROWS_SHOWN])
    more = f" and {len(rows) - ROWS_SHOWN} more" if len(rows) > ROWS_SHOWN else ""
    return f"{'data row' if len(rows) == 1 else 'data rows'} {shown}{more}"


class ImplausibleValueWarning(UserWarning):
    """A value that can be read but is unlikely to be meant, such as N in FLOPs."""


class RunTableError(ValueError):
    """A run table that cannot be used as given.

    Every validation problem raises this one type, so callers catch one thing, and the message
    always says where the problem is and how to fix it.

    Parameters
    ----------
    problem : str
        What is wrong, in a phrase.
    column : str, optional
        The input column (or role) at fault.
    rows : iterable of int, optional
        0-based row numbers of the input at fault.
    fix : str, optional
        What to do about it.
    file : str, optional
        The file the table was read from.

    Attributes
    ----------
    problem : str
    column : str or None
    rows : list of int
    fix : str
    file : str or None
    """

    def __init__(
        self,
        problem: str,
        *,
        column: str | None = None,
        rows: Iterable[int] = (),
        fix: str = "",
        file: str | None = None,
    ):
        self.problem = problem
        self.column = column
        self.rows = [int(row) for row in rows]
        self.fix = fix
        self.file = file
        source = f"{file}: " if file is not None else ""
        where = f"column {column!r}: " if column is not None else ""
        at_rows = f" at {describe_rows(self.rows)}" if self.rows else ""
        remedy = f". Fix: {fix}" if fix else ""
        super().__init__(f"{source}{where}{problem}{at_rows}{remedy}")

    def in_file(self, file) -> "RunTableError":
        """The same error, its message starting with the ``file`` whose rows it is about."""
        return type(self)(
            self.problem, column=self.column, rows=self.rows, fix=self.fix, file=str(file)
        )


class UnreadableFileError(RunTableError):
    """A file that is no table at all: missing, a folder, empty, not UTF-8 text, or malformed.

    Its message names the file; callers that read an uploaded copy replace that name with the
    user's.
    """
