"""Text people type, made safe to show to someone else.

Names and labels (a visitor's name, an invite's name, an exercise, a phase, a clinician) lose
every control and format character (Unicode Cc and Cf: zero-width spaces and joiners, bidi
overrides and isolates, the BOM) and blank-looking fillers, so nobody can be called "" or
look like someone else; what is left must have a letter or a digit. Free text that is passed on
as written (notes, relayed messages) keeps its content but loses the bidi controls, which could
reorder what the reader sees (U+202E then "gnp.exe" reads as "exe.png"); typed text with
nothing visible in it counts as empty (the question is asked again).
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
"""Embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069)."""

_DROP_BIDI = dict.fromkeys(ord(c) for c in BIDI_CONTROLS)
# letters and symbols that render as nothing (Hangul fillers, the braille blank): treated as blanks
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def without_bidi_controls(text: str) -> str:
    """`text` as written, minus the bidi controls that could reorder it for the reader."""
    return text.translate(_DROP_BIDI)


def visible(text: str) -> bool:
    """Whether `text` shows anything at all: a message of zero-width or format characters,
    blank-looking fillers and spaces reads as empty, so a question takes it as no answer."""
    return any(
        not char.isspace()
        and char not in _BLANK_LOOKING
        and unicodedata.category(char) not in ("Cc", "Cf")
        for char in text
    )


def clean_label(text: str, most: int) -> str | None:
    """A name or label as typed, on one line: control and format characters dropped, blanks
    collapsed; None if nothing with a letter or digit is left or it is over `most` characters."""
    kept = "".join(
        " " if char in _BLANK_LOOKING else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf")
    )
    label = " ".join(kept.split())
    if not label or len(label) > most or not any(char.isalnum() for char in label):
        return None
    return label
