"""Alembic environment: runs on the connection the app hands over (see storage.db.migrate)."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render SQLModel's AutoString as plain sa.String, so migrations don't import sqlmodel."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    """For the `alembic` command line: DATABASE_URL or the default SQLite file."""
    from storage.db import in_migration, make_engine

    url = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///data/mendbot.sqlite3")
    engine = make_engine(url)
    await in_migration(engine, _configure)  # as the app migrates (SQLite: foreign keys off)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    asyncio.run(_run_standalone())
