"""Alembic: every revision upgrades and downgrades cleanly, and head matches the models."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage.db import HEAD, alembic_config, make_engine, migrate, revision_of


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade_through_every_revision(db_url: str) -> None:
    engine = make_engine(db_url)
    revisions = _revisions()
    assert revisions, "no migrations found"
    for revision in revisions:
        await migrate(engine, revision)
    assert {"person", "invite", "conversation", "outbox"} <= await _tables(engine)
    for _ in revisions:
        await migrate(engine, "-1")
    assert await _tables(engine) <= {"alembic_version"}
    await migrate(engine, "head")
    assert "person" in await _tables(engine)
    await engine.dispose()


async def test_a_queued_document_with_a_long_name_survives_the_downgrade_to_0008(
    db_url: str,
) -> None:
    """0009 let file names grow to 100 characters; going back must not fail on one (PostgreSQL
    refuses to shrink the column over it) nor drop the queued document."""
    engine = make_engine(db_url)
    for revision in _revisions():
        await migrate(engine, revision)
        if revision == "0009":
            break
    name = "progress-report-" + "x" * 80 + ".pdf"
    row = {
        "chat": 1,
        "kind": "report",
        "text": "Your report",
        "status": "pending",
        "at": datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None),
        "name": name,
        "content": b"%PDF",
    }
    insert = text(
        "INSERT INTO outbox (chat_id, kind, priority, text, buttons, status, attempts, not_before,"
        " created_at, erase_after_send, file_name, file_kind, file_content) VALUES (:chat, :kind,"
        " 0, :text, '[]', :status, 0, :at, :at, false, :name, 'document', :content)"
    )
    async with engine.begin() as conn:
        await conn.execute(insert, row)
    await migrate(engine, "-1")  # to 0008
    async with engine.connect() as conn:
        found = (await conn.execute(text("SELECT file_name, document FROM outbox"))).one()
    assert found.file_name == name[:64] and bytes(found.document) == b"%PDF"
    await migrate(engine, "head")
    await engine.dispose()


async def test_files_already_delivered_lose_their_bytes_and_queued_ones_keep_them(
    db_url: str,
) -> None:
    """0014: rows sent or given up before the sender dropped their files' bytes."""
    engine = make_engine(db_url)
    await migrate(engine, "0013")
    insert = text(
        "INSERT INTO outbox (chat_id, kind, priority, text, buttons, status, attempts, not_before,"
        " created_at, erase_after_send, file_name, file_kind, file_content) VALUES (1, 'weekly',"
        " 5, 'Your week', '[]', :status, 0, :at, :at, false, 'week.png', 'photo', :content)"
    )
    at = datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None)
    async with engine.begin() as conn:
        for status in ("sent", "failed", "pending"):
            await conn.execute(insert, {"status": status, "at": at, "content": b"PNG"})
    await migrate(engine, "head")
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT status, file_name, file_content FROM outbox"))
        found = {
            row.status: (
                row.file_name,
                None if row.file_content is None else bytes(row.file_content),
            )
            for row in rows
        }
    assert found == {
        "sent": ("week.png", None),
        "failed": ("week.png", None),
        "pending": ("week.png", b"PNG"),
    }
    await engine.dispose()


async def test_later_parts_get_their_first_parts_links_back_on_the_downgrade_to_0014(
    db_url: str,
) -> None:
    """0015 links only a long text's first part; before it, deletion found each part by its
    own links, so going back copies them to the later parts."""
    engine = make_engine(db_url)
    await migrate(engine, "head")
    at = datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO person (id, telegram_user_id, chat_id, role, name, locale,"
                " created_at) VALUES (7, 7, 7, 'client', 'Pat', 'en', :at)"
            ),
            {"at": at},
        )
        for row_id, first in ((1, None), (2, 1), (3, 1), (4, None)):
            await conn.execute(
                text(
                    "INSERT INTO outbox (id, chat_id, kind, priority, text, buttons, status,"
                    " attempts, not_before, created_at, erase_after_send, first_part_id)"
                    " VALUES (:id, 1, 'weekly_roster', 5, 'part', '[]', 'sent', 0, :at, :at,"
                    " false, :first)"
                ),
                {"id": row_id, "at": at, "first": first},
            )
        await conn.execute(text("INSERT INTO outbox_subject VALUES (1, 7)"))
    await migrate(engine, "-1")
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT outbox_id, person_id FROM outbox_subject"))
        assert sorted(tuple(r) for r in rows) == [(1, 7), (2, 7), (3, 7)]
    await migrate(engine, "head")
    await engine.dispose()


async def test_head_matches_the_models(engine: AsyncEngine) -> None:
    def diff(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    """Always a SQLite file of its own, so it runs when the suite runs on PostgreSQL too."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    finally:
        await engine.dispose()
    assert mode == "wal"
    assert timeout == 30000


def test_head_is_the_newest_migration() -> None:
    """A start-up trusts HEAD to skip Alembic: a new migration must move it too."""
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


async def test_the_revision_is_read_as_alembic_stores_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/fresh.sqlite3")
    assert await revision_of(engine) is None
    await migrate(engine, "0013")
    assert await revision_of(engine) == "0013"
    await migrate(engine)
    assert await revision_of(engine) == HEAD
    await engine.dispose()


def test_a_start_on_a_database_at_head_loads_no_alembic(tmp_path: Path) -> None:
    """Alembic is 11 MB a bot keeps once loaded; nor is a booking's calendar library loaded
    before a booking needs it."""
    url = f"sqlite:///{tmp_path}/at_head.sqlite3"
    code = (
        "import asyncio, sys, bot.app, bot.cli, handlers.ptb, flows.router;"
        "from storage.db import make_engine, migrate;"
        f"asyncio.run(migrate(make_engine({url!r})));"
        "print(sorted(m for m in ('alembic', 'icalendar') if m in sys.modules))"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "['alembic']"  # a new database: migrated
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "[]"
