"""One update's replies as Bot API calls, with as few waits as Telegram allows (both runtimes).

A button's toast (answerCallbackQuery) only stops its spinner or shows a notice; it goes out at
the same time as the chat's own calls (the edit, the next question) instead of before them, so a
tap costs the time of its chat's calls, not of all of them one after another. The chat's calls
keep their order. An edit that would leave its message as it is (same text, same buttons) is not
made: Telegram would refuse it as "message is not modified" after a round trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from flows.engine.core import Edit, Event, Reply, Toast, key_of

SendOne = Callable[[Event, Reply], Awaitable[None]]
Refused = Callable[[Reply, Exception], bool]
"""Logs a call Telegram refused and returns True; False for an error that must propagate."""


def unchanged(event: Event, reply: Reply) -> bool:
    """An edit of the pressed message to exactly what it shows already."""
    return (
        isinstance(reply, Edit)
        and event.message_id is not None
        and reply.message_id == event.message_id
        and reply.text == event.message_text
        and key_of(reply.buttons) == event.message_keyboard
    )


async def perform(
    event: Event, replies: Sequence[Reply], send_one: SendOne, refused: Refused
) -> None:
    """Toasts alongside the chat's calls, those in order; calls that change nothing left out."""
    needed = [reply for reply in replies if not unchanged(event, reply)]
    toasts = [reply for reply in needed if isinstance(reply, Toast)]
    in_chat = [reply for reply in needed if not isinstance(reply, Toast)]

    async def one(reply: Reply) -> None:
        try:
            await send_one(event, reply)
        except Exception as exc:
            if not refused(reply, exc):
                raise

    async def in_order() -> None:
        for reply in in_chat:
            await one(reply)

    await asyncio.gather(*(one(toast) for toast in toasts), in_order())
