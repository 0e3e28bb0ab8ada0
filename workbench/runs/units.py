"""Reading quantities such as ``7B`` parameters or ``1.4T`` tokens."""

import math
import numbers
import re

SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}

_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(?P<suffix>[kmbgtp]?)",
    re.IGNORECASE,
)
# Commas are accepted only as thousands separators, so '1,5' is junk rather than 15.
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def parse_quantity(value) -> float:
    """Read a count written as a number or with a magnitude suffix.

    Suffixes are case-insensitive: ``k`` (1e3), ``M`` (1e6), ``B`` or ``G`` (1e9), ``T`` (1e12),
    ``P`` (1e15). Surrounding spaces and thousands separators are ignored.

    Parameters
    ----------
    value : str or real number
        For example ``"7B"``, ``"1.4T"``, ``"350M"``, ``"6e20"``, ``"12k"``, ``" 1,000 "`` or ``3``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``value`` is not a number or a number with a known suffix.

    Examples
    --------
    >>> parse_quantity("7B")
    7000000000.0
    >>> parse_quantity("1.4T")
    1400000000000.0
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"cannot read {value!r} as a quantity: expected a number or a string")
    text = value.strip()
    shown = repr(str(value))  # a NumPy string would show as np.str_('...')
    if "," in text:
        number_part = text.rstrip("kKmMbBgGtTpP ")
        if not _THOUSANDS.fullmatch(number_part):
            raise ValueError(f"cannot read {shown} as a quantity: misplaced comma")
        text = text.replace(",", "")
    match = _QUANTITY.fullmatch(text)
    if match:
        return float(match["number"]) * SUFFIXES.get(match["suffix"].lower(), 1.0)
    # Let 'nan' and 'inf' through as numbers; validation then reports them as non-finite.
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or math.isfinite(number):
        raise ValueError(
            f"cannot read {shown} as a quantity: expected a number such as 6e20, "
            "or a number with a suffix k, M, B, T (e.g. '7B', '1.4T')"
        )
    return number
