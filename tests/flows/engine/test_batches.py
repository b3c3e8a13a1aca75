"""Group commit: callers that arrive while a batch waits for its turn share one write."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from flows.engine.batches import Batches


class Writer:
    """Records each batch it writes; the turn is a lock someone else may hold."""

    def __init__(self, fail: bool = False) -> None:
        self.lock = asyncio.Lock()
        self.batches: list[list[int]] = []
        self.fail = fail

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self.lock:
            yield

    async def write(self, items: list[int]) -> set[int]:
        await asyncio.sleep(0)  # a round trip to the database
        if self.fail:
            raise OSError("disk full")
        self.batches.append(list(items))
        return set(items)


async def test_callers_waiting_for_the_turn_share_one_write() -> None:
    writer = Writer()
    batches = Batches(writer.write, writer.turn)
    async with writer.lock:  # another transaction holds the turn meanwhile
        calls = [asyncio.ensure_future(batches.add([n])) for n in range(5)]
        await asyncio.sleep(0.01)
        assert not any(call.done() for call in calls)  # nobody goes on before the write
    results = await asyncio.gather(*calls)
    assert writer.batches == [[0, 1, 2, 3, 4]]
    assert all(result == {0, 1, 2, 3, 4} for result in results)


async def test_a_caller_after_the_batch_closed_gets_the_next_one() -> None:
    writer = Writer()
    batches = Batches(writer.write, writer.turn)
    first = asyncio.ensure_future(batches.add([1]))
    await asyncio.sleep(0)  # the first batch holds the turn: it is closed
    second = asyncio.ensure_future(batches.add([2]))
    assert await first == {1} and await second == {2}
    assert writer.batches == [[1], [2]]


async def test_every_caller_gets_the_error_of_its_batch() -> None:
    writer = Writer(fail=True)
    batches = Batches(writer.write, writer.turn)
    async with writer.lock:
        calls = [asyncio.ensure_future(batches.add([n])) for n in range(3)]
        await asyncio.sleep(0)
    for call in calls:
        with pytest.raises(OSError):
            await call


async def test_a_cancelled_caller_does_not_cancel_the_others_write() -> None:
    writer = Writer()
    batches = Batches(writer.write, writer.turn)
    async with writer.lock:
        leaving = asyncio.ensure_future(batches.add([1]))
        staying = asyncio.ensure_future(batches.add([2]))
        await asyncio.sleep(0)
        leaving.cancel()
    assert await staying == {1, 2}
    assert writer.batches == [[1, 2]]


async def test_a_caller_finding_the_turn_free_writes_at_once_in_its_own_task() -> None:
    """No batch to join and nobody writing: no task of its own (a round through the event
    loop for nothing); the write still takes the turn, so those that come meanwhile batch."""
    writer, tasks, gate = Writer(), [], asyncio.Event()
    write = writer.write

    async def recorded(items: list[int]) -> set[int]:
        tasks.append(asyncio.current_task())
        if items == [2]:
            await gate.wait()  # a slow transaction
        return await write(items)

    batches = Batches(recorded, writer.turn, writer.lock.locked)
    assert await batches.add([1]) == {1}
    assert tasks == [asyncio.current_task()]
    first = asyncio.ensure_future(batches.add([2]))
    await asyncio.sleep(0)  # it holds the turn
    later = [asyncio.ensure_future(batches.add([n])) for n in (3, 4)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *later)
    assert writer.batches == [[1], [2], [3, 4]]
