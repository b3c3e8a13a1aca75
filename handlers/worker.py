"""One update at a time, in arrival order, off the receiving path.

The intake (handlers/intake.py) puts stored updates here and returns at once; a single worker
handles them. One worker keeps every chat's updates in order, and `stop` lets accepted updates
finish for a while (what it can't finish stays in the inbox for the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)


T = TypeVar("T")
DRAIN_SECONDS = 5.0


class SerialWorker(Generic[T]):
    """A queue of stored updates and the one task that handles them, in order."""

    def __init__(self, process: Callable[[T], Awaitable[None]]) -> None:
        self._process = process
        self._queue: asyncio.Queue[T] = asyncio.Queue()  # bounded by the intake (BACKLOG_LIMIT)
        self._task: asyncio.Task[None] | None = None
        self._busy = 0

    @property
    def backlog(self) -> int:
        """Items waiting or being processed."""
        return self._queue.qsize() + self._busy

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="mendbot-updates")

    async def put(self, update: T) -> None:
        await self._queue.put(update)

    async def stop(self, timeout: float = DRAIN_SECONDS) -> None:  # noqa: ASYNC109
        """Finish what was accepted (up to `timeout`), then end the worker."""
        task, self._task = self._task, None
        if task is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._queue.join()
        except TimeoutError:
            log.warning("stopping with %d updates unprocessed", self._queue.qsize())
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        while True:
            update = await self._queue.get()
            self._busy = 1
            try:
                await self._process(update)
            except Exception as exc:  # one bad update must not stop the others
                log.error("processing failed: %s", type(exc).__name__)
            finally:
                self._busy = 0
                self._queue.task_done()
