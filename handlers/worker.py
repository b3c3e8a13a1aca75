"""One update at a time, in arrival order, off the receiving path.

Webhook requests (both runtimes) and aiogram's long polling put raw updates here and return at once;
a single worker feeds them to the runtime. One worker keeps every chat's updates in order, as
python-telegram-bot's own polling does, and `stop` lets accepted updates finish: once a webhook
request was answered 200, Telegram will not send that update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

RawUpdate = dict[str, Any]
T = TypeVar("T")
QUEUE_LIMIT = 1000  # past this a webhook answers 503 and Telegram retries later
DRAIN_SECONDS = 5.0


class SerialWorker(Generic[T]):
    """A bounded queue of updates (raw or parsed) and the one task that processes them."""

    def __init__(self, process: Callable[[T], Awaitable[None]], limit: int = QUEUE_LIMIT) -> None:
        self._process = process
        self._queue: asyncio.Queue[T] = asyncio.Queue(limit)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="mendbot-updates")

    def submit(self, update: T) -> bool:
        """Queue an update without waiting; False when full (the caller asks for a retry)."""
        try:
            self._queue.put_nowait(update)
        except asyncio.QueueFull:
            return False
        return True

    async def put(self, update: T) -> None:
        """Queue an update, waiting for room (polling can simply slow down)."""
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
            try:
                await self._process(update)
            except Exception as exc:  # one bad update must not stop the others
                log.error("update %s failed: %s", _update_id(update), type(exc).__name__)
            finally:
                self._queue.task_done()


def _update_id(update: object) -> object:
    if isinstance(update, dict):
        return update.get("update_id")
    return getattr(update, "update_id", None)
