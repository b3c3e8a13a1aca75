"""Telegram's length limits: a text or caption split into parts it accepts.

Telegram refuses a message over 4,096 characters and a caption over 1,024 ("message is too
long"), counted in UTF-16 code units (an emoji such as 🔴 counts two). A list that grows with a
centre (a trainer's weekly roster of a hundred clients) would pass them: refused, it never
arrived. Texts are split at line ends (at a space, where a single line is longer than a
message), so each part reads on its own; the outbox queues each part as a message of its own
(storage/repo.py `enqueue`) and the replies go as several (flows/engine/core.py `fitted`).
"""

from __future__ import annotations

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parts(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` as it is when it fits, else in parts of at most `limit`, none empty (a long
    blank text: one empty part, which Telegram refuses as it would the whole)."""
    if len(text) * 2 <= limit or units(text) <= limit:  # the first: no encoding, most texts
        return [text]
    found: list[str] = []
    current = ""
    for line in text.split("\n"):
        joined = f"{current}\n{line}" if current else line
        if units(joined) <= limit:
            current = joined
            continue
        found.append(current)
        while units(line) > limit:
            cut = _cut(line, limit)
            found.append(line[:cut])
            line = line[cut:].lstrip(" ")
        current = line
    found.append(current)
    return [part.strip("\n") for part in found if part.strip()] or [""]  # blank: as before


def caption_parts(text: str) -> tuple[str, list[str]]:
    """A caption that fits, and what is left of `text` as messages after it."""
    first, *rest = parts(text, CAPTION_LIMIT)
    return first, parts("\n".join(rest)) if rest else []


def _cut(line: str, limit: int) -> int:
    """Where to cut a line longer than `limit`: the longest start that fits, back to its last
    space when there is one in its second half."""
    low, high = 1, len(line)
    while low < high:  # the longest prefix of at most `limit` units
        middle = (low + high + 1) // 2
        if units(line[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    space = line.rfind(" ", low // 2, low)
    return space if space > 0 else low
