"""SQLite on the event loop's own thread, for the short transactions that handle an update.

aiosqlite gives each connection a thread and makes four round trips to it for every statement
(cursor, execute, fetch, close). An update's statements take microseconds each on a WAL database,
so those round trips cost more CPU than SQLite itself (bench/bench_runtimes.py, README
Benchmarks). Here a statement runs inline; what would wait goes to a worker thread instead, so the
loop never sleeps on a lock another coroutine of this process may hold:

- the connection's busy timeout is 0, so a statement that finds the write lock taken fails at
  once (SQLITE_BUSY, before it changed anything) and is run again in a thread with the usual
  timeout, where SQLite's busy handler waits and retries as it does for aiosqlite;
- a WAL checkpoint (storage/db.py `scrub`) waits for readers without failing, so it always runs
  in a thread.

SQLAlchemy drives it exactly as it drives aiosqlite (create_async_engine's `async_creator`): the
same dialect and the same exceptions, sqlite3's.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

BUSY = 5  # SQLITE_BUSY, the primary result code of SQLITE_BUSY_SNAPSHOT and the others too
WAITS = ("PRAGMA wal_checkpoint",)  # statements that wait without failing
T = TypeVar("T")


class InlineConnection:
    """The part of aiosqlite's Connection that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
        self._connection: sqlite3.Connection | None = connection  # None once closed
        self.busy_timeout_ms = busy_timeout_ms

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def commit(self) -> None:
        await self.run(self._open().commit)

    async def rollback(self) -> None:
        await self.run(self._open().rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def run(self, call: Callable[..., T], *args: Any, wait: bool = False) -> T:
        """`call(*args)` here, or in a thread with the busy timeout if it has to wait."""
        if not wait:
            try:
                return call(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
        return await asyncio.to_thread(self._waiting, call, *args)

    def _waiting(self, call: Callable[..., T], *args: Any) -> T:
        connection = self._open()
        connection.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms:d}")
        try:
            return call(*args)
        finally:
            connection.execute("PRAGMA busy_timeout=0")

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return self._connection


class InlineCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses, over one sqlite3 cursor."""

    def __init__(self, owner: InlineConnection) -> None:
        self._owner = owner
        self._cursor = owner._open().cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        await self._owner.run(self._cursor.execute, sql, parameters, wait=sql.startswith(WAITS))
        return self

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> InlineCursor:
        await self._owner.run(self._cursor.executemany, sql, rows)
        return self

    async def fetchall(self) -> list[Any]:
        return await self._owner.run(self._cursor.fetchall)

    async def fetchone(self) -> Any:
        return await self._owner.run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return await self._owner.run(self._cursor.fetchmany, size or self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Any SQLITE_BUSY: even BUSY_SNAPSHOT, which a new transaction gets when another
    connection commits between its read and its write lock (SQLite's busy handler would retry
    it; with none, that is for the thread). A transaction that read before and is stale fails
    again there at once, as it would with aiosqlite."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == BUSY


def connector(
    database: str, pragmas: Callable[[sqlite3.Connection], None], busy_timeout_ms: int
) -> Callable[[], Any]:
    """The engine's `async_creator`: opens a connection in a thread (setting WAL mode may wait
    for a lock), sets `pragmas`, then turns the busy timeout off for inline use."""

    def connect() -> InlineConnection:
        connection = sqlite3.connect(
            database, timeout=busy_timeout_ms / 1000, check_same_thread=False
        )
        try:
            pragmas(connection)
            connection.execute("PRAGMA busy_timeout=0")
        except BaseException:
            connection.close()
            raise
        return InlineConnection(connection, busy_timeout_ms)

    async def create() -> InlineConnection:
        return await asyncio.to_thread(connect)

    return create
