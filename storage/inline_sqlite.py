"""SQLite on the event loop's own thread, for the short transactions that handle an update.

aiosqlite gives each connection a thread and makes four round trips to it for every statement
(cursor, execute, fetch, close), and SQLAlchemy's adapter for it switches greenlets for each of
them. An update's statements take microseconds each on a WAL database, so those round trips
cost more CPU than SQLite itself (bench/bench_runtimes.py, README Benchmarks). Here SQLAlchemy
drives sqlite3 directly, with pysqlite's own dialect (`InlineDialect`, declared asynchronous so
that create_async_engine takes it), and what would wait goes to a worker thread instead, so the
loop never sleeps on a lock another coroutine of this process may hold:

- the connection's busy timeout is 0, so a statement that finds the write lock taken fails at
  once (SQLITE_BUSY, before it changed anything) and is run again in a thread with the usual
  timeout, where SQLite's busy handler waits and retries as it does for aiosqlite; the
  statement's greenlet waits for it (SQLAlchemy's `await_`), the loop goes on;
- a WAL checkpoint (storage/db.py `scrub`) waits for readers without failing, so it always runs
  in a thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util import await_

DRIVER = "sqlite+inline"
BUSY = 5  # SQLITE_BUSY, the primary result code of SQLITE_BUSY_SNAPSHOT and the others too
WAITS = ("PRAGMA wal_checkpoint",)  # statements that wait without failing
T = TypeVar("T")


class InlineDialect(SQLiteDialect_pysqlite):
    """pysqlite's dialect for create_async_engine: every call of SQLAlchemy's on the
    connection is a plain sqlite3 call, none a greenlet round trip."""

    driver = "inline"
    is_async = True  # what create_async_engine asks; nothing here needs the loop but a wait
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool


registry.register("sqlite.inline", __name__, InlineDialect.__name__)


class InlineConnection(sqlite3.Connection):
    """sqlite3's connection, whose statements that find the database locked wait in a thread."""

    busy_timeout_ms = 0  # set by `connector`: how long one may wait there

    def cursor(self, factory: Any = None) -> InlineCursor:  # type: ignore[override]
        return super().cursor(factory or InlineCursor)

    def commit(self) -> None:
        self.run(super().commit)

    def rollback(self) -> None:
        self.run(super().rollback)

    def run(self, call: Callable[..., T], *args: Any, wait: bool = False) -> T:
        """`call(*args)` here, or in a thread with the busy timeout if it has to wait."""
        if not wait:
            try:
                return call(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
        result: T = await_(asyncio.to_thread(self._waiting, call, *args))
        return result

    def _waiting(self, call: Callable[..., T], *args: Any) -> T:
        sqlite3.Connection.execute(self, f"PRAGMA busy_timeout={self.busy_timeout_ms:d}")
        try:
            return call(*args)
        finally:
            sqlite3.Connection.execute(self, "PRAGMA busy_timeout=0")


class InlineCursor(sqlite3.Cursor):
    """sqlite3's cursor. A statement's rows are all fetched as it runs, inside the greenlet
    SQLAlchemy runs it in (where a wait is possible): its result is read later, outside it."""

    connection: InlineConnection
    _rows: deque[Any]

    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        self.connection.run(self._execute, sql, parameters, wait=sql.startswith(WAITS))
        return self

    def _execute(self, sql: str, parameters: Any) -> None:
        super().execute(sql, parameters)
        self._rows = deque(super().fetchall()) if self.description else deque()

    def executemany(self, sql: str, rows: Iterable[Any], /) -> InlineCursor:
        self.connection.run(super().executemany, sql, rows)
        self._rows = deque()
        return self

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's asyncio results ask of an asynchronous driver's cursor before its
        rows are read: nothing to do, they are here already."""


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Any SQLITE_BUSY: even BUSY_SNAPSHOT, which a new transaction gets when another
    connection commits between its read and its write lock (SQLite's busy handler would retry
    it; with none, that is for the thread). A transaction that read before and is stale fails
    again there at once, as it would with aiosqlite."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == BUSY


def connector(
    database: str, pragmas: Callable[[sqlite3.Connection], None], busy_timeout_ms: int
) -> Callable[[], InlineConnection]:
    """The engine's `creator`: opens a connection in a thread (setting WAL mode may wait for a
    lock), sets `pragmas`, then turns the busy timeout off for inline use."""

    def connect() -> InlineConnection:
        connection = sqlite3.connect(
            database,
            timeout=busy_timeout_ms / 1000,
            check_same_thread=False,
            factory=InlineConnection,
        )
        try:
            pragmas(connection)
            sqlite3.Connection.execute(connection, "PRAGMA busy_timeout=0")
        except BaseException:
            connection.close()
            raise
        connection.busy_timeout_ms = busy_timeout_ms
        return connection

    def create() -> InlineConnection:
        return await_(asyncio.to_thread(connect))

    return create
