"""The chat worker: one chat's updates never at once nor out of order; different chats overlap,
up to the bound."""

from __future__ import annotations

import asyncio
import random

import pytest

from handlers.worker import ChatWorker

Item = tuple[int, int]  # (chat, sequence number within the chat)


class Recorder:
    """Processes items with random pauses, recording what ran at once and in which order."""

    def __init__(self, seed: int = 7) -> None:
        self.running: set[int] = set()  # chats being processed now
        self.overlaps: list[int] = []  # a chat found already running
        self.done: dict[int, list[int]] = {}
        self.most_at_once = 0
        self.random = random.Random(seed)

    async def process(self, item: Item) -> None:
        chat, n = item
        if chat in self.running:
            self.overlaps.append(chat)
        self.running.add(chat)
        self.most_at_once = max(self.most_at_once, len(self.running))
        await asyncio.sleep(self.random.uniform(0, 0.004))
        self.done.setdefault(chat, []).append(n)
        self.running.discard(chat)


async def drained(worker: ChatWorker[Item]) -> None:
    for _ in range(2000):  # 10 s at most: the machine may be busy
        if not worker.backlog:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the worker did not drain")


async def test_a_chats_updates_run_one_at_a_time_in_order() -> None:
    recorder = Recorder()
    worker: ChatWorker[Item] = ChatWorker(recorder.process, lambda item: item[0], limit=8)
    worker.start()
    for n in range(30):  # interleaved arrivals of 5 chats
        for chat in range(5):
            await worker.put((chat, n))
        await asyncio.sleep(recorder.random.uniform(0, 0.002))
    await drained(worker)
    await worker.stop()
    assert recorder.overlaps == []
    assert recorder.done == {chat: list(range(30)) for chat in range(5)}


async def test_different_chats_are_handled_at_the_same_time() -> None:
    started: dict[int, asyncio.Event] = {1: asyncio.Event(), 2: asyncio.Event()}

    async def process(item: Item) -> None:
        chat = item[0]
        started[chat].set()
        await started[3 - chat].wait()  # returns only once the other chat is under way too

    worker: ChatWorker[Item] = ChatWorker(process, lambda item: item[0], limit=2)
    worker.start()
    await worker.put((1, 0))
    await worker.put((2, 0))
    await drained(worker)  # with one update at a time this would never finish
    await worker.stop()


async def test_no_more_chats_at_once_than_the_bound() -> None:
    recorder = Recorder()
    worker: ChatWorker[Item] = ChatWorker(recorder.process, lambda item: item[0], limit=3)
    worker.start()
    for chat in range(12):
        for n in range(4):
            await worker.put((chat, n))
    await drained(worker)
    await worker.stop()
    assert recorder.most_at_once == 3
    assert recorder.overlaps == []


async def test_what_was_put_before_the_start_goes_first_in_order() -> None:
    recorder = Recorder()
    worker: ChatWorker[Item] = ChatWorker(recorder.process, lambda item: item[0])
    for n in range(5):
        await worker.put((1, n))
        await worker.put((2, n))
    await asyncio.sleep(0.01)
    assert recorder.done == {}  # not before start
    worker.start()
    await worker.put((1, 5))
    await drained(worker)
    await worker.stop()
    assert recorder.done == {1: [0, 1, 2, 3, 4, 5], 2: [0, 1, 2, 3, 4]}


async def test_a_failing_update_does_not_stop_its_chat() -> None:
    done: list[Item] = []

    async def process(item: Item) -> None:
        if item == (1, 0):
            raise RuntimeError("boom")
        done.append(item)

    worker: ChatWorker[Item] = ChatWorker(process, lambda item: item[0])
    worker.start()
    for n in range(3):
        await worker.put((1, n))
    await drained(worker)
    await worker.stop()
    assert done == [(1, 1), (1, 2)]


async def test_stop_finishes_what_was_accepted() -> None:
    recorder = Recorder()
    worker: ChatWorker[Item] = ChatWorker(recorder.process, lambda item: item[0])
    worker.start()
    for n in range(10):
        await worker.put((n % 3, n))
    await worker.stop()
    assert sum(len(done) for done in recorder.done.values()) == 10
    assert worker.backlog == 0


def test_the_bound_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ChatWorker(Recorder().process, lambda item: item[0], limit=0)
