"""The inline SQLite driver: what SQLAlchemy needs of a driver, and never waiting on the loop.

A wait (a statement that finds the database locked) needs the greenlet SQLAlchemy runs every
statement in, so tests at the driver's level run it in one too (`greenlet_spawn`).

Every test opens its own SQLite file: the driver is SQLite's alone (PostgreSQL's is asynchronous).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from storage.db import make_engine, migrate, scrub, session_factory
from storage.inline_sqlite import InlineConnection, connector
from storage.models import ProcessedUpdate
from storage.repo import Core, Store

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
async def files(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """(threaded, inline) engines on one migrated SQLite file, as a running bot has them."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'inline.sqlite3'}"
    threaded = make_engine(url)
    await migrate(threaded)
    inline = make_engine(url, inline=True)
    yield threaded, inline
    await inline.dispose()
    await threaded.dispose()


async def test_the_inline_engine_reads_and_writes_as_sqlalchemy_expects(
    files: tuple[AsyncEngine, AsyncEngine],
) -> None:
    _, inline = files
    async with session_factory(inline)() as session:
        store = Store(session)
        rows = [{"update_id": i, "processed_at": NOW} for i in (1, 2, 3)]
        inserted = await store.insert_new(ProcessedUpdate, rows, ProcessedUpdate.update_id)
        assert sorted(inserted.scalars()) == [1, 2, 3]  # RETURNING
        again = await store.insert_new(ProcessedUpdate, {"update_id": 2, "processed_at": NOW})
        assert again.rowcount == 0  # ON CONFLICT DO NOTHING
        await store.commit()
    async with session_factory(inline)() as session:
        assert await Store(session).last_update_id() == 3
        gone = await Store(session).forget_updates(NOW.replace(year=2100))
        assert gone == 3
        await session.rollback()
    async with inline.connect() as conn:
        count = await Core(conn).core(text("SELECT count(*) FROM processed_update"))
        assert count.scalar() == 3


async def test_a_write_that_finds_the_lock_taken_waits_off_the_loop(
    files: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """Another coroutine of this process holds the write lock (a tick on the threaded engine):
    the inline write must wait without stopping the loop, or the holder never commits."""
    threaded, inline = files
    holding = asyncio.Event()

    async def tick() -> None:
        async with threaded.begin() as conn:
            await conn.execute(text("INSERT INTO processed_update VALUES (10, '2026-01-01')"))
            holding.set()
            await asyncio.sleep(0.2)  # the loop must run for this to end

    async def update() -> None:
        await holding.wait()
        async with inline.begin() as conn:
            await Core(conn).core(text("INSERT INTO processed_update VALUES (11, '2026-01-01')"))

    await asyncio.wait_for(asyncio.gather(tick(), update()), timeout=10)
    async with inline.connect() as conn:
        ids = (await Core(conn).core(text("SELECT update_id FROM processed_update"))).scalars()
        assert sorted(ids) == [10, 11]


async def test_a_checkpoint_waits_for_readers_and_leaves_no_wal_behind(
    files: tuple[AsyncEngine, AsyncEngine], tmp_path: Path
) -> None:
    """The scrub after a deletion truncates the WAL: a reader of another coroutine is waited
    for (off the loop), not skipped with the deleted bytes left in the WAL."""
    threaded, inline = files
    wal = tmp_path / "inline.sqlite3-wal"
    reading = asyncio.Event()

    async def reader() -> None:
        async with threaded.connect() as conn:
            await conn.execute(text("BEGIN"))
            await conn.execute(text("SELECT count(*) FROM processed_update"))
            reading.set()
            await asyncio.sleep(0.2)
            await conn.rollback()

    async def deletion() -> None:
        await reading.wait()
        async with session_factory(inline)() as session:
            await session.exec(text("INSERT INTO processed_update VALUES (7, '2026-01-01')"))  # type: ignore[call-overload]
            await session.commit()
            await scrub(session)

    await asyncio.wait_for(asyncio.gather(reader(), deletion()), timeout=10)
    assert wal.stat().st_size == 0


async def test_a_stale_snapshot_is_not_waited_for(tmp_path: Path) -> None:
    """A read transaction whose snapshot another connection changed can't write, however long
    it waits: that error comes at once, as with aiosqlite, and the caller's retry handles it."""
    path = str(tmp_path / "stale.sqlite3")
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x INTEGER)")
    make = connector(path, lambda c: None, busy_timeout_ms=5_000)
    first: InlineConnection = await greenlet_spawn(make)
    second: InlineConnection = await greenlet_spawn(make)
    try:
        reading = first.cursor()
        await greenlet_spawn(reading.execute, "BEGIN")
        await greenlet_spawn(reading.execute, "SELECT count(*) FROM t")
        assert reading.fetchall() == [(0,)]
        await greenlet_spawn(second.cursor().execute, "INSERT INTO t VALUES (1)")
        await greenlet_spawn(second.commit)
        started = asyncio.get_running_loop().time()
        with pytest.raises(sqlite3.OperationalError):
            await greenlet_spawn(reading.execute, "INSERT INTO t VALUES (2)")
        assert asyncio.get_running_loop().time() - started < 2
    finally:
        first.close()
        second.close()


