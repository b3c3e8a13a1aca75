"""Numbers as people type them and as buttons carry them: ASCII digits only, always bounded.

`str.isdigit()` accepts "²" and "٣" (which int() then refuses or reads), and an unbounded int
overflows a database integer column: every number from outside goes through here instead.
"""

from __future__ import annotations

ID_MAX = 2**31 - 1  # the largest id any table holds (PostgreSQL integer, SQLite alike)


def ascii_int(text: str, lo: int, hi: int) -> int | None:
    """`text` as an int in [lo, hi] when it is plain ASCII digits (surrounding blanks allowed,
    at most 12 digits); None for anything else."""
    digits = text.strip()
    if not digits or len(digits) > 12 or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits)
    return value if lo <= value <= hi else None


def exact_int(text: str, lo: int, hi: int) -> int | None:
    """A number in a button payload, which only ever holds what the bot wrote: `ascii_int`
    with nothing around it and no leading zeros ("07", " 7" and "+7" are not 7)."""
    value = ascii_int(text, lo, hi)
    return value if value is not None and str(value) == text else None
