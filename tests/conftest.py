"""Shared fixtures: a real, migrated database per test and a clock tests move by hand.

The database is a fresh SQLite file, or, when MENDBOT_TEST_POSTGRES_URL names a PostgreSQL database
(postgresql+asyncpg://user:password@host/dbname, the user needs CREATEDB), a fresh PostgreSQL
database created through that one and dropped after the test.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.clock import FakeClock
from storage.db import SessionFactory, make_engine, migrate, session_factory

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


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


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'mendbot.sqlite3'}"
        return
    name = f"mendbot_test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
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
    engine = make_engine(db_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return session_factory(engine)
