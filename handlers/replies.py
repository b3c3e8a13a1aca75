"""One update's replies as Bot API calls, with as few waits as Telegram allows (both runtimes).

A button's toast (answerCallbackQuery) only stops its spinner or shows a notice; it goes out at
the same time as the chat's own calls (the edit, the next question) instead of before them, so a
tap costs the time of its chat's calls, not of all of them one after another. The chat's calls
keep their order. An edit that would leave its message as it is (same text, same buttons) is not
made: Telegram would refuse it as "message is not modified" after a round trip.

A call Telegram did not take (429 "retry after", a 5xx) is made again after the wait it asks
for (or a short backoff), up to PATIENCE seconds a reply: dropped, the person would be left
without their next question. One that may have arrived (a timeout) is made again only if making
it twice changes nothing: an edit (a second one is "not modified"); a message would show twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from flows.engine.core import Edit, Event, Reply, Toast, key_of

SendOne = Callable[[Event, Reply], Awaitable[None]]
Refused = Callable[[Reply, Exception], bool]
"""Logs a call Telegram refused and returns True; False for an error that must propagate."""
Again = Callable[[Exception, int, bool], float | None]
"""Seconds to wait before making a failed call again (given its attempt number, and whether
making it twice changes nothing), or None: a call Telegram refused, or one that may have arrived
and would show twice, is not made again."""
PATIENCE = 30.0  # seconds of waiting one reply may spend on calls Telegram did not take


def backoff(attempt: int) -> float:
    """0.5 s, 1, 2, then 4 s between attempts after a 5xx."""
    return min(0.5 * 2 ** (attempt - 1), 4.0)


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
    event: Event, replies: Sequence[Reply], send_one: SendOne, refused: Refused, again: Again
) -> None:
    """Toasts alongside the chat's calls, those in order; calls that change nothing left out."""
    needed = [reply for reply in replies if not unchanged(event, reply)]
    toasts = [reply for reply in needed if isinstance(reply, Toast)]
    in_chat = [reply for reply in needed if not isinstance(reply, Toast)]

    async def one(reply: Reply) -> None:
        waited, attempt = 0.0, 0
        while True:
            try:
                await send_one(event, reply)
                return
            except Exception as exc:
                attempt += 1
                pause = again(exc, attempt, isinstance(reply, Edit))
                if pause is None or waited + pause > PATIENCE:
                    if not refused(reply, exc):
                        raise
                    return
            waited += pause
            await asyncio.sleep(pause)

    async def in_order() -> None:
        for reply in in_chat:
            await one(reply)

    await asyncio.gather(*(one(toast) for toast in toasts), in_order())
