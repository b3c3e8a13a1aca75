"""Pacing for the outbox sender: one global rate and a minimum gap per chat.

Telegram allows about 30 messages/s per bot and about 1/s per chat; going over earns 429s that
stall everything. This spaces sends evenly in real (monotonic) time: it limits throughput, it is
not a schedule, so it does not read the injectable clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

PRUNE_AT = 10_000  # chats remembered before old entries are dropped


class Pacer:
    def __init__(
        self,
        rate_per_second: float,
        per_chat_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate_per_second
        self.per_chat = per_chat_seconds
        self.monotonic = monotonic
        self.sleep = sleep
        self._next = 0.0
        self._last_by_chat: dict[int, float] = {}

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until `chat_id` may get another message (0: now)."""
        last = self._last_by_chat.get(chat_id)
        return 0.0 if last is None else max(0.0, last + self.per_chat - self.monotonic())

    async def acquire(self) -> None:
        """Wait for the next global slot (every attempt takes one: Telegram counts requests)."""
        now = self.monotonic()
        self._next = max(self._next, now)
        wait = self._next - now
        self._next += self.interval
        if wait > 0:
            await self.sleep(wait)

    def delivered(self, chat_id: int) -> None:
        """Note a message that reached `chat_id` (failed attempts don't use up its gap)."""
        now = self.monotonic()
        if len(self._last_by_chat) >= PRUNE_AT:
            cutoff = now - self.per_chat
            self._last_by_chat = {c: t for c, t in self._last_by_chat.items() if t > cutoff}
        self._last_by_chat[chat_id] = now
