"""Shared fixtures: a real, migrated database per test and a clock tests move by hand.

The database is a fresh SQLite file, or, when MENDBOT_TEST_POSTGRES_URL names a PostgreSQL database
(postgresql+asyncpg://user:password@host/dbname, the user needs CREATEDB), a fresh PostgreSQL
database created through that one and dropped after the test.

Migrating takes a quarter of a second, so a test whose database is migrated before it runs
(it uses `engine`, or the end-to-end `start_bot`, whose bot migrates at start) gets a copy of one
migrated per test session (per pytest-xdist worker): the file copied, or on PostgreSQL `CREATE
DATABASE ... TEMPLATE`. The bot's own migration at start is then a no-op, as for any restart.
Other tests (migrations, `mendbot migrate`, the bot processes started by tests/e2e/burst.py) get
an empty one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import certifi
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.clock import FakeClock
from storage.db import SessionFactory, make_engine, migrate, session_factory

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a test of several seconds, run before the others")
    _trust_one_certificate()


def pytest_unconfigure(config: pytest.Config) -> None:
    if ONE_CA_FILE is not None:
        ONE_CA_FILE.unlink(missing_ok=True)


ONE_CA_FILE: Path | None = None


def _trust_one_certificate() -> None:
    """Every HTTP client loads the trusted CA certificates when it is made: about 20 ms of CPU
    for the whole bundle, and the suite (bot processes included) makes thousands of clients.
    The tests speak plain HTTP to 127.0.0.1 only, so SSL_CERT_FILE (read by httpx, which the
    bot, python-telegram-bot and the sandbox driver use) names a file holding one certificate
    of the bundle instead; bot processes the tests start inherit it."""
    global ONE_CA_FILE
    if ONE_CA_FILE is not None:
        return
    bundle = Path(os.environ.get("SSL_CERT_FILE") or certifi.where()).read_text()
    first = bundle[: bundle.index(CERT_END) + len(CERT_END)] + "\n"
    handle, name = tempfile.mkstemp(prefix="mendbot-tests-", suffix=".pem")
    with os.fdopen(handle, "w") as out:
        out.write(first[first.index("-----BEGIN CERTIFICATE-----") :])
    ONE_CA_FILE = Path(name)
    os.environ["SSL_CERT_FILE"] = name


CERT_END = "-----END CERTIFICATE-----"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: with pytest-xdist the workers then finish together, not one of them
    running a long test at the end while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


POSTGRES_URL_ENV = "MENDBOT_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    """MENDBOT_TEST_POSTGRES_URL with the asyncpg driver, or None to test on SQLite."""
    value = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not value:
        return None
    url = make_url(value)
    if url.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"{POSTGRES_URL_ENV} must be a postgresql:// URL")
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


MIGRATED_FOR = ("engine", "start_bot")  # fixtures that migrate the database before a test


class MigratedTemplate:
    """One migrated database per test session (per xdist worker), made when first asked for."""

    def __init__(self, folder: Path, admin_url: str | None) -> None:
        self.folder = folder
        self.admin_url = admin_url
        self.name: str | None = None  # SQLite: the file; PostgreSQL: the template database

    async def sqlite_file(self) -> Path:
        if self.name is None:
            path = self.folder / "migrated.sqlite3"
            engine = make_engine(f"sqlite+aiosqlite:///{path}")
            try:
                await migrate(engine)
                async with engine.connect() as conn:  # everything in the file, no -wal beside it
                    await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                await engine.dispose()
            self.name = str(path)
        return Path(self.name)

    async def postgres_database(self, admin: AsyncEngine) -> str:
        if self.name is None:
            name = f"mendbot_template_{uuid.uuid4().hex[:16]}"
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            engine = make_engine(_database_url(admin, name))
            try:
                await migrate(engine)
            finally:
                await engine.dispose()  # a template is copied only while nobody is connected
            self.name = name
        return self.name

    async def drop(self) -> None:
        if self.admin_url is None or self.name is None:
            return
        admin = _admin_engine(self.admin_url)
        try:
            await _drop_database(admin, self.name)
        finally:
            await admin.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplate]:
    template = MigratedTemplate(tmp_path_factory.mktemp("template"), postgres_admin_url())
    yield template
    asyncio.run(template.drop())


def _admin_engine(admin_url: str) -> AsyncEngine:
    return create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _database_url(admin: AsyncEngine, name: str) -> str:
    return admin.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
async def db_url(
    tmp_path: Path, request: pytest.FixtureRequest, migrated_template: MigratedTemplate
) -> AsyncIterator[str]:
    """A database of the test's own: empty, or migrated if the test would migrate it first."""
    migrated = any(name in request.fixturenames for name in MIGRATED_FOR)
    admin_url = postgres_admin_url()
    if admin_url is None:
        path = tmp_path / "mendbot.sqlite3"
        if migrated:
            shutil.copyfile(await migrated_template.sqlite_file(), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"mendbot_test_{uuid.uuid4().hex[:16]}"
    admin = _admin_engine(admin_url)
    try:
        template = await migrated_template.postgres_database(admin) if migrated else None
        async with admin.connect() as conn:
            copied = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
        yield _database_url(admin, name)
    finally:
        await _drop_database(admin, name)
        await admin.dispose()


async def _drop_database(admin: AsyncEngine, name: str) -> None:
    """Drop the test's database, ending connections a failed test (or killed bot) left open.

    Not DROP ... WITH (FORCE): that also needs to signal autovacuum workers, which a plain
    CREATEDB user may not; a plain DROP DATABASE stops them itself.
    """
    for attempt in range(50):
        async with admin.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            try:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except DBAPIError:
                if attempt == 49:
                    raise
        await asyncio.sleep(0.1)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's database, migrated: `db_url` is a copy of the migrated template here."""
    engine = make_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return session_factory(engine)
