"""Updates of different chats at once, each chat's one at a time in arrival order.

The intake (handlers/intake.py) puts stored updates here and returns at once. Each chat with
updates waiting has one task that handles them in order, so a chat's second update never starts
before its first is answered; a semaphore bounds how many chats are handled at the same moment
(UPDATE_CONCURRENCY). A chat takes its turn per update, not per backlog: a chat that sent fifty
updates doesn't hold a slot while others wait. `stop` lets accepted updates finish for a while
(what it can't finish stays in the inbox for the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)


T = TypeVar("T")
DRAIN_SECONDS = 5.0
DEFAULT_CONCURRENCY = 16


class ChatWorker(Generic[T]):
    """Per-chat queues of stored updates, handled concurrently across chats, in order within one."""

    def __init__(
        self,
        process: Callable[[T], Awaitable[None]],
        chat_of: Callable[[T], int],
        limit: int = DEFAULT_CONCURRENCY,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._process = process
        self._chat_of = chat_of
        self._slots = asyncio.Semaphore(limit)
        self._queues: dict[int, deque[T]] = {}  # chats with updates waiting or being handled
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._count = 0  # bounded by the intake (BACKLOG_LIMIT)
        self._idle = asyncio.Event()
        self._idle.set()
        self._started = False

    @property
    def backlog(self) -> int:
        """Items waiting or being processed."""
        return self._count

    def start(self) -> None:
        """Begin handling; what was put before (a start's pick-up) goes first, chat by chat."""
        if not self._started:
            self._started = True
            for chat in self._queues:
                self._spawn(chat)

    async def put(self, update: T) -> None:
        chat = self._chat_of(update)
        self._queues.setdefault(chat, deque()).append(update)
        self._count += 1
        self._idle.clear()
        if self._started and chat not in self._tasks:
            self._spawn(chat)

    async def stop(self, timeout: float = DRAIN_SECONDS) -> None:  # noqa: ASYNC109
        """Finish what was accepted (up to `timeout`), then end the workers."""
        if not self._started:
            return
        self._started = False
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            log.warning("stopping with %d updates unprocessed", self._count)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _spawn(self, chat: int) -> None:
        self._tasks[chat] = asyncio.create_task(self._run(chat), name="mendbot-updates")

    async def _run(self, chat: int) -> None:
        """This chat's updates, one at a time; the task ends when the chat has none left."""
        queue = self._queues[chat]
        try:
            while queue:
                async with self._slots:
                    try:
                        await self._process(queue[0])
                    except Exception as exc:  # one bad update must not stop the others
                        log.error("processing failed: %s", type(exc).__name__)
                    queue.popleft()
                    self._count -= 1
        finally:
            if not queue:
                del self._queues[chat]
            del self._tasks[chat]
            if not self._count:
                self._idle.set()