async def test_rows_are_read_as_the_statement_runs(tmp_path: Path) -> None:
    """SQLAlchemy reads a result after the statement's greenlet is gone, where no wait is
    possible: so every row is fetched in it, and reading later touches no database."""
    make = connector(str(tmp_path / "rows.sqlite3"), lambda c: None, busy_timeout_ms=1_000)
    connection: InlineConnection = await greenlet_spawn(make)
    try:
        cursor = connection.cursor()
        await greenlet_spawn(cursor.execute, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")
        connection.close()  # a fetch from sqlite3 now would fail
        assert cursor.fetchone() == (1,)
        assert cursor.fetchmany(5) == [(2,), (3,)]
        assert cursor.fetchall() == [] and cursor.fetchone() is None
    finally:
        connection.close()


async def test_a_closed_connection_says_so(tmp_path: Path) -> None:
    make = connector(str(tmp_path / "closed.sqlite3"), lambda c: None, busy_timeout_ms=1_000)
    connection: InlineConnection = await greenlet_spawn(make)
    connection.close()
    connection.close()  # twice is harmless, as SQLAlchemy may do
    with pytest.raises(sqlite3.ProgrammingError):
        connection.cursor()


@pytest.mark.parametrize("code", [5, 261, 517])  # BUSY, BUSY_RECOVERY, BUSY_SNAPSHOT
async def test_every_kind_of_busy_is_tried_again_in_a_thread(tmp_path: Path, code: int) -> None:
    """A new transaction gets BUSY_SNAPSHOT when another connection commits between its read
    and its write lock; SQLite's busy handler would retry that, so the thread must too."""
    make = connector(str(tmp_path / "busy.sqlite3"), lambda c: None, busy_timeout_ms=1_000)
    connection: InlineConnection = await greenlet_spawn(make)
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def statement() -> str:
        threads.append(threading.get_ident())
        if len(threads) == 1:
            busy = sqlite3.OperationalError("database is locked")
            busy.sqlite_errorcode = code
            raise busy
        return "done"

    try:
        assert await greenlet_spawn(connection.run, statement) == "done"
    finally:
        connection.close()
    assert threads[0] == loop_thread and threads[1] != loop_thread


async def test_other_errors_are_not_tried_again(tmp_path: Path) -> None:
    make = connector(str(tmp_path / "other.sqlite3"), lambda c: None, busy_timeout_ms=1_000)
    connection: InlineConnection = await greenlet_spawn(make)
    cursor = connection.cursor()
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await greenlet_spawn(cursor.execute, "SELECT * FROM nowhere")
    finally:
        connection.close()
