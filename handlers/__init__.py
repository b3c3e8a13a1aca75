"""Telegram adapters: the only code that imports python-telegram-bot or aiogram.

ptb.py and aiogram3.py decode updates into Events and perform replies; intake.py, polling.py and
webhook.py (framework-free) receive, store and hand updates over, the same on both runtimes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flows.engine.core import Event, EventKind

RawUpdate = dict[str, Any]
ALLOWED_UPDATES = ["message", "callback_query"]


def command_event(base: Event, text: str, username: str) -> Event | None:
    """ "/Start@bot  abc " -> command "start", args "abc"; None when it names another bot
    (in a group, "/checkin@otherbot" is for that bot)."""
    head, _, args = text.partition(" ")
    command, _, target = head[1:].partition("@")
    if target and username and target.lower() != username.lower():
        return None
    return replace(
        base, kind=EventKind.COMMAND, text=text, command=command.lower(), args=args.strip()
    )
