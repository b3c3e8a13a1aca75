"""Engine, sessions and start-up migration.

SQLite runs in WAL mode with a busy timeout so the bot, the scheduler and the sender can share one
file; PostgreSQL is chosen by DATABASE_URL. Start-up always upgrades to the newest Alembic revision.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"
SessionFactory = async_sessionmaker[AsyncSession]
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def make_engine(url: str) -> AsyncEngine:
    """Create the engine; for SQLite, make the folder and set the pragmas on every connection.

    A plain sqlite:// or postgresql:// URL gets its async driver (aiosqlite, asyncpg), as
    DATABASE_URL does in bot.settings, so the `alembic` command line takes the same URLs.
    """
    parsed = make_url(url)
    parsed = parsed.set(drivername=_ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() != "sqlite":
        # room for the periodic ticks' lock connections beside the updates' sessions
        return create_async_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(parsed, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configured in code, so it works from an installed package and from tests."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade (or, with a revision like "-1" or "base", downgrade) on the app's own engine."""
    async with engine.begin() as conn:
        await conn.run_sync(_run_alembic, revision)


def _run_alembic(connection: Connection, revision: str) -> None:
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
