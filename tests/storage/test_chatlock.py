"""A chat's turn on a SQLite file inside one process: POSIX locks belong to the process, so
without the in-process lock two tasks would both hold one chat's turn (storage/chatlock.py).
Across processes: tests/storage/test_repo.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.chatlock import sqlite_chat_turn


async def test_two_tasks_of_one_process_take_turns_on_a_chat(tmp_path: Path) -> None:
    database = str(tmp_path / "a.sqlite3")
    order: list[str] = []

    async def hold(name: str) -> None:
        async with sqlite_chat_turn(database, 42):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    await asyncio.gather(hold("first"), hold("second"))
    assert order == ["first in", "first out", "second in", "second out"]


async def test_other_chats_do_not_wait_for_a_held_one(tmp_path: Path) -> None:
    database = str(tmp_path / "a.sqlite3")
    async with sqlite_chat_turn(database, 42):
        got = await asyncio.wait_for(_enter(database, 43), 5)  # while 42 is held
    assert got


async def test_a_chat_sharing_a_byte_waits_and_the_byte_is_freed_once(tmp_path: Path) -> None:
    """Chats 2**31 apart share a byte: they take turns in the process too, so the byte's file
    lock is taken and given back in pairs (one task's release never frees another's hold)."""
    database = str(tmp_path / "a.sqlite3")
    entered = asyncio.Event()

    async def second() -> None:
        async with sqlite_chat_turn(database, 7 + 2**31):
            entered.set()
            await asyncio.sleep(0.05)

    async with sqlite_chat_turn(database, 7):
        task = asyncio.create_task(second())
        await asyncio.sleep(0.05)
        assert not entered.is_set()
    await asyncio.wait_for(task, 5)
    assert entered.is_set()


async def test_a_cancelled_wait_leaves_the_turn_free(tmp_path: Path) -> None:
    database = str(tmp_path / "a.sqlite3")
    async with sqlite_chat_turn(database, 5):
        waiter = asyncio.create_task(_enter(database, 5))
        await asyncio.sleep(0.02)
        waiter.cancel()
    async with asyncio.timeout(5), sqlite_chat_turn(database, 5):
        pass


async def _enter(database: str, chat: int) -> bool:
    async with sqlite_chat_turn(database, chat):
        return True
