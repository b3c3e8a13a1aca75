"""Message text as Telegram stores it: trimmed, measured in UTF-16, links and /commands marked.

The bot sends plain text only: it never sets parse_mode, entities or caption_entities. So the
sandbox has no HTML or Markdown parser; a request that asks for formatting answers 400
"unsupported" instead of showing the markup as if it were text, so a bot that starts formatting
finds out here, at its first test, that the sandbox must learn to render it.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.errors import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def utf16_len(text: str) -> int:
    """Telegram measures lengths and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain_text(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims texts and captions and marks links and /commands itself."""
    text = text.strip()
    entities: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in ((URL_RE, "url"), (COMMAND_RE, "bot_command")):
        for match in pattern.finditer(text):
            value = match.group().rstrip(".,;:!?)") if kind == "url" else match.group()
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(value)
            if any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            entities.append({"type": kind, "offset": start, "length": end - start})
    return text, sorted(entities, key=lambda e: e["offset"])


def bot_text(
    raw: str, parse_mode: str | None, entities: Any, *, caption: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """A text or caption the bot sent, as stored; formatting answers 400 (see the docstring)."""
    if (parse_mode or "").strip():
        raise bad_request(f"unsupported parse_mode {parse_mode}: the sandbox takes plain text")
    if entities:
        raise bad_request("unsupported entities: the sandbox takes plain text")
    text, found = plain_text(raw)
    if utf16_len(text) > (MAX_CAPTION if caption else MAX_TEXT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return text, found
