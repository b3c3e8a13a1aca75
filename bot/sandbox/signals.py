"""Wake-ups for long waits: getUpdates, webhook delivery, the page's long poll, held answers.

The sandbox is one event loop, so "something changed" needs no locks, only a way to wake every
coroutine that waits for it; each then re-checks its own condition.
"""

from __future__ import annotations

import asyncio
import contextlib


class Signal:
    """Wakes every waiter when something changed; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float | None) -> None:
        """Return when fired or after `seconds` (None: only when fired)."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()
