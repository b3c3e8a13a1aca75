"""Group commit: writes that arrive while one waits for its turn go with it, in one transaction.

Under load many chats store an update, or forget an answered one, at the same moment; on SQLite
they take turns to write (flows/router.py `one_writer`), and each transaction has a fixed cost.
So the first caller opens a batch and waits for the write turn; whoever comes meanwhile joins
it; once the turn is held the batch closes, runs once for everyone, and each caller gets the
result (or the error) only when it is committed, so nobody goes on before its write is durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Batch(Generic[Item, Result]):
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.task: asyncio.Future[Result] | None = None


class Batches(Generic[Item, Result]):
    """`add` items; `write` runs on every item of a batch at once, inside `turn`."""

    def __init__(
        self,
        write: Callable[[list[Item]], Awaitable[Result]],
        turn: Callable[[], AbstractAsyncContextManager[None]],
        taken: Callable[[], bool] | None = None,
    ) -> None:
        """`taken`: whether the turn is held right now. When given, a caller that finds it
        free and no batch open writes at once in its own task: nobody could join it (a free
        turn is taken without waiting), and a task of its own would only add a round through
        the event loop to that caller's wait."""
        self._write = write
        self._turn = turn
        self._taken = taken
        self._open: _Batch[Item, Result] | None = None

    async def add(self, items: Sequence[Item]) -> Result:
        """Returns once `items` are written, with their batch's result; raises its error."""
        if self._open is None and self._taken is not None and not self._taken():
            async with self._turn():
                return await self._write(list(items))
        batch = self._open
        if batch is None:
            batch = self._open = _Batch()
            batch.task = asyncio.ensure_future(self._run(batch))
            batch.task.add_done_callback(_retrieve)
        batch.items.extend(items)
        assert batch.task is not None
        # shielded: a caller that is cancelled (a stop) does not cancel the others' write
        return await asyncio.shield(batch.task)

    async def _run(self, batch: _Batch[Item, Result]) -> Result:
        async with self._turn():
            if self._open is batch:
                self._open = None  # from here on, callers open the next batch
            return await self._write(batch.items)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Every caller gets the error; if all of them were cancelled it is not reported twice."""
    if not task.cancelled():
        task.exception()
