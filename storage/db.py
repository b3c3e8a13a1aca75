"""Engine, sessions and start-up migration.

SQLite runs in WAL mode with a busy timeout so the bot, the scheduler and the sender can share one
file; PostgreSQL is chosen by DATABASE_URL. Start-up always upgrades to the newest Alembic revision;
Alembic itself (11 MB the process would keep) is loaded only when there is something to migrate.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.chatlock import sqlite_chat_turn
from storage.inline_sqlite import DRIVER as INLINE_DRIVER
from storage.inline_sqlite import connector

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0015"  # the newest revision in migrations/versions (tests/storage/test_migrations.py)
SessionFactory = async_sessionmaker[AsyncSession]
BUSY_TIMEOUT_MS = 30_000  # how long a SQLite write waits for another connection's
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def make_engine(url: str, chats_at_once: int = 16, inline: bool = False) -> AsyncEngine:
    """Create the engine; for SQLite, make the folder and set the pragmas on every connection.

    A plain sqlite:// or postgresql:// URL gets its async driver (aiosqlite, asyncpg), as
    DATABASE_URL does in bot.settings, so the `alembic` command line takes the same URLs.
    Parameters are hidden from SQLAlchemy's statement log and from its exceptions' text: they
    are health data, names and phone numbers.

    On PostgreSQL a chat being handled holds two connections (its turn's advisory lock, and
    the update's transaction), so the pool has room for `chats_at_once` (UPDATE_CONCURRENCY)
    chats besides the periodic ticks; connections are opened only when needed.

    `inline` (a SQLite file): statements run on the event loop's thread
    (storage/inline_sqlite.py), for the short transactions that handle updates.
    """
    parsed = make_url(url)
    parsed = parsed.set(drivername=_ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() != "sqlite":
        # room for the periodic ticks' lock connections beside the updates' two each
        return create_async_engine(
            parsed,
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=max(20, 2 * chats_at_once),
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if inline and parsed.database and parsed.database != ":memory:":
        creator = connector(parsed.database, _pragmas, BUSY_TIMEOUT_MS)
        inline_url = parsed.set(drivername=INLINE_DRIVER)
        return create_async_engine(inline_url, hide_parameters=True, creator=creator)
    engine = create_async_engine(
        parsed, hide_parameters=True, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    _pragmas(dbapi_connection)


def _pragmas(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # a deleted row's bytes are zeroed, not left free
    cursor.close()


async def scrub(session: AsyncSession) -> None:
    """After a deletion is committed: leave none of its old bytes in the WAL file either.

    With secure_delete the database pages are zeroed, but the WAL still holds the pages as they
    were until a checkpoint copies it back and truncates it. PostgreSQL keeps dead rows until
    (auto)vacuum; there is nothing to do here for it.
    """
    bind = session.bind
    if bind is None or bind.dialect.name != "sqlite":
        return
    await session.exec(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # type: ignore[call-overload]
    await session.commit()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configured in code, so it works from an installed package and from tests."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade (or, with a revision like "-1" or "base", downgrade) on the app's own engine.
    A database at HEAD already (every start but the first of a version) needs no Alembic."""
    if revision == "head" and await revision_of(engine) == HEAD:
        return
    await in_migration(engine, lambda connection: _run_alembic(connection, revision))


async def in_migration(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """Run `work` (Alembic) in one transaction; on SQLite with foreign keys off meanwhile."""
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            await conn.run_sync(work)
        return
    async with engine.connect() as conn:
        await _migrate_sqlite(conn, work)


async def _migrate_sqlite(conn: AsyncConnection, work: Callable[[Connection], None]) -> None:
    """SQLite's own procedure for schema changes: a migration that recreates a table (batch
    mode) drops it while other tables reference it, which foreign keys forbid, and PRAGMA
    foreign_keys can't change inside a transaction. So they go off first, the migrations run
    in one explicit transaction (the driver would otherwise run DDL before the first write
    outside it, so a failure could leave half a migration), PRAGMA foreign_key_check must find
    nothing before it commits, and they are on again before the connection goes back to the
    pool."""
    await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    await conn.commit()
    try:
        if (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar():
            raise RuntimeError("foreign keys stayed on: a transaction was open")
        await conn.rollback()
        async with conn.begin():
            await conn.exec_driver_sql("BEGIN IMMEDIATE")  # a second process waits its turn
            before = await conn.run_sync(_revision)
            await conn.run_sync(work)
            if await conn.run_sync(_revision) != before:  # a start-up with nothing to do skips it
                await _check_foreign_keys(conn)
    finally:
        await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        await conn.commit()


async def _check_foreign_keys(conn: AsyncConnection) -> None:
    """Fail (rolling the migration back) if any row points at a row that isn't there; the
    error names the tables, never the values."""
    broken = [tuple(row) for row in await conn.exec_driver_sql("PRAGMA foreign_key_check")]
    if broken:  # (table, rowid, parent table, constraint)
        tables = sorted({f"{row[0]} -> {row[2]}" for row in broken})
        raise RuntimeError(f"migration left {len(broken)} broken foreign key(s): {tables}")


def _revision(connection: Connection) -> str | None:
    """Alembic's revision, read as Alembic stores it (one row, since there is one head)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    version: str | None = connection.execute(
        text("SELECT version_num FROM alembic_version")
    ).scalar()
    return version


async def revision_of(engine: AsyncEngine) -> str | None:
    """The schema revision the database is at (None: not migrated yet), changing nothing."""
    async with engine.connect() as conn:
        return await conn.run_sync(_revision)


def _run_alembic(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config(connection)
    if revision == "base" or revision.startswith("-"):
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


@asynccontextmanager
async def exclusive(engine: AsyncEngine, job: str) -> AsyncIterator[bool]:
    """Whether this process may run `job` now: several processes may share the database, and
    one at a time holds the job's lock for the block (the others skip their tick). PostgreSQL:
    an advisory lock; SQLite: an flock on a file beside the database. A dead holder's lock goes
    with its connection or its file descriptor."""
    if engine.dialect.name == "sqlite":
        with _file_lock(engine.url.database, job) as held:
            yield held
        return
    key = {"key": zlib.crc32(job.encode())}
    async with engine.connect() as conn:
        held = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), key)).scalar())
        try:
            yield held
        finally:
            if held:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)


CHAT_LOCKS = zlib.crc32(b"mendbot chat turn") & 0x7FFFFFFF  # the advisory locks' first key
NAME_LOCKS = zlib.crc32(b"mendbot names") & 0x7FFFFFFF


async def hold_name(session: AsyncSession, kind: str, key: str) -> None:
    """Hold a name (`kind`: whose names, `key`: the name as compared) until the session's
    transaction ends. A flow checks that a name is free and then takes it, in one transaction;
    another process may make the same check in between (two trainers giving two templates one
    name at once behind a load balancer, or the library import beside the bot), and the unique
    key would then refuse the second write: the router's error reply, the import's traceback.
    Held, the second check waits for the first transaction and finds its name."""
    await hold_names(session, kind, [key])


async def hold_names(session: AsyncSession, kind: str, keys: Iterable[str]) -> None:
    """`hold_name` for several names (an import). On PostgreSQL an advisory lock per name
    (`_xact_locks`). On SQLite the database's write lock, which holds every name: a
    transaction that has not written yet reads outside any transaction (the driver begins one
    at the first write), so a second process could commit between its check and its write.
    A bot's update has written by then (its claim), so this costs it nothing."""
    connection = await session.connection()
    if _dialect(session) == "sqlite":
        raw = await connection.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits out another writer
        return
    await _xact_locks(session, NAME_LOCKS, [zlib.crc32(f"{kind}\0{key}".encode()) for key in keys])


def _dialect(session: AsyncSession) -> str | None:
    bind = session.bind
    return bind.dialect.name if bind is not None else None


def _int4(key: int) -> int:
    """`key` modulo 2**32 as PostgreSQL's integer: an advisory lock's keys are int4."""
    return (key + 2**31) % 2**32 - 2**31


async def _xact_locks(session: AsyncSession, space: int, keys: Iterable[int]) -> None:
    """PostgreSQL's advisory locks (`space`, each key taken modulo 2**32) on the session's
    transaction, in one statement and in ascending order (two holders of overlapping sets
    never wait for each other): held until it ends, or until its connection dies with the
    process."""
    connection = await session.connection()  # the session's transaction's
    await connection.execute(
        text(
            "SELECT pg_advisory_xact_lock(:space, k)"
            " FROM (SELECT unnest(CAST(:keys AS integer[])) AS k ORDER BY k) AS held"
        ),
        {"space": space, "keys": sorted({_int4(key) for key in keys})},
    )


@asynccontextmanager
async def chat_turn(session: AsyncSession, chat_id: int) -> AsyncIterator[None]:
    """Hold the chat's turn: several processes may receive one chat's updates (webhooks behind a
    load balancer), and only the holder handles and answers them, so they stay in order.

    PostgreSQL: a transaction-level advisory lock on `session`'s connection, held until the
    session's transaction ends (the caller closes it after the block) or its connection dies
    with the process. SQLite: storage/chatlock.py, a lock on one byte of `<database>.chats.lock`
    picked by the chat id, also between the tasks of one process, released when the block ends
    or the process dies. Two chats sharing a key only take turns with each other; nothing
    else waits."""
    if _dialect(session) == "postgresql":
        await _xact_locks(session, CHAT_LOCKS, [chat_id])
        yield
        return
    database = sqlite_file(session.bind)
    if database is None:
        yield  # an in-memory database lives in one process
        return
    async with sqlite_chat_turn(database, chat_id):
        yield


def sqlite_file(bind: object) -> str | None:
    """The SQLite file an engine works on; None for PostgreSQL or an in-memory database."""
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return None
    database = bind.url.database
    return database if database and database != ":memory:" else None


@contextmanager
def running(engine: AsyncEngine) -> Iterator[None]:
    """Held (shared) by every process running on a SQLite file, so a restore can tell."""
    database = sqlite_file(engine)
    if database is None:
        yield
        return
    with Path(f"{database}.running.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def running_elsewhere(database: str) -> bool:
    """Whether a process holds `running` on this SQLite file."""
    with Path(f"{database}.running.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@contextmanager
def _file_lock(database: str | None, job: str) -> Iterator[bool]:
    if not database or database == ":memory:":
        yield True  # an in-memory database lives in one process
        return
    path = Path(f"{database}.{job}.lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
